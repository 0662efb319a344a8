"""Code that runs inside project environments, found by path with importlib.resources; see loader.py."""
