"""A small working example: two assets, a check, a job and its schedule. Replace it with yours."""

from ws_defs import asset, asset_check, job, schedule


@asset(key_prefix=["{{import_name}}"], group="{{import_name}}", description="Raw events, as loaded.")
def raw_events():
    return [{"id": 1, "kind": "signup"}, {"id": 2, "kind": "order"}]


@asset(
    key_prefix=["{{import_name}}"],
    group="{{import_name}}",
    deps=[raw_events],
    description="Events counted by kind.",
)
def event_counts():
    counts = {}
    for event in raw_events():
        counts[event["kind"]] = counts.get(event["kind"], 0) + 1
    return counts


@asset_check(asset=raw_events)
def raw_events_not_empty():
    return len(raw_events()) > 0


daily = job("{{import_name}}_daily", assets=[raw_events, event_counts])
nightly = schedule("{{import_name}}_nightly", cron="0 3 * * *", job=daily)
