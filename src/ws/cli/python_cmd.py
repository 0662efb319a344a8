"""`ws python list` and `ws python find`: parse, call ws.pythons, render."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.pythons import Interpreter


def list_pythons(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
    ] = False,
) -> None:
    """List the Python interpreters on this machine and which projects use each.

    Looks in WS_PYTHONS, PATH, pyenv, uv, asdf, mise, /usr/bin and /usr/local/bin.

    Changes nothing, except ws's cache of what each interpreter said about itself.
    """
    from ws.pythons import discover_interpreters

    interpreters = discover_interpreters()
    users = _projects_by_interpreter(interpreters)
    if json_output:
        _common.print_json(
            {
                "version": 1,
                "interpreters": [
                    {
                        "version": i.version,
                        "implementation": i.implementation,
                        "architecture": i.architecture,
                        "executable": i.executable,
                        "source": i.source,
                        "supported": i.supported,
                        "reason": i.reason,
                        "projects": users.get(_key(i.executable), []) if users else [],
                    }
                    for i in interpreters
                ],
            }
        )
        return
    _print_table(interpreters, users)


def find_python(
    request: Annotated[
        str,
        typer.Argument(
            metavar="REQUEST",
            help="What to look for: 3.12, 3.12.1, '>=3.10,<3.13', cpython3.11, or a path.",
        ),
    ],
) -> None:
    """Print the path of the newest interpreter that satisfies REQUEST.

    Changes nothing, except ws's cache of interpreter probes.

    Exits 1, naming the interpreters that were found, when none fits.
    """
    from ws.pythons import find_interpreter

    interpreter = find_interpreter(request, "`ws python find`")
    sys.stdout.write(interpreter.executable + "\n")


def _projects_by_interpreter(interpreters: Sequence[Interpreter]) -> dict[str, list[str]] | None:
    """Project names by the real path of the interpreter each resolves to; None outside a workspace.

    A project whose request fits no interpreter is left out here: `ws sync` reports it.
    """
    from ws.errors import WorkspaceNotFound, WsError
    from ws.pythons import resolve_python

    try:
        workspace = _common.load_workspace()
    except WorkspaceNotFound:
        return None
    except WsError as exc:
        _common.warn(f"not showing which projects use each interpreter: {exc}")
        return None
    users: dict[str, list[str]] = {}
    for project in workspace.projects:
        try:
            chosen = resolve_python(project.python, interpreters)
        except WsError:
            continue
        users.setdefault(_key(chosen.executable), []).append(project.name)
    return users


def _key(executable: str) -> str:
    return os.path.realpath(executable)


def _print_table(interpreters: Sequence[Interpreter], users: dict[str, list[str]] | None) -> None:
    """Aligned columns printed as one text: a Rich Table's layout was most of this command's time."""
    from rich.text import Text

    header = ["Version", "Implementation", "Path", "Source"]
    if users is not None:
        header.append("Projects")
    notes = any(not i.supported for i in interpreters)
    if notes:
        header.append("Note")
    rows: list[tuple[list[str], bool]] = []
    for interp in interpreters:
        row = [interp.version, interp.implementation, interp.executable, interp.source]
        if users is not None:
            row.append(", ".join(users.get(_key(interp.executable), [])))
        if notes:
            row.append("" if interp.supported else f"unsupported: {interp.reason}")
        rows.append((row, interp.supported))
    widths = [
        max(len(r[i]) for r in [header, *(row for row, _ in rows)]) for i in range(len(header))
    ]
    text = Text()
    text.append(
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip() + "\n", "bold"
    )
    for row, supported in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        # Text, not markup: a path or a reason with [brackets] is printed as it is.
        text.append("  ".join(cells).rstrip() + "\n", None if supported else "dim")
    text.rstrip()
    _common.stdout_console().print(text, soft_wrap=True)
