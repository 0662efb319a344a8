"""Which envs ws built for a workspace, and deleting them: `ws sync --prune`, `ws remove
--delete-env`. Only a folder that carries ws's marker is ever deleted.

`<workspace>/.ws/envs.json` records every env ws builds for the workspace, so that `--prune` can
find the envs of projects that are no longer listed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ws.envs.environment import ENV_MARKER, created_by_ws
from ws.envs.state import clear_failure
from ws.errors import ConfigError
from ws.files import beside, cache_dir, move_aside, path_key, write_atomic

if TYPE_CHECKING:
    from ws.workspace.model import Project, Workspace

RECORD = Path(".ws") / "envs.json"
_DELETING = ".ws-deleting"  # an env folder renamed away, being deleted
_RECORD_VERSION = 1


@dataclass(frozen=True)
class PruneResult:
    deleted: tuple[Path, ...]
    kept: tuple[Path, ...]  # recorded, but without ws's marker: never deleted


def prune_environments(workspace: Workspace) -> PruneResult:
    """Delete the recorded envs that no listed project uses, if they carry ws's marker."""
    in_use = {_normal(p.venv) for p in workspace.projects}
    roots = [_normal(p.root) for p in workspace.projects] + [_normal(workspace.root)]
    deleted: list[Path] = []
    kept: list[Path] = []
    with _record_locked(workspace):
        remaining = []
        for venv in _read_record(workspace):
            _finish_interrupted_delete(venv)
            if venv in in_use:
                remaining.append(venv)
            elif not venv.exists():
                continue
            elif not created_by_ws(venv) or any(r == venv or venv in r.parents for r in roots):
                kept.append(venv)
                remaining.append(venv)
            else:
                delete_environment(venv)
                deleted.append(venv)
        _write_record(workspace, remaining)
    return PruneResult(tuple(deleted), tuple(kept))


def remove_project(workspace: Workspace, project: Project, *, delete_env: bool) -> bool:
    """`ws remove`: drop the entry (never the folder); with `delete_env`, also the env ws built.

    Every check comes first, so a refusal changes nothing. Returns whether an env was deleted.
    """
    from ws.workspace import manage

    manage.check_editable(workspace)
    venv = deletable_environment(project) if delete_env else None
    manage.remove_project(workspace, project)
    if venv is None:
        return False
    delete_environment(venv)
    return True


def deletable_environment(project: Project) -> Path | None:
    """The env `ws remove --delete-env` may delete (None: there is none); a ConfigError when ws
    did not build it, so nothing is removed at all."""
    if project.external_python is not None:
        raise ConfigError(
            f"{project.name}'s environment is external ({project.external_python}); ws never "
            "deletes it. Run `ws remove` without --delete-env."
        )
    if not project.venv.exists():
        return None
    if not created_by_ws(project.venv):
        raise ConfigError(
            f"{project.venv} has no {ENV_MARKER} saying ws created it, so ws did not build it "
            "and will not delete it; delete it yourself if you are sure, or run `ws remove` "
            "without --delete-env."
        )
    return project.venv


def delete_environment(venv: Path) -> None:
    """Delete an env ws built, under its lock, and forget its last failure.

    The folder is renamed away first (one atomic step) and deleted under its new name, so an
    interrupted delete leaves no half env at the env's path: only a `.ws-deleting` folder beside
    it, which the next delete of that env or the next `ws sync --prune` removes (the record
    keeps naming the env until a prune finds it gone).
    """
    from ws.envs.locks import env_lock

    with env_lock(venv, on_wait=lambda: None):
        shutil.rmtree(move_aside(venv, _DELETING))
    clear_failure(venv)


def _finish_interrupted_delete(venv: Path) -> None:
    """Remove what an interrupted delete of `venv` left beside it (`ws sync --prune` comes by
    every env the workspace's record names, so none is left behind for good)."""
    shutil.rmtree(beside(venv, _DELETING), ignore_errors=True)


def record_envs(workspace: Workspace, projects: Sequence[Project]) -> None:
    """Add these projects' envs to the workspace's record (no write when all are known)."""
    known = set(_read_record(workspace))
    wanted = [_normal(p.venv) for p in projects if _normal(p.venv) not in known]
    if not wanted:
        return
    with _record_locked(workspace):
        current = _read_record(workspace)
        _write_record(workspace, current + [v for v in wanted if v not in current])


def _read_record(workspace: Workspace) -> list[Path]:
    try:
        data = json.loads((workspace.root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return []
    paths = data.get("environments", [])
    return [_normal(workspace.root / p) for p in paths if isinstance(p, str)]


def _write_record(workspace: Workspace, venvs: Sequence[Path]) -> None:
    root = _normal(workspace.root)
    paths = [
        v.relative_to(root).as_posix() if root in v.parents else str(v) for v in sorted(set(venvs))
    ]
    document = {"version": _RECORD_VERSION, "environments": paths}
    write_atomic(workspace.root / RECORD, json.dumps(document, indent=2) + "\n")


def _record_locked(workspace: Workspace) -> AbstractContextManager[None]:
    from ws.envs.locks import file_lock

    key = path_key(_normal(workspace.root))
    return file_lock(cache_dir() / "locks" / f"record-{key}.lock", on_wait=lambda: None)


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))
