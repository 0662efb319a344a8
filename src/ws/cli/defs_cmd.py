"""`ws list defs` and `ws check`: load every selected project's definitions and show them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.cli._common import Styles

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
        help="Seconds one project may take to load. Default: \\[workspace] timeout, else 60."
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
    document = _load(names, owner, no_cache, timeout, jobs, verdict=False)
    if json_output:
        _common.print_json(document)
    else:
        report = _report(document["locations"], document["problems"], _common.stdout_width())
        sys.stdout.write(report)
    if any(loc["status"] != "loaded" for loc in document["locations"]):
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
    document = _load(names, owner, no_cache, timeout, jobs, verdict=True)
    failed = [loc for loc in document["locations"] if loc["status"] != "loaded"]
    problems = document["problems"]
    if json_output:
        _common.print_json(document)
    else:
        style = _common.Styles()
        loaded = len(document["locations"]) - len(failed)
        verdict = f"{_count(loaded, 'location')} loaded, {len(failed)} failed, {_count(len(problems), 'problem')}"
        colour = "green" if not failed and not problems else "red"
        report = _report(failed, problems, _common.stdout_width(), style)
        sys.stdout.write(report + ("\n" if report else "") + style(verdict, colour) + "\n")
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
) -> dict[str, Any]:
    """Load the selected projects; `verdict` (ws check) also loads what problems need of the rest."""
    from ws.errors import ConfigError
    from ws.loading.locations import load_project_locations, workspace_problems
    from ws.loading.problems import defs_document

    if timeout is not None and timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds.")
    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs must be 1 or more.")
    workspace = _common.load_workspace()
    projects = workspace.select(names or [], owner=owner, cwd=Path.cwd())
    if not projects:  # on stderr: --json output stays the (empty) document
        _common.warn(f"{workspace.config_path} lists no projects yet; add one with `ws add NAME`.")
    jobs = jobs or os.cpu_count() or 1
    timeout = timeout or workspace.timeout
    results = load_project_locations(
        workspace, projects, jobs=jobs, timeout=timeout, use_cache=not no_cache
    )
    problems = workspace_problems(
        workspace, results, load_others=verdict, jobs=jobs, timeout=timeout
    )
    return defs_document(results, problems)


def _report(
    locations: list[dict[str, Any]],
    problems: list[dict[str, Any]],
    width: int,
    style: Styles | None = None,
) -> str:
    """All locations and problems as aligned lines, rows fitting in `width`, written at once.

    Plain aligned rows, written without Rich: laying out a Rich Table per location took most of
    a cached `ws list defs` of fifty projects, and importing Rich a tenth of it (see
    docs/benchmarks.md). Headlines and messages are left whole: the terminal folds them.
    """
    style = style or _common.Styles()
    lines: list[str] = []
    for location in locations:
        if location["status"] == "loaded":
            lines += _location_lines(location, width, style)
        else:
            lines += _error_lines(location, style)
    for problem in problems:
        lines.append(style("problem: ", "bold yellow") + problem["message"])
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def _location_lines(location: dict[str, Any], width: int, style: Styles) -> list[str]:
    target = f"{location['module']}:{location['attribute']}"
    timing = f"Python {location['python']}, {location['load_ms']} ms"
    lines = [f"{style(location['name'], 'bold')}  {target}  {style(timing, 'dim')}"]
    rows = _rows(location)
    name_width = max((len(name) for _, name, _ in rows), default=0)
    indent = 2 + 8 + 2 + name_width + 2  # where details start
    for kind, name, details in rows:
        first, *more = _common.wrap(details, width - indent)
        kind_cell = style(f"  {kind:<8}", "dim")
        lines.append(f"{kind_cell}  {style(name.ljust(name_width), 'bold')}  {first}".rstrip())
        lines += [" " * indent + line for line in more]
    return [*lines, ""]


def _rows(location: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [
        ("asset", a["key"], f"group {a['group']}; deps {', '.join(a['deps']) or '-'}")
        for a in location["assets"]
    ]
    rows += [("check", c["name"], f"on {c['asset']}") for c in location["asset_checks"]]
    rows += [("job", j["name"], ", ".join(j["assets"]) or "-") for j in location["jobs"]]
    rows += [("schedule", s["name"], f"{s['cron']} -> {s['job']}") for s in location["schedules"]]
    rows += [
        ("sensor", s["name"], f"-> {s['job']}" if s.get("job") else "") for s in location["sensors"]
    ]
    rows += [("resource", r["name"], r.get("type") or "") for r in location["resources"]]
    return rows


def _error_lines(location: dict[str, Any], style: Styles) -> list[str]:
    error = location["error"]
    headline, _, details = error["message"].partition("\n")
    name, kind = style(location["name"], "bold"), style(f"{error['kind']}:", "bold red")
    # a crash's or a timeout's stderr tail, set off under its location
    return [
        f"{name}  {kind} {headline}",
        *(style(f"    {line}", "dim") for line in details.splitlines()),
    ]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
