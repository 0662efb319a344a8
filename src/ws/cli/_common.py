"""What every command shares: the global options, the consoles, JSON output.

Kept light: importing this module must not import rich, tomlkit or virtualenv, so that
`ws --version` and no-op commands stay quick. Consoles are made on first use.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

    from rich.console import Console

    from ws.workspace.model import Workspace


@dataclass
class GlobalOptions:
    """Set by the top-level callback from `--workspace` and `--verbose`."""

    workspace: Path | None = None
    verbose: bool = False
    log_handler: logging.Handler | None = None  # set by --verbose, removed when the run ends


options = GlobalOptions()


def load_workspace() -> Workspace:
    """The workspace named by `--workspace`/`WS_WORKSPACE`, else the one above the current folder."""
    from ws.workspace.ws_toml import open_workspace

    return open_workspace(options.workspace, cwd=Path.cwd())


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stdout_width() -> int:
    """The width Rich would give stdout: `COLUMNS`, else the size of a terminal among the
    standard streams (stdout first), else 80. For output printed without Rich."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (1, 0, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except OSError:  # not a terminal
            continue
    return 80


def wrap(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` characters, broken at spaces; whole when it fits, or
    when `room` is under 16 (too narrow to help: the terminal folds the line)."""
    if len(text) <= room or room < 16:
        return [text]
    import textwrap  # only for a row too wide for the terminal

    return textwrap.wrap(text, room, break_on_hyphens=False) or [text]


_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}
_COLOURS = {"red", "green", "yellow"}


class Styles:
    """ANSI styles for what a command writes to stdout without Rich, decided as Rich decides:
    FORCE_COLOR, else a terminal that is not dumb; NO_COLOR drops colours, not bold or dim."""

    def __init__(self) -> None:
        term = os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
        self.enabled = bool(os.environ.get("FORCE_COLOR")) or (term and sys.stdout.isatty())
        self.colours = not os.environ.get("NO_COLOR")

    def __call__(self, text: str, style: str) -> str:
        """`text` in `style` ("bold red", "dim"); as it is when styles are off or it is empty."""
        if not self.enabled or not text:
            return text
        words = [w for w in style.split() if self.colours or w not in _COLOURS]
        return f"\x1b[{';'.join(_SGR[w] for w in words)}m{text}\x1b[0m" if words else text


def print_json(document: Any) -> None:
    """Write one JSON document to stdout; with `--json`, nothing else goes there."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def print_error(message: str) -> None:
    """One red `error:` line on stderr; the message is plain text (never read as markup)."""
    _print_labelled("error:", "bold red", message)


def warn(message: str) -> None:
    _print_labelled("warning:", "yellow", message)


def _print_labelled(label: str, style: str, message: str) -> None:
    from rich.text import Text

    stderr_console().print(Text.assemble((label, style), " ", message), soft_wrap=True)
