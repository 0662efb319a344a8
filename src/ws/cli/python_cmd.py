"""`ws python list` and `ws python find`: parse, call ws.pythons, render."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.pythons.discovery import Interpreter


def list_pythons(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
    ] = False,
) -> None:
    """List the Python interpreters on this machine and which projects use each.

    Looks in WS_PYTHONS, PATH, pyenv, uv, asdf, mise, /usr/bin and /usr/local/bin.

    Changes nothing, except ws's cache of what each interpreter said about itself.
    """
    from ws.pythons.discovery import discover_interpreters

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
    from ws.pythons.requests import find_interpreter

    interpreter = find_interpreter(request, "`ws python find`")
    sys.stdout.write(interpreter.executable + "\n")


def _projects_by_interpreter(interpreters: Sequence[Interpreter]) -> dict[str, list[str]] | None:
    """Project names by the real path of the interpreter each resolves to; None outside a workspace.

    A project whose request fits no interpreter is left out here: `ws sync` reports it.
    """
    from ws.errors import WorkspaceNotFound, WsError
    from ws.pythons.requests import Resolver

    try:
        workspace = _common.load_workspace()
    except WorkspaceNotFound:
        return None
    except WsError as exc:
        _common.warn(f"not showing which projects use each interpreter: {exc}")
        return None
    resolver = Resolver(interpreters)
    users: dict[str, list[str]] = {}
    for project in workspace.projects:
        try:
            chosen = resolver.resolve(project.python)
        except WsError:
            continue
        users.setdefault(_key(chosen.executable), []).append(project.name)
    return users


def _key(executable: str) -> str:
    return os.path.realpath(executable)


def _print_table(interpreters: Sequence[Interpreter], users: dict[str, list[str]] | None) -> None:
    """Aligned columns (`cli/_table.py`): without Rich, whose Table layout, then its import, were
    most of this command's own time (docs/benchmarks.md).

    Paths stay whole while anything else can give way: an unsupported interpreter's note goes
    under its row, then the projects fold, then move under their row. On a terminal the header
    is bold and unsupported interpreters dim.
    """
    from ws.cli import _table

    style = _table.Styles()
    columns = [_table.Column(h) for h in ("Version", "Implementation")]
    columns += [_table.Column("Path", breaks="/"), _table.Column("Source")]
    if users is not None:
        columns.append(_table.Column("Projects", breaks=" ", moves=True, label="projects: "))
    rows = [
        [i.version, i.implementation, i.executable, i.source]
        + ([", ".join(users.get(_key(i.executable), []))] if users is not None else [])
        for i in interpreters
    ]
    notes = ["" if i.supported else f"unsupported: {i.reason}" for i in interpreters]
    if any(notes):
        columns.append(_table.Column("Note", moves=True))
        rows = [[*row, note] for row, note in zip(rows, notes, strict=True)]
    rows = [
        row if i.supported else [style(cell, "dim") for cell in row]
        for row, i in zip(rows, interpreters, strict=True)
    ]
    lines = _table.table(columns, rows, _table.line_width(), style, under=2)
    sys.stdout.write("".join(line + "\n" for line in lines))
