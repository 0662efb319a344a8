"""`ws sync` and `ws run`: parse, call ws.envs, render progress and results.

Progress and result lines are `cli/_sync_view.py`'s. Rich is imported only for a live display on
a terminal: a no-op sync prints one plain line, so that checking fifty up-to-date envs costs
little more than `ws --version`.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common
from ws.errors import ConfigError

if TYPE_CHECKING:
    from ws.cli._sync_view import SyncView
    from ws.envs.sync import ProjectResult, SyncReport
    from ws.workspace.model import Project, Workspace


def sync(
    names: Annotated[
        list[str] | None, typer.Argument(help="Projects to sync. Default: all, or the one here.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Sync this team's projects.")] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Environments built at once. Default: CPU count."),
    ] = None,
    reinstall: Annotated[
        bool, typer.Option(help="Recreate every env and reinstall everything, changed or not.")
    ] = False,
    offline: Annotated[
        bool, typer.Option(help="Install from uv's cache and local wheels only (no network).")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(help="Delete envs ws built for projects no longer in the workspace."),
    ] = False,
    compile_bytecode: Annotated[
        bool,
        typer.Option(
            "--compile-bytecode",
            help="Compile bytecode for every file of each env, as uv's flag does (for images, "
            "CI, read-only envs); by default the first load writes what it imports.",
        ),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
    ] = False,
) -> None:
    """Build each project's environment at <project>/.venv: what `uv sync` would install (the
    project editable, its dependencies and default groups, exactly its uv.lock), its local
    libraries, and ws-defs.

    An env whose inputs (interpreter, what pyproject.toml says to install, the lock, groups,
    local libraries) did not change is left alone; one that `uv sync` made is taken over in
    place. A sync that fails before installing anything leaves a working env as it was. Exit
    code 1 when a project failed; the others are still built.
    """
    from ws.cli._sync_view import SyncView, progress_mode

    workspace = _common.load_workspace()
    projects = workspace.select(names or [], owner=owner, cwd=Path.cwd())
    start = time.monotonic()
    view = SyncView(sys.stdout, progress=progress_mode(silent=json_output), results=not json_output)
    report = _sync(workspace, projects, view, jobs, reinstall, offline, prune, compile_bytecode)
    _print_failures(report)  # on stderr, --json or not: a script sees the reason there
    if json_output:
        _common.print_json({"version": 1, "projects": [_json_row(r) for r in report.results]})
    else:
        _print_summary(report, time.monotonic() - start)
    if report.failed:
        raise typer.Exit(1)


def run(
    name: Annotated[
        str | None,
        typer.Argument(
            help="The project whose environment to use. Default: the one you stand in.",
            show_default=False,
        ),
    ] = None,
    command: Annotated[
        list[str] | None, typer.Argument(help="The command and its arguments, after `--`.")
    ] = None,
    sync_first: Annotated[
        bool, typer.Option("--sync", help="Sync the project's env first if it is not ready.")
    ] = False,
    here: Annotated[
        bool,
        typer.Option("--here", help="Run in the current folder instead of the project's."),
    ] = False,
) -> None:
    """Run a command with a project's environment active: `ws run NAME -- CMD [ARGS...]`.

    The command runs in the project's folder (as `hatch run` and `dg` do; `--here` keeps the
    current folder), with the terminal passed through; its exit code is ws's. Inside a project
    folder, `ws run -- CMD` runs in that project. A missing or stale env is an error unless
    --sync is given; an env whose last sync failed before installing anything is used as last
    built, with a warning.
    """
    from ws.envs.running import find_command, require_ready, run_in_environment
    from ws.errors import ProjectFailed
    from ws.pythons.requests import Resolver

    tokens = [*([name] if name is not None else []), *(command or [])]
    if _names_project(_common.options.argv):
        name, args = tokens[0], tokens[1:]
        if args[:1] == ["--"]:  # Click keeps `--` once NAME has ended option parsing
            args = args[1:]
    else:  # `ws run -- CMD`: Click took CMD's first word for NAME
        name, args = None, tokens
    # Without --sync, only the project's own files are read where that is enough.
    found = None if sync_first else _common.load_project(name)
    if found is None:
        workspace = _common.load_workspace()
        project = _run_project(workspace, name)
    else:
        project = found
    if not args:
        raise ConfigError(
            f"no command to run; write it after `--`: ws run {project.name} -- CMD [ARGS...]"
        )
    failed = False
    if sync_first:
        from ws.cli._sync_view import SyncView, progress_mode

        view = SyncView(sys.stderr, progress=progress_mode(silent=False))  # stdout: the command's
        report = _sync(workspace, [project], view, None, False, False, False, False)
        failed = bool(report.failed)
        if failed:
            _print_failures(report)
    try:
        venv, warning = require_ready(project, Resolver())
    except ProjectFailed:
        if failed:  # said already
            raise typer.Exit(1) from None
        raise
    cwd = Path.cwd() if here else project.root
    executable, outside = find_command(venv, args[0], cwd)
    for said in (warning, outside):
        if said is not None:
            _common.warn(said)
    replace = _common.options.own_process
    command = [executable, *args[1:]]
    raise typer.Exit(run_in_environment(venv, command, cwd=cwd, replace=replace))


def _names_project(argv: list[str]) -> bool:
    """Whether `ws ... run [--sync] [--here] NAME -- ...` names a project: read from the raw
    arguments, since Click drops the `--` that `ws run -- CMD` starts with."""
    rest = iter(argv)
    for token in rest:  # the global options, up to the command
        if token in ("-w", "--workspace"):
            next(rest, None)
        elif token == "run":
            break
    for token in rest:
        if token in ("--sync", "--here"):
            continue
        return token != "--"
    return False


def _run_project(workspace: Workspace, name: str | None) -> Project:
    if name is not None:
        return workspace.project(name)
    here = workspace.project_at(Path.cwd())
    if here is None:
        known = ", ".join(p.name for p in workspace.projects) or "none yet"
        raise ConfigError(
            f"{Path.cwd()} is in no project of {workspace.config_path}, so `ws run -- CMD` has "
            f"no default; name one: `ws run NAME -- CMD` (projects: {known})."
        )
    return here


def _sync(
    workspace: Workspace,
    projects: list[Project],
    view: SyncView,
    jobs: int | None,
    reinstall: bool,
    offline: bool,
    prune: bool,
    compile_bytecode: bool,
) -> SyncReport:
    from ws.envs.sync import sync_projects

    # Handled here: Click would turn the interrupt into "Aborted!" and exit code 1.
    with _terminate_as_interrupt():
        try:
            with view:
                return sync_projects(
                    workspace,
                    projects,
                    jobs=jobs,
                    reinstall=reinstall,
                    offline=offline,
                    prune=prune,
                    on_event=view.event,
                    phases=view.shows_phases,
                    compile_bytecode=compile_bytecode,
                )
        except _Terminated:
            sys.stderr.write("Terminated; envs not finished will be rebuilt by the next sync.\n")
            raise typer.Exit(143) from None
        except KeyboardInterrupt:
            sys.stderr.write("Interrupted; envs not finished will be rebuilt by the next sync.\n")
            raise typer.Exit(130) from None


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so that the sync cleans up the same way."""


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Ctrl-C or a kill (SIGTERM) during a sync ends it: installers stopped, no env marked.

    The first signal raises; those after it are ignored until ws has exited, since the sync is
    ending already: one more would cut short the cleanup that stops the installers, or kill ws
    by the signal during its exit instead of ending it with 130 (143). Ignored at the OS level:
    Python's exit puts back the default action of a signal that has a Python handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    interrupted: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        interrupted.append(signum)
        for ours in previous:
            signal.signal(ours, signal.SIG_IGN)
        raise _Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # as `nohup` or `cmd &` left it
                previous[signum] = signal.signal(signum, interrupt)
        yield
    finally:
        if not interrupted:  # an interrupted ws is exiting: the signals stay ignored
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _print_failures(report: SyncReport) -> None:
    for result in report.failed:
        _common.print_error(f"{result.name}: {result.error}")


def _print_summary(report: SyncReport, seconds: float) -> None:
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    parts = [
        f"{counts[s]} {s}"
        for s in ("created", "updated", "unchanged", "external", "failed")
        if s in counts
    ]
    total = len(report.results)
    noun = "project" if total == 1 else "projects"
    lines = [f"Synced {total} {noun} in {seconds:.2f} s: {', '.join(parts) or 'nothing to do'}."]
    if report.pruned is not None:
        lines += [f"Pruned {path}" for path in report.pruned.deleted]
        lines += [
            f"Kept {path}: ws did not create it (no ws-env.json says so), so it is not deleted"
            for path in report.pruned.kept
        ]
    # Plain text: a no-op sync must not pay for importing Rich.
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _json_row(result: ProjectResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "status": result.status,
        "python": result.python,
        "seconds": round(result.seconds, 3),
        "error": result.error,
    }
