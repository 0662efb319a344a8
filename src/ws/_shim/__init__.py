"""Code that runs inside project environments; see loader.py.

ws finds it by path, beside its own modules: `ws.loading.shim.SHIM_PATH` is this folder's loader.py,
which the project's interpreter runs (so ws must be installed as files, as pip and uv install it).

Never imported there: loader.py imports its siblings as `_ws_shim.<file>`, not as `ws._shim`.
"""
