import dagster as dg


@dg.asset
def orders() -> None: ...


defs = dg.Definitions(assets=[orders])
more_defs = dg.Definitions()
