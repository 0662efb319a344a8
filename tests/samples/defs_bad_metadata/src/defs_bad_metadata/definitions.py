import datetime

from ws_defs import Definitions, asset


@asset(metadata={"loaded_at": datetime.datetime(2024, 1, 1)})
def orders():
    return None


defs = Definitions(assets=[orders])
