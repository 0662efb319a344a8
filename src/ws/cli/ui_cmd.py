"""`ws ui`: parse, call ws.deploy (tool env, workspace.yaml, `dagster dev`), print what it did."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from ws.deploy.bridge import Bridge
    from ws.deploy.tool_env import ToolEnv
    from ws.deploy.ui import UiPlan
    from ws.loading.model import LocationResult
    from ws.workspace.model import Project, Workspace


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
    ws-defs projects appear as asset specs of one location, ws-defs, so the UI shows one asset
    graph. Projects whose env is not built are left out (run `ws sync`). Ctrl-C stops
    everything.
    """
    from ws.deploy.ui import serve

    workspace = _common.load_workspace()
    projects = workspace.select(names or [], owner=owner, cwd=Path.cwd())
    prepared = prepare_ui(workspace, projects, say=_say)
    _say(f"starting dagster dev for {prepared.served}")
    code = serve(
        prepared.plan,
        prepared.env,
        host=host,
        port=port,
        on_ready=lambda url: _say(f"Dagster UI: {url}"),
    )
    if code:
        raise typer.Exit(code)


@dataclass(frozen=True)
class PreparedUi:
    """What `dagster dev` needs, ready: the plan, the tool env built, workspace.yaml written."""

    plan: UiPlan
    env: ToolEnv
    bridge: Bridge | None
    bridged: tuple[LocationResult, ...]  # the ws-defs projects' loads, for the bridge

    @property
    def served(self) -> str:
        names = [location.name for location in self.plan.locations]
        if self.bridge is not None:
            names.append(f"ws-defs ({', '.join(self.bridge.projects)})")
        return ", ".join(names)


def prepare_ui(
    workspace: Workspace, projects: list[Project], *, say: Callable[[str], None]
) -> PreparedUi:
    """Plan the locations, build the tool env (once), write the bridge and workspace.yaml;
    `say` gets a line per project left out and per build stage (`ws ui` and `ws dev --ui`)."""
    from ws.deploy.tool_env import ensure_tool_env, tool_env
    from ws.deploy.ui import plan_ui, write_workspace_yaml
    from ws.errors import ProjectFailed

    plan = plan_ui(workspace, projects)
    for entry in plan.left:
        say(f"left out {entry.name}: {entry.reason}")
    if not plan.locations and not plan.bridged:
        raise ProjectFailed("no Dagster or ws-defs project with a built env to serve; see above.")
    env = tool_env(workspace, plan.locations)
    stages = {"waiting": "waiting for another ws to build", "creating": "building"}

    def on_stage(stage: str) -> None:
        if stage in stages:
            say(f"{stages[stage]} {env.venv} (dagster{env.requirement}, from {env.source})")

    ensure_tool_env(env, on_stage=on_stage)
    bridge, bridged = _bridge(workspace, plan, say)
    write_workspace_yaml(plan, bridge, env.python)
    return PreparedUi(plan, env, bridge, bridged)


def _bridge(
    workspace: Workspace, plan: UiPlan, say: Callable[[str], None]
) -> tuple[Bridge | None, tuple[LocationResult, ...]]:
    """The ws-defs projects' snapshots (from cache where nothing changed) in the bridge's
    folder; one that does not load is left out, with its error."""
    if not plan.bridged:
        return None, ()
    from ws.deploy.bridge import write_bridge
    from ws.loading.locations import load_project_locations

    results = load_project_locations(
        workspace, list(plan.bridged), jobs=os.cpu_count() or 1, timeout=workspace.timeout
    )
    for result in results:
        if not result.ok and result.error is not None:
            say(f"left out {result.name}: {result.error.kind}: {result.error.message}")
    return write_bridge(plan.bridge_folder, results), tuple(results)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
