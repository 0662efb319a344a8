"""`ws init --from`: a `dg.toml` workspace or an OSS `workspace.yaml` turned into ws.toml entries.

A workspace.yaml follows Dagster's rules for its targets (`python_file`, `python_module`,
`python_package`, `autoload_defs_module`; `{env: VAR}` values) and is read with PyYAML. Entries
that cannot become a ws project (a `grpc_server`, a folder outside the new workspace) are
skipped, each with a sentence saying why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.workspace.dagster import AUTOLOAD_DEFS
from ws.workspace.model import check_project_name, normalize_name
from ws.workspace.toml import read_toml
from ws.workspace.ws_toml import read_dg_toml_workspace, relative_to_root

_YAML_TARGETS = ("python_file", "python_module", "python_package", "autoload_defs_module")


@dataclass(frozen=True)
class Conversion:
    """`ws init --from`: the `[[workspace.projects]]` entries to write, and what was left out."""

    source: Path
    entries: tuple[dict[str, str], ...]
    skipped: tuple[str, ...]  # one sentence each, naming the entry and why


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
    workspace = read_dg_toml_workspace(source)
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


def _declared_name(folder: Path) -> str | None:
    """The `[project] name` of the folder's pyproject.toml, when it has a readable one."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        name = read_toml(pyproject).get("project", {}).get("name")
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
        _name_entry(entry, f"{source}: entry {index} ({kind} {entry['module']})", root)
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
        entry["name"] = config["location_name"]  # checked by _name_entry
    if config.get("executable_path"):
        entry["external_python"] = _external(base, folder, config["executable_path"])
    return entry


def _name_entry(entry: dict[str, str], where: str, root: Path) -> None:
    """Name a workspace.yaml project: its location_name, else its pyproject.toml's [project]
    name (as for any project), else its module's top package.

    One ws cannot name is an error, not a skip: skipping it would quietly lose a project.
    """
    given = entry.get("name")
    if given is None:
        if _declared_name(root / entry["path"]) is not None:
            return
        given = entry["module"].split(".")[0]
        what = f"has no location_name, and its module's top package {given!r}"
    else:
        what = f"has location_name {given!r}, which"
    try:
        entry["name"] = check_project_name(given)
    except ConfigError:
        fixed = re.sub(r"[^A-Za-z0-9]+", "-", given).strip("-") or "my-project"
        raise ConfigError(
            f"{where} {what} is not a valid project name (letters, digits, '-', '_' and '.', "
            f"starting and ending with a letter or digit); give the entry one, e.g. "
            f"`location_name: {fixed}`."
        ) from None


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
