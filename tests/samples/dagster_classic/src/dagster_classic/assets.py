import dagster as dg


@dg.asset(key_prefix=["raw"], group_name="ingest", owners=["team:data-eng"], kinds={"python"})
def orders() -> None:
    """Orders as they arrive from the shop."""


@dg.asset(key_prefix=["raw"], group_name="ingest", owners=["ana@example.com"], kinds={"python", "s3"})
def customers() -> None:
    """Customers, nightly export."""


@dg.asset(
    deps=[orders, customers],
    group_name="marts",
    owners=["team:analytics"],
    kinds={"sql"},
    description="Revenue per customer and day.",
)
def revenue() -> None: ...


@dg.asset(deps=[revenue])
def revenue_report() -> None: ...


@dg.asset_check(asset=orders)
def orders_not_empty() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)
