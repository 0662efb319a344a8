from ws_defs import Definitions, asset


@asset
def orders():
    return None


@asset(key="orders")
def orders_again():
    return None


defs = Definitions(assets=[orders, orders_again])
