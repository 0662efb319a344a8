"""`--verbose`'s debug lines, written without importing logging on the quick paths.

The CLI imports logging and attaches a handler to the `ws` logger only for `--verbose`; until
something imports logging, no handler or level can be set, so a debug record would be dropped
anyway, and `debug` drops it without paying for the import (~5 ms a command).
"""

from __future__ import annotations

import sys


def debug(message: str, *args: object, exc_info: BaseException | bool | None = None) -> None:
    """`logging.getLogger("ws").debug(...)`, once logging is in use."""
    if "logging" not in sys.modules:
        return
    import logging

    logging.getLogger("ws").debug(message, *args, exc_info=exc_info)


def debug_enabled() -> bool:
    """Whether a debug line would be written (to skip building an expensive one)."""
    if "logging" not in sys.modules:
        return False
    import logging

    return logging.getLogger("ws").isEnabledFor(logging.DEBUG)
