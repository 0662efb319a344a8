from ws_defs import Definitions, asset


@asset
def first():
    return None


defs = Definitions(assets=[first])
more_defs = Definitions()
