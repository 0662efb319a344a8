"""`ws ui`'s bridge location: the workspace's ws-defs projects in Dagster's UI, as asset specs.

ws-defs projects have no Dagster code to serve, but ws knows their snapshots (loaded by the shim
in each project's own env, from the snapshot cache when nothing changed). `ws ui` writes them to
`.ws/bridge/snapshots.json` with `ws_defs_bridge.py` beside it, and one workspace.yaml entry,
`ws-defs`, runs that module in the tool env: one location whose assets are every ws-defs
project's, their deps pointing at any location's assets, so the UI draws one graph.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.files import write_if_changed
from ws.loading.model import LocationResult

LOCATION_NAME = "ws-defs"
MODULE = Path(__file__).with_name("ws_defs_bridge.py")


@dataclass(frozen=True)
class Bridge:
    """The files of the bridge location and what it serves."""

    folder: Path  # .ws/bridge
    projects: tuple[str, ...]  # the ws-defs projects whose assets it serves

    @property
    def module(self) -> Path:
        return self.folder / MODULE.name

    def entry(self, python: Path) -> dict[str, Any]:
        """Its workspace.yaml entry: the module, run by the tool env's python."""
        return {
            "python_file": {
                "relative_path": str(self.module),
                "working_directory": str(self.folder),
                "executable_path": str(python),
                "location_name": LOCATION_NAME,
            }
        }


def write_bridge(folder: Path, results: Sequence[LocationResult]) -> Bridge:
    """Write the bridge's module and the snapshots of the projects that loaded; rewritten only
    where the bytes change, so a code server that is already running sees the same file."""
    projects = []
    for result in results:
        if not result.ok or result.snapshot is None:
            continue
        assets = [asset.to_json() for asset in result.snapshot.assets]
        projects.append({"name": result.name, "assets": assets})
    document = {"version": 1, "projects": projects}
    write_if_changed(folder / "snapshots.json", json.dumps(document, indent=2) + "\n")
    write_if_changed(folder / MODULE.name, MODULE.read_text(encoding="utf-8"))
    return Bridge(folder, tuple(str(p["name"]) for p in projects))
