"""What `ws list projects` and the read commands say of an env: ready, stale, missing, failed or
external, and why; and the record of a sync that failed (kept in ws's cache, not the project)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ws.envs.environment import Environment, read_marker
from ws.files import cache_dir, path_key, write_atomic

if TYPE_CHECKING:
    from ws.pythons.discovery import Interpreter
    from ws.workspace.model import Project


@dataclass(frozen=True)
class EnvState:
    """How a project's env compares with what a sync would build."""

    state: Literal["ready", "stale", "missing", "failed", "external"]
    reason: str | None = None


def environment_state(project: Project, interpreter: Interpreter | None) -> EnvState:
    """Ready, stale (and what changed), missing, or failed (the last sync failed). Cheap.

    `interpreter` is the one the project's request resolves to, None if none was found. An
    external env (Dagster's `executable_path`, a dg project's .venv) is never built by ws.
    """
    if project.external_python is not None:
        exists = project.external_python.exists()
        return EnvState("external", None if exists else f"{project.external_python} is missing")
    failure = read_failure(project.venv)
    if failure is not None:
        return EnvState("failed", failure)
    if interpreter is None:
        if read_marker(project.venv) is None:
            return EnvState("missing", "not built yet")
        return EnvState("stale", "its interpreter is not found")
    plan = Environment(project, interpreter).plan()
    if plan.action == "none":
        return EnvState("ready")
    marker_missing = read_marker(project.venv) is None
    return EnvState("missing" if marker_missing else "stale", plan.reason)


def record_failure(venv: Path, message: str) -> None:
    """Remember that the last sync of this env failed."""
    write_atomic(_failure_path(venv), json.dumps({"version": 1, "error": message}) + "\n")


def clear_failure(venv: Path) -> None:
    _failure_path(venv).unlink(missing_ok=True)


def read_failure(venv: Path) -> str | None:
    """The first line of the last sync's error for this env, if it failed."""
    try:
        data = json.loads(_failure_path(venv).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error.splitlines()[0] if isinstance(error, str) and error else "the last sync failed"


def _failure_path(venv: Path) -> Path:
    return cache_dir() / "failures" / f"{path_key(venv)}.json"
