"""A project's local libraries: folders with a pyproject.toml that it depends on by path.

Three spellings, as uv reads them: a `[tool.uv.sources]` entry with `path` (editable only when
it says so) or `workspace = true` (a member of the uv workspace above, editable), and a PEP 508
`name @ file:///...` reference (`${PROJECT_ROOT}` allowed). Only sources of dependencies the
project declares count. Libraries may depend on libraries: the list is transitive, each once,
nearest first. A path that does not exist is an error naming the file and the path.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ws.errors import ConfigError
from ws.workspace.model import Library, normalize_name
from ws.workspace.toml import read_toml

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_DIRECT_REFERENCE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@\s*(\S+)")


def local_libraries(root: Path, meta: dict[str, Any]) -> tuple[Library, ...]:
    """The libraries the project in `root` (its pyproject.toml read as `meta`) depends on by
    path, transitively; a ConfigError names a path that does not exist."""
    found: dict[Path, Library] = {}
    pending = [(root, meta)]
    while pending:
        folder, data = pending.pop(0)
        for library in _direct(folder, data):
            if library.path in found or library.path == root:
                continue
            found[library.path] = library
            pending.append((library.path, read_toml(library.path / "pyproject.toml")))
    return tuple(found.values())


def _direct(folder: Path, meta: dict[str, Any]) -> Iterator[Library]:
    pyproject = folder / "pyproject.toml"
    requirements = _requirements(meta)
    wanted = {normalize_name(name) for name in filter(None, map(_name, requirements))}
    sources = _table(_table(_table(meta, "tool"), "uv"), "sources")
    for name, source in sources.items():
        if normalize_name(name) not in wanted:
            continue
        for entry in source if isinstance(source, list) else [source]:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("path"), str):
                path = _existing(folder / os.path.expanduser(entry["path"]), name, pyproject)
                if path is not None:
                    yield Library(normalize_name(name), path, entry.get("editable") is True)
            elif entry.get("workspace") is True:
                yield Library(normalize_name(name), _member(folder, name, pyproject), True)
    for requirement in requirements:
        match = _DIRECT_REFERENCE.match(requirement)
        if match and match[3].startswith("file:"):
            url = match[3].replace("${PROJECT_ROOT}", folder.as_posix())
            path = _existing(Path(unquote(urlparse(url).path)), match[1], pyproject)
            if path is not None:
                yield Library(normalize_name(match[1]), path, False)


def _existing(path: Path, name: str, pyproject: Path) -> Path | None:
    """The library folder a path names; None for a wheel or an archive (not a library)."""
    path = Path(os.path.normpath(path.absolute()))
    if path.is_dir() and (path / "pyproject.toml").is_file():
        return path
    if path.is_file():
        return None
    raise ConfigError(
        f"{pyproject}: dependency {name!r} points at {path}, which "
        + ("has no pyproject.toml" if path.is_dir() else "does not exist")
        + "; fix its path in [tool.uv.sources] (or its `@ file://` reference), or restore it."
    )


def _member(folder: Path, name: str, pyproject: Path) -> Path:
    """The uv workspace member named `name`, from the workspace above `folder`."""
    for root in (folder, *folder.parents):
        candidate = root / "pyproject.toml"
        workspace = None
        if candidate.is_file():
            workspace = _table(_table(read_toml(candidate), "tool"), "uv").get("workspace")
        if not isinstance(workspace, dict):
            continue
        members = workspace.get("members") or []
        for pattern in members if isinstance(members, list) else []:
            for match in sorted(glob.glob(str(root / str(pattern)))):
                member = Path(match)
                declared = (
                    _table(read_toml(member / "pyproject.toml"), "project").get("name")
                    if (member / "pyproject.toml").is_file()
                    else None
                )
                if isinstance(declared, str) and normalize_name(declared) == normalize_name(name):
                    return Path(os.path.normpath(member.absolute()))
        break
    raise ConfigError(
        f"{pyproject}: dependency {name!r} is `workspace = true`, but no member of a uv "
        "workspace above it is named so; add it to [tool.uv.workspace] members, or fix the name."
    )


def _requirements(meta: dict[str, Any]) -> list[str]:
    project = _table(meta, "project")
    found = list(project.get("dependencies") or [])
    for extra in _table(project, "optional-dependencies").values():
        found += extra if isinstance(extra, list) else []
    for group in _table(meta, "dependency-groups").values():
        found += group if isinstance(group, list) else []
    return [r for r in found if isinstance(r, str)]


def _name(requirement: str) -> str | None:
    match = _REQUIREMENT_NAME.match(requirement)
    return match[1] if match else None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
