"""`ws export`: parse, call ws.deploy.export, print a line per file and per project left out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.deploy.export import ExportReport

_SAID = {
    "written": "wrote",
    "removed": "removed",
    "differs": "differs:",
    "missing": "missing:",
    "stale": "would remove:",
}


def export(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to write: workspace, docker, compose, helm. Default: all.",
            metavar="[TARGET]...",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="The folder to write, inside the workspace. Default: deploy/."),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(help="Image registry, e.g. ghcr.io/acme. Default: [workspace] registry."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(help="Tag of every image. Default: each project's version."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 naming each file that is not as ws would write it.",
        ),
    ] = False,
) -> None:
    """Write the files that deploy the workspace's Dagster projects: workspace.yaml (a gRPC
    code server per project), a Dockerfile per project (on its Python, installing exactly its
    uv.lock or, without one, its env's pins), a compose file (as Dagster's deploy_docker
    example) and values.yaml for Dagster's Helm chart.

    compose also writes workspace.yaml and the Dockerfiles it builds. Files are the same on
    every machine and start with a line naming the command that rewrites them; files ws wrote
    that no project needs any more are removed. Projects that are not Dagster projects are
    left out, with the reason. Exit 1 when a project could not be exported, or with --check
    when a file is out of date.
    """
    from ws.deploy.export import export as run_export

    workspace = _common.load_workspace()
    report = run_export(workspace, targets or [], out=out, registry=registry, tag=tag, check=check)
    _print(report)
    if report.failed or (check and report.out_of_date):
        raise typer.Exit(1)


def _print(report: ExportReport) -> None:
    lines = [f"left out {entry.name}: {entry.reason}" for entry in report.left if not entry.failed]
    lines += [
        f"{_SAID[result.status]} {result.path}" for result in report.files if result.status in _SAID
    ]
    lines += [f"note: {note}" for note in report.notes]
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    for entry in report.failed:
        _common.print_error(f"{entry.name}: {entry.reason}")
    sys.stdout.write(_summary(report) + "\n")


def _summary(report: ExportReport) -> str:
    count = len(report.locations)
    projects = f"{count} Dagster project{'' if count == 1 else 's'}"
    if report.check:
        stale = len(report.out_of_date)
        if stale:
            files = f"{stale} file{' is' if stale == 1 else 's are'}"
            return f"{files} out of date in {report.out}/; `ws export` rewrites them."
        return f"{report.out}/ is up to date for {projects}."
    tally: dict[str, int] = {}
    for result in report.files:
        tally[result.status] = tally.get(result.status, 0) + 1
    parts = [f"{tally[s]} {s}" for s in ("written", "unchanged", "removed") if s in tally]
    return f"Exported {projects} to {report.out}/: {', '.join(parts) or 'no files'}."
