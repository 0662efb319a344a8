import dagster as dg


@dg.asset(key=["web", "events"], group_name="web", kinds={"python"}, owners=["team:web"])
def events() -> None:
    """Click events from the web site."""


@dg.asset(key=["web", "sessions"], group_name="web", deps=[events])
def sessions() -> None: ...
