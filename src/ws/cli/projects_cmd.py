"""`ws init`, `ws add`, `ws remove`, `ws list projects`: parse, call ws.projects, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.cli._table import Styles
    from ws.envs.status import ProjectStatus
    from ws.workspace.model import Workspace

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
]


def init(
    path: Annotated[
        Path, typer.Argument(help="Folder to make a workspace of (created if absent).")
    ] = Path(),
    name: Annotated[
        str | None, typer.Option(help="Workspace name. Default: the folder's name.")
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(help="Default Python request for projects, e.g. 3.12 or '>=3.10'."),
    ] = None,
    example: Annotated[
        bool,
        typer.Option(help="Also add two example projects, on two Python versions if installed."),
    ] = False,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Take the projects of a Dagster workspace: a dg.toml or a workspace.yaml.",
        ),
    ] = None,
) -> None:
    """Create a workspace: a commented ws.toml, projects/, .gitignore and a README.

    Refuses a folder that already has a ws.toml and never overwrites an existing file. With
    --from, lists the projects of a Dagster workspace file; entries ws cannot take (grpc_server)
    are named and left out.
    """
    from ws.workspace.manage import init_workspace

    # With --python, both examples ask for it; else the two newest minor versions installed.
    example_pythons = ((python, python) if python else _example_pythons()) if example else None
    result = init_workspace(
        path, name=name, python=python, example_pythons=example_pythons, from_file=from_file
    )
    console = _common.stdout_console()
    console.print(f"Created workspace [bold]{result.root}[/]")
    for kept in result.kept:
        console.print(f"  kept existing {kept.relative_to(result.root)}")
    for added in result.examples:
        console.print(f"  added example project [bold]{added.name}[/] at {added.path}")
    for added in result.imported:
        console.print(f"  added project [bold]{added.name}[/] at {added.path}")
    for skipped in result.skipped:
        _common.warn(skipped)
    console.print("Next: `ws add NAME` to add a project, then `ws sync`.")


def add(
    name: Annotated[str, typer.Argument(help="Project name (PEP 508: letters, digits, - _ .).")],
    path: Annotated[
        Path | None,
        typer.Option(help="Project folder. Default: projects/NAME in the workspace."),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(help="Python request for the project, e.g. 3.11, '>=3.10,<3.13' or a path."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Team that owns the project.")] = None,
) -> None:
    """Add a project to ws.toml: register an existing folder as it is, or scaffold a new one.

    A folder with a pyproject.toml is registered untouched; an absent or empty one gets a small
    working project from the template, written into it (a folder is never replaced). Only the
    new entry is added to ws.toml. A --python that no interpreter here satisfies is recorded,
    with a warning.
    """
    from ws.workspace.manage import add_project

    workspace = _common.load_workspace()
    result = add_project(workspace, name, path=path, python=python, owner=owner)
    verb = "Scaffolded" if result.scaffolded else "Registered"
    _common.stdout_console().print(f"{verb} project [bold]{result.name}[/] at {result.path}")
    if result.warning:
        _common.warn(result.warning)


def remove(
    name: Annotated[str, typer.Argument(help="Project to remove from ws.toml.")],
    delete_env: Annotated[
        bool, typer.Option("--delete-env", help="Also delete the environment ws built for it.")
    ] = False,
) -> None:
    """Remove a project's entry from ws.toml. Never deletes the project's folder."""
    from ws.envs.prune import remove_project

    workspace = _common.load_workspace()
    project = workspace.project(name)
    deleted = remove_project(workspace, project, delete_env=delete_env)
    console = _common.stdout_console()
    console.print(
        f"Removed [bold]{project.name}[/] from ws.toml; its folder {project.path} is untouched."
    )
    if deleted:
        console.print(f"Deleted its environment {project.venv}")


def list_projects(json_output: JsonOption = False) -> None:
    """List the workspace's projects: path, owner, Python request, interpreter and env state.

    Changes nothing (it may refresh the interpreter probe cache).
    """
    from ws.envs.status import project_statuses

    workspace = _common.load_workspace()
    statuses = project_statuses(workspace.projects)
    rows = [_project_row(status, workspace.root) for status in statuses]
    if json_output:
        _common.print_json({"version": 1, "projects": rows})
        return
    sys.stdout.write("".join(line + "\n" for line in _projects_listing(workspace, rows)))


def _projects_listing(workspace: Workspace, rows: list[dict[str, Any]]) -> list[str]:
    """The title line `name (root)`, the table, and the notes under it, fitted to the width.

    Each env's reason sits in its cell when the table fits so; otherwise the reasons go under
    the table as whole sentences, before anything in the table folds or moves.
    """
    from ws.cli import _table

    width, style = _table.line_width(), _table.Styles()
    # Names, owners and versions stay whole; paths (a folder, an external env's python) fold
    # at "/"; an owner, then a folder, that cannot fit moves under its row.
    columns = [
        _table.Column("project"),
        _table.Column("path", breaks="/", moves=True, label="path: "),
        _table.Column("owner", moves=True, label="owner: "),
        _table.Column("python", breaks="/"),  # a request, or an external env's path
        _table.Column("interpreter"),
        _table.Column("env"),
    ]
    cells, notes = _projects_cells(workspace, rows, style, reasons_inside=True)
    if width is not None and _table.table_width(columns, cells) > width:
        cells, notes = _projects_cells(workspace, rows, style, reasons_inside=False)
    lines = _table.fold(style(f"{workspace.name} ({workspace.root})", "bold"), width)
    lines += _table.table(columns, cells, width, style)
    for note in notes:
        lines += _table.fold(note, width)
    return lines


def _projects_cells(
    workspace: Workspace, rows: list[dict[str, Any]], style: Styles, *, reasons_inside: bool
) -> tuple[list[list[str]], list[str]]:
    """The cells of `ws list projects`'s table, and the notes to print under it."""
    cells: list[list[str]] = []
    notes: list[str] = []
    reasons: list[str] = []
    for project, row in zip(workspace.projects, rows, strict=True):
        # No request: the interpreter running ws, named so it reads as a choice, not a gap.
        own = row["interpreter_version"] or "?"
        request = row["python"] or style(f"default ({own}, ws's own)", "dim")
        name = row["name"]
        if project.problem_message is not None:
            problem = "missing" if row["problem"] == "missing" else "invalid"
            name += " " + style(f"({problem})", "red")
            notes.append(f"{row['name']}: {project.problem_message}")
        interpreter = row["interpreter_version"] or style("not found", "red")
        if row["interpreter_error"]:
            notes.append(f"{row['name']}: {row['interpreter_error']}")
        env = style(row["env"], _ENV_STYLES.get(row["env"], ""))
        if row["env_reason"] and row["env"] != "ready":
            if reasons_inside:
                env += " " + style(f"({row['env_reason']})", "dim")
            else:
                reasons.append(f"{row['name']}: env {row['env']}: {row['env_reason']}")
        cells.append([name, row["path"], row["owner"] or "", request, interpreter, env])
        if row["libraries"]:
            used = ", ".join(
                f"{lib['name']} ({lib['path']}{', editable' if lib['editable'] else ''})"
                for lib in row["libraries"]
            )
            notes.append(f"{row['name']} uses local libraries: {used}")
    return cells, reasons + notes


