"""One project's environment: where it is, what it is built from, and whether it is current.

The marker `ws-env.json` in the env says two things: ws built this folder (so `--prune` and
`ws remove --delete-env` may delete it), and what it was built from (the fingerprint). It is
deleted before an env is touched and written last, atomically, so an env that carries it is
complete: an interrupted build leaves none and the next sync redoes the work. Checking the
fingerprint hashes a few files and reads one JSON file: no subprocess, no virtualenv import.

Building (`ws.env_build`) and the cross-process locks (`ws.env_locks`) live apart, so that what
only asks whether envs are current (a `ws sync` with nothing to do, `ws list projects`) imports
neither. A failed sync is remembered here, in ws's cache, because it is part of an env's state.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ws import process
from ws.envs.defs_wheel import defs_package
from ws.errors import ProjectFailed
from ws.files import ENV_MARKER, cache_dir, path_key, write_atomic

if TYPE_CHECKING:
    from ws.pythons.interpreters import Interpreter
    from ws.workspace.model import Project

MARKER_VERSION = 1
LOCK_FILE = "uv.lock"
_BIN = "Scripts" if os.name == "nt" else "bin"
# Keys whose change means a new env, not a reinstall: the interpreter, or the env or project moved
# (scripts carry absolute shebangs, the editable install an absolute path).
_RECREATE_KEYS = ("interpreter", "venv", "project")
_REASONS = {
    "pyproject.toml": "pyproject.toml changed",
    LOCK_FILE: "uv.lock changed",
    "groups": "[tool.ws] groups changed",
    "ws-defs": "ws-defs changed",
    "venv": "environment moved",
    "project": "project moved",
}


@dataclass(frozen=True)
class EnvState:
    """How a project's env compares with what a sync would build (for `ws list projects`)."""

    state: Literal["ready", "stale", "missing", "failed", "external"]
    reason: str | None = None


@dataclass(frozen=True)
class Plan:
    """What a sync has to do: nothing, recreate the env, or reinstall into it, and why."""

    action: Literal["none", "create", "update"]
    reason: str | None = None


class Environment:
    """The env of one project on one interpreter."""

    def __init__(self, project: Project, interpreter: Interpreter) -> None:
        self.project = project
        self.interpreter = interpreter
        self.venv = project.venv
        self.marker = project.venv / ENV_MARKER
        self.python = project.venv / _BIN / "python"

    def fingerprint(self) -> dict[str, Any]:
        """Everything the env is built from; equal fingerprints mean nothing to do."""
        root = self.project.root
        return {
            "interpreter": {
                "executable": self.interpreter.executable,
                "version": self.interpreter.version,
            },
            "venv": str(self.venv),
            "project": str(root),
            "pyproject.toml": _file_hash(root / "pyproject.toml"),
            LOCK_FILE: _file_hash(root / LOCK_FILE),
            "groups": list(self.project.settings.groups),
            "ws-defs": defs_package().token,
        }

    def plan(self) -> Plan:
        """Compare the marker with the current fingerprint."""
        if self.project.external_python is not None:
            return Plan("none", "external: ws uses it as it is")
        marker = read_marker(self.venv)
        if marker is None:
            if (self.venv / "pyvenv.cfg").is_file():
                return Plan("create", "the last build did not finish")
            return Plan("create", "not built yet")
        if marker.get("version") != MARKER_VERSION:
            return Plan("create", "built by another version of ws")
        if not self.python.exists():
            return Plan("create", "its python is missing")
        return _compare(marker.get("fingerprint", {}), self.fingerprint())

    def write_marker(self) -> None:
        """Mark the env complete, with the fingerprint it was built from: a build's last step."""
        document = {
            "version": MARKER_VERSION,
            "project": self.project.name,
            "python": self.interpreter.version,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fingerprint": self.fingerprint(),
        }
        write_atomic(self.marker, json.dumps(document, indent=2) + "\n")


def read_marker(venv: Path) -> dict[str, Any] | None:
    """The marker's contents, or None when there is none (or it is not ws's JSON)."""
    try:
        data = json.loads((venv / ENV_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "fingerprint" in data else None


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
    """Remember that the last sync of this env failed (kept in ws's cache, not the project)."""
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


def activated_environ(venv: Path) -> dict[str, str]:
    """os.environ as `source <venv>/bin/activate` would leave it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "__PYVENV_LAUNCHER__")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / _BIN), env.get("PATH", "")])
    return env


def run_in_environment(venv: Path, command: Sequence[str]) -> int:
    """Run a command with the env active, on the terminal; return its exit code."""
    env = activated_environ(venv)
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        raise ProjectFailed(
            f"command {command[0]!r} is not in {venv / _BIN} nor on PATH; check its spelling, "
            "or add the package that provides it to the project's dependencies."
        )
    return process.run_foreground([executable, *command[1:]], env=env)


def _compare(old: dict[str, Any], new: dict[str, Any]) -> Plan:
    for key in _RECREATE_KEYS:
        if old.get(key) != new[key]:
            if key != "interpreter":
                return Plan("create", _REASONS[key])
            before, after = old.get(key) or {}, new[key]
            if before.get("version") != after["version"]:
                return Plan(
                    "create", f"interpreter changed {before.get('version')} -> {after['version']}"
                )
            return Plan(
                "create",
                f"interpreter changed {before.get('executable')} -> {after['executable']}",
            )
    changed = [key for key in new if key not in _RECREATE_KEYS and old.get(key) != new[key]]
    if changed:
        return Plan("update", ", ".join(_REASONS.get(key, f"{key} changed") for key in changed))
    return Plan("none")


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _failure_path(venv: Path) -> Path:
    return cache_dir() / "failures" / f"{path_key(venv)}.json"
