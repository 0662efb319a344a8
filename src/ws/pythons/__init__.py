"""The Python interpreters on this machine: discovery, the probe and its cache, and requests
(`3.12`, `>=3.10,<3.13`, a path) resolved to one interpreter."""
