"""ws.toml: find the workspace it roots, read it, check every key, build its projects, spell paths.

An entry says where a project is and what ws.toml overrides; `ws.workspace.pyproject` reads the
rest from the project's folder. With no ws.toml, a Dagster workspace's dg.toml is read as it is:
`ws.workspace.dagster` (imported only then) lists its entries, and they become projects here.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ws.errors import ConfigError, WorkspaceNotFound
from ws.workspace.model import (
    CONFIG_NAME,
    DEFAULT_LOAD_TIMEOUT,
    Project,
    ToolSettings,
    Workspace,
    check_project_name,
    normalize_name,
)
from ws.workspace.pyproject import read_project
from ws.workspace.toml import optional_str, read_toml, reject_unknown_keys

_WORKSPACE_KEYS = {"name", "python", "projects", "timeout", "registry", "dagster"}
# name, module, attribute and external_python describe projects ws.toml takes from Dagster
# (`ws init --from workspace.yaml`): a location name, its target, an env ws never builds.
_ENTRY_KEYS = {"path", "python", "venv", "name", "module", "attribute", "external_python"}
# How to rename one of two projects that share a name, by the file that names them.
_WS_TOML_RENAME = "remove one entry, or rename one."
_DG_TOML_RENAME = "give one a different code_location_name in [tool.dg.project]."


def find_root(explicit: Path | None, cwd: Path) -> Path:
    """The folder holding ws.toml: the one given, else the nearest at or above `cwd`.

    With no ws.toml, a Dagster workspace (its dg.toml) is read as it is.
    """
    if explicit is not None:
        root = explicit.expanduser().resolve()
        if root.is_file() and root.name in (CONFIG_NAME, "dg.toml"):
            root = root.parent  # the file itself names its workspace too
        if (root / CONFIG_NAME).is_file():
            return root
        from ws.workspace.dagster import is_dg_workspace

        if is_dg_workspace(root):
            return root
        raise WorkspaceNotFound(
            f"{root} has no {CONFIG_NAME} (named by --workspace or WS_WORKSPACE); "
            f"create one with `ws init {explicit}`."
        )
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    from ws.workspace.dagster import find_dg_workspace

    dagster_root = find_dg_workspace(here)  # no ws.toml anywhere: a Dagster workspace will do
    if dagster_root is not None:
        return dagster_root
    raise WorkspaceNotFound(
        f"no {CONFIG_NAME} found in {here} or any folder above it; create a workspace with "
        "`ws init`, or point at one with --workspace/-w."
    )


def open_workspace(explicit: Path | None = None, *, cwd: Path) -> Workspace:
    """The workspace `find_root` finds, read from its ws.toml, else from its dg.toml."""
    root = find_root(explicit, cwd)
    if not (root / CONFIG_NAME).is_file():
        from ws.workspace.dagster import DG_CONFIG_NAME

        return read_dg_toml_workspace(root / DG_CONFIG_NAME)
    return read_workspace(root)


def read_workspace(root: Path) -> Workspace:
    """The workspace of `root`'s ws.toml, every key checked; unusable projects carry a problem."""
    config, name, python, timeout, entries = _read_header(root)
    projects = [read_project_entry(root, entry, python, config) for entry in entries]
    _reject_duplicates(projects, config, _WS_TOML_RENAME)
    return Workspace(root, name, python, timeout, tuple(projects))


def open_project(explicit: Path | None, *, cwd: Path, name: str | None) -> Project | None:
    """The one project a one-project command acts on (`ws run`), reading only that project's
    files: a 50-project workspace costs what a 1-project one does.

    The project named (matched by its entry's `name` or its folder's, then confirmed by its
    pyproject.toml), else the one `cwd` is in. None where that cannot be told without reading
    every project: a dg.toml workspace (its entries are named from each pyproject.toml), a
    project whose name is not its folder's, no match at all. The caller then opens the whole
    workspace, which finds it or words the error. Two projects that clash over one name are
    refused by the commands that read them all, not here.
    """
    root = find_root(explicit, cwd)
    if not (root / CONFIG_NAME).is_file():
        return None
    config, ws_name, python, timeout, entries = _read_header(root)
    # Every entry is checked as the whole read checks it, bar what only its files can say.
    drafts = [_entry_draft(root, entry, config) for entry in entries]
    _reject_shared_folders([draft[0] for draft in drafts], config)
    if name is not None:
        wanted = normalize_name(name)
        for draft in drafts:
            if (normalize_name(draft[2]) if draft[2] else draft[0].name) == wanted:
                project = _read_draft(draft, python, config)
                if project.name == wanted:
                    return project
        return None
    # project_at needs only each entry's folder, which its draft already has.
    lookup = Workspace(root, ws_name, python, timeout, tuple(d[0] for d in drafts))
    here = lookup.project_at(cwd)
    found = next((d for d in drafts if d[0] is here), None)
    return None if found is None else _read_draft(found, python, config)


