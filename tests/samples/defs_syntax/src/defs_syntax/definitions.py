from ws_defs import Definitions

def broken(:
    pass
