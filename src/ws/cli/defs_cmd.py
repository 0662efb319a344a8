"""`ws list defs` and `ws check`: load every selected project's definitions and show them."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.cli._table import Styles
    from ws.loading.model import LocationResult, Snapshot
    from ws.loading.problems import Problem

Names = Annotated[
    list[str] | None,
    typer.Argument(
        help="Projects to load. Default: the one you stand in, else all.", show_default=False
    ),
]
Owner = Annotated[str | None, typer.Option(help="Load the projects of this owner (team).")]
Json = Annotated[
    bool, typer.Option("--json", help="Print the JSON document on stdout instead of tables.")
]
NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Load every project afresh, ignoring cached snapshots.")
]
Timeout = Annotated[
    float | None,
    typer.Option(
        help="Seconds one project may take to load. Default: [workspace] timeout, else 60."
    ),
]
Jobs = Annotated[
    int | None, typer.Option(help="Projects loaded at once. Default: the number of CPUs.")
]


def list_defs(
    names: Names = None,
    owner: Owner = None,
    json_output: Json = False,
    no_cache: NoCache = False,
    timeout: Timeout = None,
    jobs: Jobs = None,
) -> None:
    """Show each project's assets, checks, jobs, schedules, sensors and resources, side by side.

    Each project is loaded by a small shim running in its own environment; nothing of it is
    imported into ws. Writes only the snapshot cache under .ws/. Exit 1 if a project failed to load.
    """
    results, problems = _load(names, owner, no_cache, timeout, jobs, verdict=False)
    if json_output:
        from ws.loading.problems import defs_document

        _common.print_json(defs_document(results, problems))
    else:
        from ws.cli._table import line_width

        sys.stdout.write(_report(results, problems, line_width()))
    if any(not result.ok for result in results):
        raise typer.Exit(1)


def check(
    names: Names = None,
    owner: Owner = None,
    json_output: Json = False,
    no_cache: NoCache = False,
    timeout: Timeout = None,
    jobs: Jobs = None,
) -> None:
    """Load every project and check the workspace: load errors, duplicate asset keys, dangling
    dependencies, schedules and sensors on missing jobs. Exit 0 only when all is well."""
    results, problems = _load(names, owner, no_cache, timeout, jobs, verdict=True)
    failed = [result for result in results if not result.ok]
    if json_output:
        from ws.loading.problems import defs_document

        _common.print_json(defs_document(results, problems))
    else:
        from ws.cli import _table

        width, style = _table.line_width(), _table.Styles()
        loaded = len(results) - len(failed)
        verdict = f"{_count(loaded, 'location')} loaded, {len(failed)} failed, {_count(len(problems), 'problem')}"
        colour = "green" if not failed and not problems else "red"
        report = _report(failed, problems, width, style)
        lines = _table.fold(style(verdict, colour), width)
        sys.stdout.write(report + ("\n" if report else "") + "".join(f"{x}\n" for x in lines))
    if failed or problems:
        raise typer.Exit(1)


def _load(
    names: list[str] | None,
    owner: str | None,
    no_cache: bool,
    timeout: float | None,
    jobs: int | None,
    *,
    verdict: bool,
) -> tuple[list[LocationResult], list[Problem]]:
    """Load the selected projects; `verdict` (ws check) also loads what problems need of the rest."""
    from ws.envs.state import sync_warning
    from ws.errors import ConfigError
    from ws.loading.locations import load_project_locations, workspace_problems

    if timeout is not None and timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds.")
    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs must be 1 or more.")
    workspace = _common.load_workspace()
    projects = workspace.select(names or [], owner=owner, cwd=Path.cwd())
    if not projects:  # on stderr: --json output stays the (empty) document
        _common.warn(f"{workspace.config_path} lists no projects yet; add one with `ws add NAME`.")
    for warning in filter(None, map(sync_warning, projects)):  # stale, but still working
        _common.warn(warning)
    jobs = jobs or os.cpu_count() or 1
    timeout = timeout or workspace.timeout
    results = load_project_locations(
        workspace, projects, jobs=jobs, timeout=timeout, use_cache=not no_cache
    )
    problems = workspace_problems(
        workspace, results, load_others=verdict, jobs=jobs, timeout=timeout
    )
    return results, problems


def _report(
    locations: Sequence[LocationResult],
    problems: Sequence[Problem],
    width: int | None,
    style: Styles | None = None,
) -> str:
    """All locations and problems as aligned lines fitting `width` (None: unlimited), written
    at once. Headlines, messages and problems fold between words (`cli/_table.py`).

    Plain aligned rows, written without Rich: laying out a Rich Table per location took most of
    a cached `ws list defs` of fifty projects, and importing Rich a tenth of it (see
    docs/benchmarks.md).
    """
    from ws.cli import _table

    style = style or _table.Styles()
    lines: list[str] = []
    for location in locations:
        if location.snapshot is not None and location.error is None:
            lines += _location_lines(location.snapshot, width, style)
        else:
            lines += _error_lines(location, width, style)
    for problem in problems:
        lines += _table.fold(style("problem: ", "bold yellow") + problem.message, width)
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def _location_lines(location: Snapshot, width: int | None, style: Styles) -> list[str]:
    """A location's headline, then a row per definition: kind, name (whole), details (folding
    in their column, or under the row when the names leave them too little room)."""
    from ws.cli._table import Column, fold, table

    target = f"{location.module}:{location.attribute}"
    timing = f"Python {location.python}, {location.load_ms} ms"
    lines = fold(f"{style(location.name, 'bold')}  {target}  {style(timing, 'dim')}", width)
    columns = [Column(), Column(), Column(breaks=" /", moves=True, min_width=16)]
    rows = [
        [style(f"  {kind:<8}", "dim"), style(name, "bold"), details]
        for kind, name, details in _rows(location)
    ]
    return [*lines, *table(columns, rows, width, style), ""]


def _rows(location: Snapshot) -> list[tuple[str, str, str]]:
    rows = [
        ("asset", a.key, f"group {a.group}; deps {', '.join(a.deps) or '-'}")
        for a in location.assets
    ]
    rows += [("check", c.name, f"on {c.asset}") for c in location.asset_checks]
    rows += [("job", j.name, ", ".join(j.assets) or "-") for j in location.jobs]
    rows += [("schedule", s.name, f"{s.cron} -> {s.job}") for s in location.schedules]
    rows += [("sensor", s.name, f"-> {s.job}" if s.job else "") for s in location.sensors]
    rows += [("resource", r.name, r.type) for r in location.resources]
    return rows


def _error_lines(location: LocationResult, width: int | None, style: Styles) -> list[str]:
    from ws.cli._table import fold
    from ws.loading.model import LoadError

    error = location.error or LoadError("crashed", "no snapshot and no error")
    headline, _, details = error.message.partition("\n")
    name, kind = style(location.name, "bold"), style(f"{error.kind}:", "bold red")
    lines = fold(f"{name}  {kind} {headline}", width)
    for line in details.splitlines():  # a crash's or a timeout's stderr tail, set off under it
        lines += fold(style(f"    {line}", "dim"), width)
    if _common.options.verbose and error.traceback:  # the user's frames (the shim hid its own)
        lines += [style(f"    {line}", "dim") for line in error.traceback.rstrip().splitlines()]
    return lines


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
