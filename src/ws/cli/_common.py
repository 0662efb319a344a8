"""What every command shares: the global options, the consoles, JSON output, error lines.

Kept light: importing this module must not import rich, tomlkit or virtualenv, so that
`ws --version` and no-op commands stay quick. Consoles are made on first use. Listings are
printed by `cli/_table.py`, which owns the width, folding and styles of text printed without Rich.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import logging

    from rich.console import Console

    from ws.workspace.model import Project, Workspace


Color = Literal["auto", "always", "never"]


@dataclass
class GlobalOptions:
    """Set by the top-level callback from the global options; `argv` by `main.run`."""

    workspace: Path | None = None
    verbose: bool = False
    quiet: bool = False  # results only: no progress
    no_progress: bool = False
    color: Color = "auto"
    log_handler: logging.Handler | None = None  # set by --verbose, removed when the run ends
    argv: list[str] = field(default_factory=list)  # the raw arguments, `--` included
    # Set by `main` only: a real `ws` process, which `ws run` may replace with its command.
    own_process: bool = False


options = GlobalOptions()


def load_workspace() -> Workspace:
    """The workspace named by `--workspace`/`WS_WORKSPACE`, else the one above the current folder."""
    from ws.workspace.ws_toml import open_workspace

    return open_workspace(options.workspace, cwd=Path.cwd())


def load_project(name: str | None) -> Project | None:
    """The project `name` (or the one we stand in) read alone, or None when that takes the
    whole workspace: `load_workspace` then finds it or says why not."""
    from ws.workspace.ws_toml import open_project

    return open_project(options.workspace, cwd=Path.cwd(), name=name)


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, **_color_arguments())


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, **_color_arguments())


def _color_arguments() -> dict[str, Any]:
    """Rich's arguments for `--color`: `never` prints no style at all, `always` styles even
    where the stream is not a terminal (Rich decides the rest: NO_COLOR, FORCE_COLOR, TERM)."""
    if options.color == "never":
        return {"no_color": True, "color_system": None}
    if options.color == "always":
        return {"color_system": "standard"}
    return {}


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
