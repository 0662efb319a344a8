from ws_defs import Definitions, asset, job, schedule


@asset
def orders():
    return None


daily = job("daily", assets=[orders])

defs = Definitions(
    assets=[orders],
    schedules=[schedule("nightly", cron="0 3 * * *", job=daily)],  # daily is not in jobs=
)
