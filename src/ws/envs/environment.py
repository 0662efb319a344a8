"""One project's environment: where it is, what it is built from, and whether it is current.

The only code that knows an env's layout (`env_root`, `env_python`) and reads or writes its marker
`ws-env.json`. The marker says two things: ws built this folder (so `--prune` and `ws remove
--delete-env` may delete it), and what it was built from (the fingerprint). It is deleted before
an env is touched and written last, atomically, so an env that carries it is complete: an
interrupted build leaves none and the next sync redoes the work. Checking the fingerprint hashes
a few files and reads one JSON file: no subprocess, no virtualenv import.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ws.envs.defs_wheel import defs_package
from ws.files import write_atomic

if TYPE_CHECKING:
    from ws.pythons.discovery import Interpreter
    from ws.workspace.model import Project

ENV_MARKER = "ws-env.json"
MARKER_VERSION = 1
LOCK_FILE = "uv.lock"
BIN = "Scripts" if os.name == "nt" else "bin"
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
        self.python = env_python(project)

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


def env_root(project: Project) -> Path:
    """The env's folder: the project's venv, or for an external interpreter the env holding it."""
    if project.external_python is not None:
        return project.external_python.parent.parent  # <env>/bin/python, not resolved
    return project.venv


def env_python(project: Project) -> Path:
    """The interpreter of the project's env: its external one, else the one ws builds."""
    return project.external_python or project.venv / BIN / "python"


def is_built(project: Project) -> bool:
    """Whether the env can be used: built by ws to the end (marked), or an external one that exists."""
    if project.external_python is None and not (project.venv / ENV_MARKER).is_file():
        return False
    return env_python(project).exists()


def built_by_ws(venv: Path) -> bool:
    """Whether ws built this folder (it carries the marker), so ws may delete it."""
    return (venv / ENV_MARKER).is_file()


def content_key(project: Project) -> bytes:
    """What changes whenever the env's installed packages may have changed (for cache keys).

    ws's own env: its marker, rewritten by every build. An external env, which ws never marks:
    installing, removing or upgrading a package adds or renames entries in site-packages, which
    changes that folder's mtime; a recreated env gets a new pyvenv.cfg.
    """
    if project.external_python is None:
        try:
            return (project.venv / ENV_MARKER).read_bytes()
        except OSError:
            return b"no env marker"
    root = env_root(project)
    parts = []
    for path in [root / "pyvenv.cfg", *sorted(root.glob("lib/python*/site-packages"))]:
        try:
            stat = path.stat()
        except OSError:
            continue
        parts.append(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n")
    return "".join(parts).encode()


def read_marker(venv: Path) -> dict[str, Any] | None:
    """The marker's contents, or None when there is none (or it is not ws's JSON)."""
    try:
        data = json.loads((venv / ENV_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "fingerprint" in data else None


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
