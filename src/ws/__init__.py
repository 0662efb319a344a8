"""ws: a multi-environment workspace manager for Python."""

__version__ = "0.1.0"
