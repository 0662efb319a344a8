"""Dagster's own files, read as they are: a `dg.toml` workspace, and a project's Dagster target.

A folder whose `dg.toml` says `directory_type = "workspace"` works as a read-only ws workspace
when no ws.toml is found. Each `[[workspace.projects]]` folder becomes a ws.toml-style entry: named
by its `code_location_name` (default: the folder's name), its env at `<project>/.venv`, where dg
and Dagster look, which `ws sync` builds (or takes over from `uv sync`) like any other. Only an
interpreter the project names itself (`DG_PROJECT_PYTHON_EXECUTABLE` in its `.env`) is external:
ws uses it and never builds or deletes it. `ws.workspace.ws_toml` turns the entries into projects.
A project's target follows Dagster's rules: `[tool.dg.project]` (`code_location_target_module`,
default `<root_module>.definitions`), a project-level `dg.toml`, or `[tool.dagster] module_name`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.workspace.toml import optional_str, read_toml

DG_CONFIG_NAME = "dg.toml"
# The loader shim's marker for Dagster's `autoload_defs_module` targets (its AUTOLOAD_DEFS).
AUTOLOAD_DEFS = "<autoload_defs>"
_DG_PYTHON_VARIABLE = "DG_PROJECT_PYTHON_EXECUTABLE"


@dataclass(frozen=True)
class DagsterTarget:
    """What Dagster loads for a project: a module, maybe one attribute, and the location's name."""

    module: str
    attribute: str | None = None
    location_name: str | None = None


@dataclass(frozen=True)
class DgWorkspace:
    """A dg.toml workspace as data: the file, and one ws.toml-style entry per project.

    Each entry holds `path` (as dg.toml spells it), `external_python` and `name`, ready for the
    ws.toml entry reader, which checks the path (an entry without one is left empty) and reads
    the project.
    """

    config: Path
    entries: tuple[dict[str, str], ...]


# --- reading a dg.toml workspace ---------------------------------------------------------------


def is_dg_workspace(folder: Path) -> bool:
    """Whether `folder` holds a `dg.toml` of a Dagster workspace.

    A broken one counts: reading it then says what is wrong.
    """
    path = folder / DG_CONFIG_NAME
    if not path.is_file():
        return False
    try:
        return read_toml(path).get("directory_type") == "workspace"
    except ConfigError:
        return True


def find_dg_workspace(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a Dagster workspace's `dg.toml`."""
    for folder in (start, *start.parents):
        if is_dg_workspace(folder):
            return folder
    return None


def read_dg_workspace(config: Path) -> DgWorkspace:
    """The project entries of a dg.toml workspace file (named dg.toml: dg finds it by name)."""
    if config.name != DG_CONFIG_NAME:
        raise ConfigError(f"{config}: a Dagster workspace file is named {DG_CONFIG_NAME}.")
    data = read_toml(config)
    table = data.get("workspace", {})
    specs = table.get("projects", []) if isinstance(table, dict) else None
    if data.get("directory_type") != "workspace" or not isinstance(specs, list):
        raise ConfigError(
            f'{config} is not a Dagster workspace file: it needs `directory_type = "workspace"` '
            "and [[workspace.projects]] tables."
        )
    return DgWorkspace(config, tuple(_dg_entry(config.parent, spec) for spec in specs))


def _dg_entry(root: Path, spec: object) -> dict[str, str]:
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        return {}  # the entry reader refuses an entry without a path, in its turn
    rel = spec["path"]
    folder = (root / rel).resolve()  # the entry reader refuses a folder outside the workspace
    entry = {"path": rel}
    named = dg_project_python(folder)
    if named is not None:
        entry["external_python"] = str(named)
    try:
        target = project_target(folder, _pyproject(folder))
    except ConfigError:
        target = None  # the entry reader reads it again and records the problem
    entry["name"] = (target.location_name if target else None) or folder.name
    return entry


def _pyproject(folder: Path) -> dict[str, Any]:
    path = folder / "pyproject.toml"
    return read_toml(path) if path.is_file() else {}


def dg_project_python(folder: Path) -> Path | None:
    """The interpreter a project names for dg in its `.env` (DG_PROJECT_PYTHON_EXECUTABLE), if any;
    without one, dg uses the project's `.venv`, which ws builds."""
    value = _dotenv_value(folder / ".env", _DG_PYTHON_VARIABLE)
    if value:
        return folder / os.path.expanduser(value)  # an absolute value replaces the folder
    return None


def _dotenv_value(path: Path, name: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^\s*(?:export\s+)?{name}\s*=\s*(.*?)\s*$")
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            value = match[1]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                return value[1:-1]
            return value.split(" #", 1)[0].strip()
    return None


# --- a project's Dagster target ----------------------------------------------------------------


def project_target(folder: Path, meta: Mapping[str, Any]) -> DagsterTarget | None:
    """The module Dagster loads for a project, from its own settings, or None if it has none."""
    tool = meta.get("tool", {})
    dg = tool.get("dg", {}) if isinstance(tool, dict) else {}
    pyproject = folder / "pyproject.toml"
    if isinstance(dg, dict) and dg.get("directory_type") == "project" and "project" in dg:
        return _dg_project_target(dg["project"], pyproject, "[tool.dg.project]")
    dg_file = folder / DG_CONFIG_NAME
    if dg_file.is_file():
        data = read_toml(dg_file)
        if data.get("directory_type") == "project" and "project" in data:
            return _dg_project_target(data["project"], dg_file, "[project]")
    dagster = tool.get("dagster") if isinstance(tool, dict) else None
    if isinstance(dagster, dict):
        return _tool_dagster_target(dagster, pyproject, "[tool.dagster]")
    return None


def _dg_project_target(table: object, path: Path, where: str) -> DagsterTarget:
    """dg's rules (dagster_dg_core DgContext; `autoload_defs` as `dagster dev` still reads it)."""
    if not isinstance(table, dict) or not isinstance(table.get("root_module"), str):
        raise ConfigError(f'{path} {where} needs `root_module = "..."`.')
    root_module = table["root_module"]
    name = optional_str(table, "code_location_name", path, where)
    if table.get("autoload_defs") is True:
        module = optional_str(table, "defs_module", path, where) or f"{root_module}.defs"
        return DagsterTarget(module, AUTOLOAD_DEFS, name)
    target = optional_str(table, "code_location_target_module", path, where)
    return DagsterTarget(target or f"{root_module}.definitions", None, name)


def _tool_dagster_target(table: dict[str, Any], path: Path, where: str) -> DagsterTarget | None:
    name = optional_str(table, "code_location_name", path, where)
    module = optional_str(table, "module_name", path, where)
    if module:
        return DagsterTarget(module, optional_str(table, "attribute", path, where), name)
    modules = table.get("modules")
    if not isinstance(modules, list):
        return None
    names = [m.get("name") for m in modules if isinstance(m, dict) and m.get("type") == "module"]
    if len(names) != 1 or not isinstance(names[0], str):
        raise ConfigError(
            f"{path} {where} lists {len(names)} modules; ws loads one module per project: set "
            "`module` in [tool.ws] to the one that holds the Definitions."
        )
    return DagsterTarget(names[0], None, name)