def _read_header(root: Path) -> tuple[Path, str, str | None, float, list[Any]]:
    """ws.toml's [workspace] table, every key checked: the file, name, Python, timeout, entries."""
    config = root / CONFIG_NAME
    data = read_toml(config)
    reject_unknown_keys(data, {"workspace"}, config, "the top level")
    table = data.get("workspace")
    if not isinstance(table, dict):
        raise ConfigError(
            f'{config} has no [workspace] table; add one with at least `name = "..."`.'
        )
    reject_unknown_keys(table, _WORKSPACE_KEYS, config, "[workspace]")
    name = optional_str(table, "name", config, "[workspace]") or root.name
    python = optional_str(table, "python", config, "[workspace]")
    timeout = table.get("timeout", DEFAULT_LOAD_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{config}: [workspace] timeout must be a positive number of seconds.")
    entries = table.get("projects", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{config}: [workspace] projects must be [[workspace.projects]] tables.")
    return config, name, python, float(timeout), entries


def read_dg_toml_workspace(config: Path) -> Workspace:
    """A Dagster workspace's dg.toml as ws's model; every project's env is external (dg's own)."""
    from ws.workspace.dagster import read_dg_workspace

    dg = read_dg_workspace(config)
    root = dg.config.parent
    projects = [read_project_entry(root, entry, None, dg.config) for entry in dg.entries]
    _reject_duplicates(projects, dg.config, _DG_TOML_RENAME)
    return Workspace(
        root, root.name, None, DEFAULT_LOAD_TIMEOUT, tuple(projects), config_name=dg.config.name
    )


def entry_path(root: Path, text: str, config: Path) -> Path:
    """The absolute folder a `path` names; it must stay inside the workspace (symlinks resolved)."""
    folder, inside = (root / text).resolve(), root.resolve()
    if folder != inside and inside not in folder.parents:
        raise ConfigError(
            f"{config}: project path {text!r} resolves to {folder}, outside the workspace "
            f"{root}; move the project inside the workspace folder."
        )
    return folder


def read_project_entry(
    root: Path, entry: object, default_python: str | None, config: Path
) -> Project:
    """One `[[workspace.projects]]` entry of `config` (ws.toml, or dg.toml read as it is)."""
    return _read_draft(_entry_draft(root, entry, config), default_python, config)


# What an entry says before its folder is read: the project as the entry alone describes it,
# the target it names, and the name it gives (which wins over the project's own).
_Draft = tuple[Project, ToolSettings, "str | None"]


def _entry_draft(root: Path, item: object, config: Path) -> _Draft:
    """An entry's keys checked and its folder located; no file of the project read yet."""
    entry = _check_entry(item, config)
    rel = entry["path"]
    where = f"[[workspace.projects]] path = {rel!r}"
    entry_python = optional_str(entry, "python", config, where)
    venv_text = optional_str(entry, "venv", config, where) or ".venv"
    folder = entry_path(root, rel, config)
    python = (entry_python, f"{config.name} (project {rel})") if entry_python else None
    given_name = optional_str(entry, "name", config, where)
    target = ToolSettings(
        module=optional_str(entry, "module", config, where),
        attribute=optional_str(entry, "attribute", config, where),
    )
    external = _external_python(folder, entry, config, where)
    if external is not None:
        python = (str(external), f"{config.name} (project {rel}) external_python")
    name = normalize_name(Path(rel).name)
    return (
        Project(name, rel, folder, folder / venv_text, python, external_python=external),
        target,
        given_name,
    )


def _check_entry(entry: object, config: Path) -> dict[str, Any]:
    """The entry as a table with a `path` and no unknown key, or a ConfigError saying what to fix."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise ConfigError(f'{config}: every [[workspace.projects]] entry needs `path = "..."`.')
    where = f"[[workspace.projects]] path = {entry['path']!r}"
    reject_unknown_keys(entry, _ENTRY_KEYS, config, where)
    return entry


def _read_draft(draft: _Draft, default_python: str | None, config: Path) -> Project:
    """The project an entry describes, read from its folder."""
    fallback, target, given_name = draft
    project = read_project(fallback, default_python, config, target)
    return replace(project, name=check_project_name(given_name)) if given_name else project


def _external_python(folder: Path, entry: dict[str, Any], config: Path, where: str) -> Path | None:
    text = optional_str(entry, "external_python", config, where)
    if text is None:
        return None
    if "python" in entry or "venv" in entry:
        raise ConfigError(
            f"{config}: {where} has external_python, so ws does not build its env; "
            "remove `python` and `venv` there."
        )
    # Not resolved: a venv's python is a symlink, and resolving it would leave the venv.
    return Path(os.path.abspath(folder / os.path.expanduser(text)))


def _reject_duplicates(projects: list[Project], config: Path, rename: str) -> None:
    """Refuse two projects in one folder, or two under one name; `rename` is the fix for the latter."""
    _reject_shared_folders(projects, config)
    seen: dict[str, Project] = {}
    for project in projects:
        if project.name in seen:
            other = seen[project.name]
            raise ConfigError(
                f"{config}: projects {other.path!r} and {project.path!r} clash (both are "
                f"{project.name!r}); {rename}"
            )
        seen[project.name] = project


def _reject_shared_folders(projects: list[Project], config: Path) -> None:
    """Refuse two entries for one folder: one env and one target per folder."""
    roots: dict[Path, Project] = {}
    for project in projects:
        if project.root in roots:
            other = roots[project.root]
            raise ConfigError(
                f"{config}: projects {other.name!r} and {project.name!r} are both the folder "
                f"{project.path!r}; ws keeps one project per folder: remove one entry."
            )
        roots[project.root] = project


def relative_to_root(root: Path, folder: Path) -> str:
    """How ws.toml spells a folder: relative to the workspace root, with forward slashes."""
    return Path(os.path.relpath(folder.resolve(), root.resolve())).as_posix()
