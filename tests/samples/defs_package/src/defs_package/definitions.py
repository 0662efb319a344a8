"""Dagster's recommended layout: one module per asset group under defs/."""
from ws_defs import Definitions

from defs_package.resources import Ledger

defs = Definitions.from_package("defs_package.defs", resources={"ledger": Ledger()})
