from ws_defs import asset, asset_check


@asset(group="sales")
def orders():
    """Orders as finance sees them (the same key as defs_ok's orders)."""
    return []


@asset_check(asset=orders)
def orders_balanced():
    return True