_ENV_STYLES = {"ready": "green", "external": "cyan", "stale": "yellow", "failed": "red"}


def _project_row(status: ProjectStatus, root: Path) -> dict[str, Any]:
    project = status.project
    return {
        "name": project.name,
        "path": project.path,
        "owner": project.owner,
        "python": project.python[0] if project.python else None,
        "python_source": project.python[1] if project.python else None,
        "problem": project.problem,
        "interpreter": status.interpreter,
        "interpreter_version": status.interpreter_version,
        "interpreter_error": status.interpreter_error,
        "env": status.env,
        "env_reason": status.env_reason,
        "libraries": [
            {"name": lib.name, "path": _relative(lib.path, root), "editable": lib.editable}
            for lib in project.libraries
        ],
    }


def _relative(path: Path, root: Path) -> str:
    """A folder as ws.toml spells paths: from the workspace root, with forward slashes."""
    import os

    return Path(os.path.relpath(path, root.resolve())).as_posix()


def _example_pythons() -> tuple[str, ...]:
    """Two different installed minor versions, newest first (the same one twice if only one)."""
    from ws.pythons.discovery import discover_interpreters

    minors = sorted(
        {i.version_tuple[:2] for i in discover_interpreters() if i.supported}, reverse=True
    )
    picked = [f"{major}.{minor}" for major, minor in minors[:2]]
    if not picked:
        return ()
    return tuple(picked) if len(picked) == 2 else (picked[0], picked[0])
