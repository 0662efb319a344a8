from ws_defs import Definitions

from defs_raises.settings import URL

defs = Definitions()
