from ws_defs import Definitions
import pandas  # not installed in the environment

defs = Definitions()
