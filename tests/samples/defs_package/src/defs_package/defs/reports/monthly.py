from ws_defs import asset, job, schedule, sensor

from defs_package.defs.fx import fx_rates
from defs_package.defs.orders import orders


@asset(deps=[orders, fx_rates], key_prefix=["reports"])
def monthly():
    return None


month_end = job("month_end", assets=[monthly, orders])
monthly_schedule = schedule("monthly", cron="0 6 1 * *", job=month_end)
on_close = sensor("on_books_closed", job=month_end)
