import dagster as dg

weekly_sessions = dg.define_asset_job("weekly_sessions", selection=["web/sessions"])
weekly = dg.ScheduleDefinition(name="weekly", cron_schedule="0 6 * * 1", job=weekly_sessions)


@dg.asset_check(asset=dg.AssetKey(["web", "sessions"]))
def sessions_fresh() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)
