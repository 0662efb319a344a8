"""Dagster's own files, read as they are: a `dg.toml` workspace, a project's Dagster target, and
`ws init --from` (a `dg.toml` workspace or an OSS `workspace.yaml` turned into ws.toml entries).

A folder whose `dg.toml` says `directory_type = "workspace"` works as a read-only ws workspace
when no ws.toml is found: each `[[workspace.projects]]` folder is a project named by its
`code_location_name` (default: the folder's name), loaded through the env Dagster's `dg` uses
(`DG_PROJECT_PYTHON_EXECUTABLE` in the project's `.env`, else its `.venv`), which ws treats as
external: it never builds or deletes it. A project's target follows Dagster's rules:
`[tool.dg.project]` (`code_location_target_module`, default `<root_module>.definitions`), a
project-level `dg.toml`, or `[tool.dagster] module_name`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.workspace import (
    DEFAULT_LOAD_TIMEOUT,
    Project,
    Workspace,
    check_project_name,
    entry_path,
    normalize_name,
    read_project_entry,
    read_toml,
    relative_to_root,
)

DG_CONFIG_NAME = "dg.toml"
# The loader shim's marker for Dagster's `autoload_defs_module` targets (its AUTOLOAD_DEFS).
AUTOLOAD_DEFS = "<autoload_defs>"
_DG_PYTHON_VARIABLE = "DG_PROJECT_PYTHON_EXECUTABLE"
_YAML_TARGETS = ("python_file", "python_module", "python_package", "autoload_defs_module")


@dataclass(frozen=True)
class DagsterTarget:
    """What Dagster loads for a project: a module, maybe one attribute, and the location's name."""

    module: str
    attribute: str | None = None
    location_name: str | None = None


@dataclass(frozen=True)
class Conversion:
    """`ws init --from`: the `[[workspace.projects]]` entries to write, and what was left out."""

    source: Path
    entries: tuple[dict[str, str], ...]
    skipped: tuple[str, ...]  # one sentence each, naming the entry and why


# --- reading a dg.toml workspace ---------------------------------------------------------------


def is_dg_workspace(folder: Path) -> bool:
    """Whether `folder` holds a `dg.toml` of a Dagster workspace (a broken one counts: reading
    it then says what is wrong)."""
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


def read_dg_workspace(root: Path) -> Workspace:
    """A `dg.toml` workspace as ws's model; every project's env is external (Dagster's own)."""
    config = root / DG_CONFIG_NAME
    data = read_toml(config)
    table = data.get("workspace", {})
    specs = table.get("projects", []) if isinstance(table, dict) else None
    if data.get("directory_type") != "workspace" or not isinstance(specs, list):
        raise ConfigError(
            f'{config} is not a Dagster workspace file: it needs `directory_type = "workspace"` '
            "and [[workspace.projects]] tables."
        )
    projects = [_dg_project(root, spec, config) for spec in specs]
    _reject_clashes(projects, config)
    return Workspace(
        root, root.name, None, DEFAULT_LOAD_TIMEOUT, tuple(projects), config_name=DG_CONFIG_NAME
    )


def _dg_project(root: Path, spec: object, config: Path) -> Project:
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise ConfigError(f'{config}: every [[workspace.projects]] entry needs `path = "..."`.')
    rel = spec["path"]
    folder = entry_path(root, rel, config)
    entry = {"path": rel, "external_python": str(dg_project_python(folder))}
    try:
        target = project_target(folder, _pyproject(folder))
    except ConfigError:
        target = None  # read_project_entry reads it again and records the problem
    entry["name"] = (target.location_name if target else None) or folder.name
    return read_project_entry(root, entry, None, config)


def _pyproject(folder: Path) -> dict[str, Any]:
    path = folder / "pyproject.toml"
    return read_toml(path) if path.is_file() else {}


def dg_project_python(folder: Path) -> Path:
    """The interpreter `dg` uses for a project: `.env`'s DG_PROJECT_PYTHON_EXECUTABLE, else `.venv`."""
    value = _dotenv_value(folder / ".env", _DG_PYTHON_VARIABLE)
    if value:
        return folder / os.path.expanduser(value)  # an absolute value replaces the folder
    return folder / ".venv" / "bin" / "python"


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


def _reject_clashes(projects: list[Project], config: Path) -> None:
    seen: dict[str, Project] = {}
    for project in projects:
        other = seen.get(project.name)
        if other is not None:
            raise ConfigError(
                f"{config}: projects {other.path!r} and {project.path!r} are both named "
                f"{project.name!r}; give one a different code_location_name in [tool.dg.project]."
            )
        seen[project.name] = project


# --- a project's Dagster target ----------------------------------------------------------------


