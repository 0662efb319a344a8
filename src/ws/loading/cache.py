"""Reuse a project's last snapshot while nothing it was loaded from has changed.

The key is the env marker (its fingerprint covers interpreter and dependencies) plus the path,
mtime and size of every `.py` file under the project's package folders and its pyproject.toml:
stat calls only, so a warm `ws list defs` starts no interpreter and reads no source file.
The cache lives in `<workspace>/.ws/snapshots.json`, versioned, written atomically. Two ws
processes may write it (`ws dev` keeps it current while a listing runs): `save()` merges what this
one changed into the file as it is then, so neither loses the other's projects.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from ws.digest import sha256
from ws.envs.environment import content_key
from ws.files import write_atomic
from ws.loading.model import LoadError, LocationResult, Snapshot, SnapshotError
from ws.workspace.model import Project, Workspace

log = logging.getLogger("ws")

CACHE_VERSION = 1
# Failures worth remembering: the same files give the same error. A timeout or a crash may not.
_CACHEABLE_ERRORS = {
    "import_error",
    "no_definitions",
    "multiple_definitions",
    "invalid_definitions",
}


class SnapshotCache:
    """The workspace's cached outcomes; one instance may be shared by threads (`ws dev`)."""

    def __init__(self, workspace: Workspace) -> None:
        self.path = workspace.root / ".ws" / "snapshots.json"
        self._lock = threading.Lock()  # _entries and _changed, and one save at a time
        self._entries: dict[str, Any] = self._read()
        self._changed: set[str] = set()  # the projects put() since the last save()

    def get(self, project: Project) -> LocationResult | None:
        """The cached outcome (a snapshot or a user-code error), if still valid."""
        entry = self._entries.get(project.name)
        if not isinstance(entry, dict) or entry.get("key") != source_key(project):
            return None
        return _outcome(entry.get("outcome"), project.name)

    def put(self, project: Project, result: LocationResult, *, key: str | None = None) -> None:
        """Remember a load's outcome (forget the project, for a timeout or a crash) until `save()`.

        `key` is `source_key(project)` taken before the load began, so that a file saved during
        the load is not taken as loaded; default: the key now.
        """
        entry = None
        if result.error is None or result.error.kind in _CACHEABLE_ERRORS:
            outcome = {
                "snapshot": result.snapshot.to_json() if result.snapshot else None,
                "error": result.error.to_json() if result.error else None,
            }
            entry = {"key": key or source_key(project), "outcome": outcome}
        with self._lock:
            if entry is None:
                self._entries.pop(project.name, None)
            else:
                self._entries[project.name] = entry
            self._changed.add(project.name)

    def save(self) -> None:
        """Write what was put since the last save, merged into the file as it is now."""
        with self._lock:
            if not self._changed:
                return
            entries = self._read()
            for name in self._changed:
                if name in self._entries:
                    entries[name] = self._entries[name]
                else:
                    entries.pop(name, None)
            self._entries, self._changed = entries, set()
            document = {"version": CACHE_VERSION, "projects": entries}
            try:
                write_atomic(self.path, json.dumps(document, separators=(",", ":")))
            except OSError as exc:  # a read-only workspace still lists: it only loads afresh
                log.debug("cannot write the snapshot cache %s: %s", self.path, exc)

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("version") != CACHE_VERSION:
            return {}  # an older or foreign format: start afresh rather than misread it
        projects = document.get("projects")
        return projects if isinstance(projects, dict) else {}


def _outcome(outcome: object, name: str) -> LocationResult | None:
    """A cached outcome as this ws wrote it for this project; anything else (a hand edit, an
    older format) is a miss."""
    if not isinstance(outcome, dict):
        return None
    snapshot, error = outcome.get("snapshot"), outcome.get("error")
    try:
        if error is not None:
            return (
                None
                if snapshot is not None
                else LocationResult(name, None, LoadError.from_json(error))
            )
        if isinstance(snapshot, dict):
            parsed = Snapshot.from_json(snapshot)
            return LocationResult(name, parsed, None) if parsed.name == name else None
    except SnapshotError:
        return None
    return None


def source_key(project: Project) -> str:
    """A digest of the env marker and the stat of every file the project's definitions come from."""
    digest = sha256(content_key(project))
    for path in _source_files(project):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


def _source_files(project: Project) -> list[Path]:
    """The project's pyproject.toml and its code, and the same of each local library (editable
    or not, an edit there changes what the definitions import)."""
    roots = [(project.root, project.code_paths())]
    roots += [(lib.path, lib.code_paths()) for lib in project.libraries]
    files = []
    for root, folders in roots:
        files.append(root / "pyproject.toml")
        for folder in folders:
            if folder.is_file():
                files.append(folder)
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(
                    d for d in dirnames if d != "__pycache__" and not d.startswith(".")
                )
                files.extend(
                    Path(dirpath, name) for name in sorted(filenames) if name.endswith(".py")
                )
    return files
