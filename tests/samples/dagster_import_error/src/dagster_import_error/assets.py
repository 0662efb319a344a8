import dagster as dg


@dg.asset(deps=["raw/orders"])  # a key path written as a name: Dagster refuses it
def revenue() -> None: ...