def project_target(folder: Path, meta: Mapping[str, Any]) -> DagsterTarget | None:
    """The module Dagster loads for a project, from its own settings, or None if it has none."""
    tool = meta.get("tool", {})
    dg = tool.get("dg", {}) if isinstance(tool, dict) else {}
    where = f"{folder / 'pyproject.toml'} [tool.dg.project]"
    if isinstance(dg, dict) and dg.get("directory_type") == "project" and "project" in dg:
        return _dg_project_target(dg["project"], where)
    dg_file = folder / DG_CONFIG_NAME
    if dg_file.is_file():
        data = read_toml(dg_file)
        if data.get("directory_type") == "project" and "project" in data:
            return _dg_project_target(data["project"], f"{dg_file} [project]")
    dagster = tool.get("dagster") if isinstance(tool, dict) else None
    if isinstance(dagster, dict):
        return _tool_dagster_target(dagster, f"{folder / 'pyproject.toml'} [tool.dagster]")
    return None


def _dg_project_target(table: object, where: str) -> DagsterTarget:
    """dg's rules (dagster_dg_core DgContext; `autoload_defs` as `dagster dev` still reads it)."""
    if not isinstance(table, dict) or not isinstance(table.get("root_module"), str):
        raise ConfigError(f'{where} needs `root_module = "..."`.')
    root_module = table["root_module"]
    name = _text(table, "code_location_name", where)
    if table.get("autoload_defs") is True:
        module = _text(table, "defs_module", where) or f"{root_module}.defs"
        return DagsterTarget(module, AUTOLOAD_DEFS, name)
    module = _text(table, "code_location_target_module", where) or f"{root_module}.definitions"
    return DagsterTarget(module, None, name)


def _tool_dagster_target(table: dict[str, Any], where: str) -> DagsterTarget | None:
    name = _text(table, "code_location_name", where)
    module = _text(table, "module_name", where)
    if module:
        return DagsterTarget(module, _text(table, "attribute", where), name)
    modules = table.get("modules")
    if not isinstance(modules, list):
        return None
    names = [m.get("name") for m in modules if isinstance(m, dict) and m.get("type") == "module"]
    if len(names) != 1 or not isinstance(names[0], str):
        raise ConfigError(
            f"{where} lists {len(names)} modules; ws loads one module per project: set "
            "`module` in [tool.ws] to the one that holds the Definitions."
        )
    return DagsterTarget(names[0], None, name)


def _text(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"{where}: {key} must be a string, not {value!r}.")


# --- ws init --from ----------------------------------------------------------------------------


