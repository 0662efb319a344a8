"""Loading definitions: the typed snapshot model, the loader shim's host process and its stderr,
the snapshot cache, workspace-wide checks, and loading many locations at once."""
