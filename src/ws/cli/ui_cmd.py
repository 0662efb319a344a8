"""`ws ui`: parse, call ws.deploy (tool env, workspace.yaml, `dagster dev`), print what it did."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ws.cli import _common


def ui(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Projects to serve. Default: the one you stand in, else all.", show_default=False
        ),
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Serve the projects of this owner (team).")
    ] = None,
    host: Annotated[str, typer.Option(help="The address the webserver listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The webserver's port.")] = 3000,
) -> None:
    """Run Dagster's UI (dagster dev: webserver and daemon) over the workspace's Dagster
    projects, each code location in its own env and Python.

    Builds a tool env with dagster and dagster-webserver under .ws/ (once; its version:
    [workspace] dagster, else the newest the projects use), writes .ws/workspace.yaml and
    prints the URL when the webserver answers. DAGSTER_HOME is .ws/dagster-home unless set.
    Projects whose env is not built are left out (run `ws sync`). Ctrl-C stops everything.
    """
    from ws.deploy.tool_env import ensure_tool_env, tool_env
    from ws.deploy.ui import plan_ui, serve, write_workspace_yaml
    from ws.errors import ProjectFailed

    workspace = _common.load_workspace()
    plan = plan_ui(workspace, workspace.select(names or [], owner=owner, cwd=Path.cwd()))
    for entry in plan.left:
        _say(f"left out {entry.name}: {entry.reason}")
    if not plan.locations:
        raise ProjectFailed("no Dagster project with a built env to serve; see above.")
    env = tool_env(workspace, plan.locations)
    stages = {"waiting": "waiting for another ws to build", "creating": "building"}

    def on_stage(stage: str) -> None:
        if stage in stages:
            _say(f"{stages[stage]} {env.venv} (dagster{env.requirement}, from {env.source})")

    ensure_tool_env(env, on_stage=on_stage)
    write_workspace_yaml(plan)
    names_served = ", ".join(location.name for location in plan.locations)
    _say(f"starting dagster dev for {names_served}")
    code = serve(plan, env, host=host, port=port, on_ready=lambda url: _say(f"Dagster UI: {url}"))
    if code:
        raise typer.Exit(code)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