def convert_workspace_file(source: Path, root: Path) -> Conversion:
    """The ws.toml entries for a `dg.toml` workspace or a `workspace.yaml`, paths relative to `root`."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise ConfigError(f"{source} does not exist; give --from a dg.toml or workspace.yaml.")
    if source.suffix == ".toml":
        return _convert_dg_toml(source, root)
    if source.suffix in (".yaml", ".yml"):
        return _convert_workspace_yaml(source, root)
    raise ConfigError(
        f"{source} is neither a dg.toml nor a workspace.yaml; --from reads those two."
    )


def _convert_dg_toml(source: Path, root: Path) -> Conversion:
    workspace = read_dg_workspace_at(source)
    entries: list[dict[str, str]] = []
    skipped: list[str] = []
    for project in workspace.projects:
        where = f"{source.name} project {project.path!r}"
        rel = _inside(root, project.root, where, skipped)
        if rel is None:
            continue
        entry = {"path": rel}
        declared = _declared_name(project.root)
        if declared is None or normalize_name(declared) != project.name:
            entry["name"] = project.name  # keep Dagster's location name
        entries.append(entry)
    return Conversion(source, tuple(entries), tuple(skipped))


def read_dg_workspace_at(config: Path) -> Workspace:
    """A dg.toml workspace from its file (which must be called dg.toml: dg finds it by name)."""
    if config.name != DG_CONFIG_NAME:
        raise ConfigError(f"{config}: a Dagster workspace file is named {DG_CONFIG_NAME}.")
    return read_dg_workspace(config.parent)


def _declared_name(folder: Path) -> str | None:
    try:
        name = _pyproject(folder).get("project", {}).get("name")
    except ConfigError:
        return None
    return name if isinstance(name, str) else None


def _convert_workspace_yaml(source: Path, root: Path) -> Conversion:
    document = _read_yaml(source)
    load_from = document.get("load_from") if isinstance(document, dict) else None
    if not isinstance(load_from, list):
        raise ConfigError(f"{source} has no `load_from:` list; is it a Dagster workspace.yaml?")
    entries: list[dict[str, str]] = []
    skipped: list[str] = []
    folders: dict[str, str] = {}
    for index, item in enumerate(load_from, 1):
        label = f"{source.name} entry {index}"
        if not isinstance(item, dict) or len(item) != 1:
            skipped.append(f"{label} is not one target (python_module, python_file, ...); skipped.")
            continue
        [(kind, value)] = item.items()
        if kind == "grpc_server":
            skipped.append(
                f"{label} (grpc_server {_grpc_label(value)}) is not supported: ws starts each "
                "project's code itself; add the project's folder instead."
            )
            continue
        if kind not in _YAML_TARGETS:
            skipped.append(f"{label} ({kind}) is not a target ws knows; skipped.")
            continue
        try:
            entry = _yaml_entry(kind, value, source, root, label, skipped)
        except ConfigError as exc:
            skipped.append(f"{label} ({kind}): {exc}")
            continue
        if entry is None:
            continue
        first = folders.setdefault(entry["path"], label)
        if first != label:
            skipped.append(
                f"{label} ({entry.get('name') or entry.get('module')}) shares the folder "
                f"{entry['path']!r} with {first}; ws keeps one project per folder; skipped."
            )
            continue
        entries.append(entry)
    return Conversion(source, tuple(entries), tuple(skipped))


def _read_yaml(source: Path) -> Any:
    import yaml  # type: ignore[import-untyped]  # no stubs needed for one call; only --from uses it

    try:
        return yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {source}: {exc}.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}".rstrip(".") + ".") from None


def _grpc_label(value: object) -> str:
    if isinstance(value, dict):
        name = value.get("location_name")
        if isinstance(name, str):
            return repr(name)
        where = value.get("socket") or f"{value.get('host', 'localhost')}:{value.get('port')}"
        return f"at {where}"
    return repr(value)


def _yaml_entry(
    kind: str, value: object, source: Path, root: Path, label: str, skipped: list[str]
) -> dict[str, str] | None:
    """One workspace.yaml target as a ws.toml entry (Dagster's `_location_origin_from_*`)."""
    base = source.parent
    if isinstance(value, str):
        value = {"relative_path" if kind == "python_file" else _NAME_KEYS[kind]: value}
    if not isinstance(value, dict):
        raise ConfigError(f"expected a string or a mapping, got {value!r}")
    config = {k: _env_value(v, k) for k, v in value.items()}
    working_directory = config.get("working_directory")
    folder = _path(base, working_directory) if working_directory else base
    entry: dict[str, str] = {}
    if kind == "python_file":
        file = _path(base, _required(config, "relative_path"))
        if folder not in file.parents:
            raise ConfigError(
                f"{file} is outside its working directory {folder}; ws imports it as a module "
                "from that folder, so move it inside or set working_directory."
            )
        entry["module"] = ".".join(file.relative_to(folder).with_suffix("").parts)
    else:
        entry["module"] = _required(config, _NAME_KEYS[kind])
    where = f"{label} ({entry['module']})"
    rel = _inside(root, folder, where, skipped)
    if rel is None:
        return None
    entry = {"path": rel, **entry}
    if kind == "autoload_defs_module":
        entry["attribute"] = AUTOLOAD_DEFS
    elif config.get("attribute"):
        entry["attribute"] = config["attribute"]
    if config.get("location_name"):
        entry["name"] = check_project_name(config["location_name"])
    if config.get("executable_path"):
        entry["external_python"] = _external(base, folder, config["executable_path"])
    return entry


_NAME_KEYS = {
    "python_module": "module_name",
    "python_package": "package_name",
    "autoload_defs_module": "module_name",
}


def _env_value(value: object, key: str) -> str:
    """A workspace.yaml string, or `{env: VAR}` read from the environment (Dagster's StringSource)."""
    if isinstance(value, dict) and set(value) == {"env"}:
        variable = value["env"]
        if not isinstance(variable, str) or variable not in os.environ:
            raise ConfigError(
                f"{key} comes from the environment variable {variable}, which is not set; "
                "set it and run again"
            )
        return os.environ[variable]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{key} must be a string or {{env: VAR}}, not {value!r}")


def _required(config: Mapping[str, str], key: str) -> str:
    value = config.get(key)
    if not value:
        raise ConfigError(f"`{key}` is missing")
    return value


def _path(base: Path, text: str) -> Path:
    return (base / os.path.expanduser(text)).resolve()


def _external(base: Path, folder: Path, text: str) -> str:
    """An executable_path as ws.toml stores it: relative to the project folder when inside it."""
    path = Path(os.path.abspath(base / os.path.expanduser(text)))  # not resolved: venv symlinks
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _inside(root: Path, folder: Path, where: str, skipped: list[str]) -> str | None:
    """`folder` relative to the new workspace root, or None (and why) when it lies outside."""
    rel = relative_to_root(root, folder)
    if rel == ".." or rel.startswith("../"):
        skipped.append(
            f"{where}: its folder {folder} is outside the workspace {root.resolve()}; "
            "run `ws init` in a folder that holds every project."
        )
        return None
    return rel
