from ws_defs import Definitions, asset


@asset
def lonely():
    return None
