"""The good sample: every ws_defs feature once."""
from ws_defs import Definitions, asset, asset_check, job, schedule, sensor

from defs_ok.resources import Warehouse


@asset(group="sales", owners=["team-sales"], description="Raw orders", metadata={"rows": 3})
def orders():
    return [1, 2, 3]


@asset
def customers():
    """Customer master data."""
    return ["ann", "bob"]


@asset(deps=[orders, "finance/fx_rates"], key_prefix=["marts"])
def revenue():
    return sum(orders())


@asset(key="marts/customer_count", deps=[customers, ["finance", "budget"]])
def count_customers():
    return len(customers())


@asset_check(asset=orders)
def orders_not_empty():
    return bool(orders())


daily = job("daily", assets=[orders, revenue, "marts/customer_count"])

defs = Definitions(
    assets=[orders, customers, revenue, count_customers],
    asset_checks=[orders_not_empty],
    jobs=[daily],
    schedules=[schedule("nightly", cron="0 3 * * *", job=daily)],
    sensors=[sensor("on_drop", job="daily")],
    resources={"warehouse": Warehouse("duckdb:///:memory:")},
)
same_defs = defs  # a second name for the same object is still one Definitions
