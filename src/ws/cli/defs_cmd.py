"""`ws list defs` and `ws check`: load every selected project's definitions and show them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from rich.console import Console

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
    document = _load(names, owner, no_cache, timeout, jobs, verdict=False)
    if json_output:
        _common.print_json(document)
    else:
        console = _common.stdout_console()
        for location in document["locations"]:
            _render_location(console, location)
        _render_problems(console, document["problems"])
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
        console = _common.stdout_console()
        for location in failed:
            _render_error(console, location)
        _render_problems(console, problems)
        loaded = len(document["locations"]) - len(failed)
        verdict = f"{_count(loaded, 'location')} loaded, {len(failed)} failed, {_count(len(problems), 'problem')}"
        style = "green" if not failed and not problems else "red"
        console.print(f"[{style}]{verdict}[/]")
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
    from ws.definitions import defs_document
    from ws.errors import ConfigError
    from ws.locations import load_project_locations, workspace_problems

    if timeout is not None and timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds.")
    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs must be 1 or more.")
    workspace = _common.load_workspace()
    projects = workspace.select(names or [], owner=owner, cwd=Path.cwd())
    jobs = jobs or os.cpu_count() or 1
    timeout = timeout or workspace.timeout
    results = load_project_locations(
        workspace, projects, jobs=jobs, timeout=timeout, use_cache=not no_cache
    )
    problems = workspace_problems(
        workspace, results, load_others=verdict, jobs=jobs, timeout=timeout
    )
    return defs_document(results, problems)


def _render_location(console: Console, location: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    if location["status"] != "loaded":
        _render_error(console, location)
        return
    # A line of its own, not the table's title: a title wraps at the (narrow) table's width.
    target = f"{location['module']}:{location['attribute']}"
    timing = f"Python {location['python']}, {location['load_ms']} ms"
    console.print(Text.assemble((location["name"], "bold"), "  ", target, "  ", (timing, "dim")))
    table = Table(show_edge=False, expand=False)
    table.add_column("kind", style="dim")
    table.add_column("name", style="bold")
    table.add_column("details", overflow="fold")
    for asset in location["assets"]:
        deps = ", ".join(asset["deps"]) or "-"
        table.add_row("asset", asset["key"], f"group {asset['group']}; deps {deps}")
    for item in location["asset_checks"]:
        table.add_row("check", item["name"], f"on {item['asset']}")
    for job in location["jobs"]:
        table.add_row("job", job["name"], ", ".join(job["assets"]) or "-")
    for schedule in location["schedules"]:
        table.add_row("schedule", schedule["name"], f"{schedule['cron']} -> {schedule['job']}")
    for sensor in location["sensors"]:
        table.add_row("sensor", sensor["name"], f"-> {sensor['job']}" if sensor.get("job") else "")
    for resource in location["resources"]:
        table.add_row("resource", resource["name"], resource.get("type") or "")
    console.print(table)
    console.print()


def _render_error(console: Console, location: dict[str, Any]) -> None:
    from rich.padding import Padding
    from rich.text import Text

    error = location["error"]
    headline, _, details = error["message"].partition("\n")
    console.print(
        Text.assemble(
            (location["name"], "bold"), "  ", (f"{error['kind']}: ", "bold red"), headline
        )
    )
    if details.strip():  # a crash's or a timeout's stderr tail: set off under its location
        console.print(Padding(Text(details, style="dim"), (0, 0, 0, 4)))


def _render_problems(console: Console, problems: list[dict[str, Any]]) -> None:
    from rich.text import Text

    for problem in problems:
        console.print(Text.assemble(("problem: ", "bold yellow"), problem["message"]))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
