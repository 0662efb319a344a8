"""What `ws list projects` and the read commands say of an env: ready, stale, missing, failed or
external, and why; and the record of a sync that failed (kept in ws's cache, not the project)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ws.envs.environment import Environment, read_marker, venv_python_version
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
    """Ready, stale (and why), missing, or failed (an install failed or was cut short). Cheap.

    `interpreter` is the one the project's request resolves to, None if none was found. An
    external env (Dagster's `executable_path`, a dg project's .venv) is never built by ws.
    """
    if project.external_python is not None:
        exists = project.external_python.exists()
        return EnvState("external", None if exists else f"{project.external_python} is missing")
    failure = read_failure(project.venv)
    marker = read_marker(project.venv)
    if marker is None:
        if venv_python_version(project.venv):  # a virtual environment another tool made
            why = failure.gist if failure else "made by another tool; `ws sync` takes it over"
            return EnvState("stale", why)
        if failure is not None:
            return EnvState("failed", failure.headline)
        return EnvState("missing", "not built yet")
    if not marker.ready:
        return EnvState("failed", failure.headline if failure else "the last build did not finish")
    if failure is not None and not failure.env_intact:
        return EnvState("failed", failure.headline)
    if interpreter is None:
        return EnvState("stale", "its interpreter is not found")
    plan = Environment(project, interpreter).plan()
    if plan.action == "none":
        return EnvState("ready")
    if failure is not None:
        return EnvState("stale", f"last sync failed: {failure.gist}")
    return EnvState("stale", plan.reason)


@dataclass(frozen=True)
class Failure:
    """The last sync's error for an env; `env_intact` when it came before anything was installed."""

    message: str
    env_intact: bool

    @property
    def headline(self) -> str:
        return self.message.splitlines()[0] if self.message else "the last sync failed"

    @property
    def gist(self) -> str:
        """The installer's own reason, on one line (uv's error line and what it points to)."""
        lines = [
            line.strip(" \u2570\u2500\u25b6\u00d7").strip() for line in self.message.splitlines()
        ]
        reason = " ".join(line for line in lines[1:4] if line) or self.headline
        return reason if len(reason) <= 200 else reason[:197] + "..."


def sync_warning(project: Project) -> str | None:
    """A line for commands that use the env although its last sync failed (before it installed
    anything, so the env still works as last built)."""
    failure = read_failure(project.venv)
    if failure is None or not failure.env_intact:
        return None
    return (
        f"{project.name}: the last sync failed ({failure.gist}); using its environment as last "
        f"built; fix it and run `ws sync {project.name}`"
    )


def record_failure(venv: Path, message: str, *, env_intact: bool = False) -> None:
    """Remember that the last sync of this env failed."""
    document = {"version": 1, "error": message, "env_intact": env_intact}
    write_atomic(_failure_path(venv), json.dumps(document) + "\n")


def clear_failure(venv: Path) -> None:
    _failure_path(venv).unlink(missing_ok=True)


def read_failure(venv: Path) -> Failure | None:
    """The last sync's error for this env, if it failed."""
    try:
        data = json.loads(_failure_path(venv).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    return Failure(error if isinstance(error, str) else "", data.get("env_intact") is True)


def _failure_path(venv: Path) -> Path:
    return cache_dir() / "failures" / f"{path_key(venv)}.json"
