"""Reads stdin at import: it must see EOF, not hang, and not eat ws's request."""
import os
import sys

from ws_defs import Definitions, asset

assert sys.stdin.read() == ""
assert os.read(0, 100) == b""
try:
    input("name? ")
except EOFError:
    pass


@asset
def typed_in():
    return None


defs = Definitions(assets=[typed_in])
