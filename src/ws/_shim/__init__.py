"""Code that runs inside project environments, found by path with importlib.resources; see loader.py.

Never imported there: loader.py imports its siblings as `_ws_shim.<file>`, not as `ws._shim`.
"""
