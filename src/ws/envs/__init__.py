"""A project's environment: its paths, fingerprint, marker and state (the only reader and writer of
`ws-env.json`), building it, its locks, the ws-defs wheel, and syncing many envs at once."""
