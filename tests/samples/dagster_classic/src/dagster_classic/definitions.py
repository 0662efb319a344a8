import dagster as dg

from dagster_classic.assets import customers, orders, orders_not_empty, revenue, revenue_report
from dagster_classic.resources import Warehouse

daily = dg.define_asset_job("daily", selection=[orders, customers, revenue])


@dg.op
def say_hello() -> None: ...


@dg.job
def housekeeping() -> None:
    say_hello()


nightly = dg.ScheduleDefinition(name="nightly", cron_schedule="0 3 * * *", job=daily)


@dg.sensor(job=housekeeping, minimum_interval_seconds=300)
def on_new_file(context: dg.SensorEvaluationContext):
    return dg.SkipReason("nothing new")


defs = dg.Definitions(
    assets=[orders, customers, revenue, revenue_report],
    asset_checks=[orders_not_empty],
    jobs=[daily, housekeeping],
    schedules=[nightly],
    sensors=[on_new_file],
    resources={"warehouse": Warehouse(), "api_token": dg.ResourceDefinition.hardcoded_resource("t0ken")},
)
