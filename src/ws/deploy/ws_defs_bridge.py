"""The bridge location: ws-defs projects' assets as Dagster asset specs, for `ws ui`.

Not imported by ws. `ws ui` copies this file to `.ws/bridge/` with `snapshots.json` beside it
(the ws-defs projects' snapshots, as ws's loader read them in each project's own env), and
Dagster's code server loads it in ws's tool env, which has dagster. Each asset becomes an
`AssetSpec` (key, deps, group, owners, description, kinds, metadata), so the webserver draws one
asset graph for the whole workspace: a dependency on another location's asset is an edge to it.
Dagster validates names more strictly than ws-defs does; what it would refuse is adapted (a group
`team-a` is `team_a`, an owner `team-a` is `team:team-a`) and said in the spec's description,
never dropped silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dagster as dg

_SNAPSHOTS = Path(__file__).with_name("snapshots.json")
_NAME = re.compile(r"[^A-Za-z0-9_]")
_KINDS = 3  # Dagster shows at most three kinds per asset


def _group(name: str | None) -> str:
    cleaned = _NAME.sub("_", name or "default")
    return cleaned if cleaned and not cleaned[0].isdigit() else f"g_{cleaned}"


def _owner(owner: str) -> str:
    return owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"


def _metadata(values: dict[str, Any] | None) -> dict[str, Any]:
    """Metadata Dagster can show: text, numbers, booleans as they are; anything else as JSON."""
    shown: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if value is None or isinstance(value, (str, int, float, bool)):
            shown[str(key)] = value
        else:
            shown[str(key)] = dg.MetadataValue.json(value)
    return shown


def _spec(project: str, asset: dict[str, Any]) -> Any:
    description = asset.get("description") or ""
    group = _group(asset.get("group"))
    if group != asset.get("group", "default"):
        description += f"\n\n(ws-defs group `{asset.get('group')}`, shown as `{group}`)"
    metadata = _metadata(asset.get("metadata"))
    metadata["ws/project"] = project
    if asset.get("source"):
        metadata["ws/source"] = asset["source"]
    return dg.AssetSpec(
        key=dg.AssetKey(asset["key"].split("/")),
        deps=[dg.AssetKey(dep.split("/")) for dep in asset.get("deps", [])],
        group_name=group,
        owners=[_owner(owner) for owner in asset.get("owners", [])],
        description=description.strip() or None,
        kinds=set(list(asset.get("kinds") or [])[:_KINDS]) or None,
        metadata=metadata,
    )


def _specs() -> list[Any]:
    document = json.loads(_SNAPSHOTS.read_text(encoding="utf-8"))
    return [
        _spec(project["name"], asset)
        for project in document["projects"]
        for asset in project["assets"]
    ]


defs = dg.Definitions(assets=_specs())
