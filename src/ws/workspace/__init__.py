"""The workspace: its model (`Workspace`, `Project`), ws.toml and each project's own files, Dagster's
workspace files, and the edits `ws init`, `ws add` and `ws remove` make."""
