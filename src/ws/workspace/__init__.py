"""The workspace: its model, ws.toml, each project's own files, Dagster's files, init/add/remove.

`model` holds `Workspace` and `Project`; `ws_toml` is the one module that builds them.
"""
