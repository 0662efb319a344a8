"""Prints megabytes at import, at the Python and the file-descriptor level; still loads."""
import os
import sys

from ws_defs import Definitions, asset

for i in range(20000):
    print("python-level noise " + "x" * 80)
sys.stdout.flush()
os.write(1, b"fd-level noise " + b"y" * (2 * 1024 * 1024) + b"\n")
os.write(2, b"stderr noise " + b"z" * (1024 * 1024) + b"\n")


@asset
def loud():
    return None


defs = Definitions(assets=[loud])
