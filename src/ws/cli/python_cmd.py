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
    """Aligned columns, written without Rich: a Table's layout, then Rich's import, were most of
    this command's own time (docs/benchmarks.md).

    Paths stay whole. When the rows are wider than the terminal, the projects continue under
    their column and an unsupported interpreter's note goes under its row. On a terminal the
    header is bold and unsupported interpreters dim.
    """
    width = _common.stdout_width()
    header = ["Version", "Implementation", "Path", "Source"]
    if users is not None:
        header.append("Projects")
    rows = [
        [i.version, i.implementation, i.executable, i.source]
        + ([", ".join(users.get(_key(i.executable), []))] if users is not None else [])
        for i in interpreters
    ]
    notes = ["" if i.supported else f"unsupported: {i.reason}" for i in interpreters]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    beside = any(notes) and _width([*widths, max(map(len, notes))]) <= width
    if beside:  # a column of its own, the last: its width does not matter
        header, widths = [*header, "Note"], [*widths, 0]
        rows = [[*row, note] for row, note in zip(rows, notes, strict=True)]
    last = _width(widths[:-1]) + 2  # where the last column starts
    under = " " * (_width(widths[:2]) + 2)  # the Path column
    style = _common.Styles()
    out = [style("  ".join(map(str.ljust, header, widths)).rstrip(), "bold")]
    for row, note, interp in zip(rows, notes, interpreters, strict=True):
        first, *more = _common.wrap(row[-1], width - last)
        lines = ["  ".join([*map(str.ljust, row[:-1], widths), first]).rstrip()]
        lines += [" " * last + line for line in more]
        lines += [under + note] if note and not beside else []
        out += [line if interp.supported else style(line, "dim") for line in lines]
    sys.stdout.write("".join(line + "\n" for line in out))


def _width(widths: Sequence[int]) -> int:
    """Columns of these widths, two spaces apart."""
    return sum(widths) + 2 * (len(widths) - 1)
