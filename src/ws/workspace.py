"""The workspace: find its root, read and validate ws.toml, read each project's own settings.

Reading uses the standard library's TOML parser where there is one (it is several times faster than
tomlkit, and no-op commands read every project's pyproject.toml); edits go through `ws.toml_edit`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ws.errors import ConfigError, WorkspaceNotFound

CONFIG_NAME = "ws.toml"
DEFAULT_LOAD_TIMEOUT = 60.0

_WORKSPACE_KEYS = {"name", "python", "projects", "timeout"}
# name, module, attribute and external_python describe projects ws.toml takes from Dagster
# (`ws init --from workspace.yaml`): a location name, its target, an env ws never builds.
_ENTRY_KEYS = {"path", "python", "venv", "name", "module", "attribute", "external_python"}
_TOOL_WS_KEYS = {"module", "attribute", "owner", "groups"}
# PEP 508 names: letters, digits, and . _ - inside; must start and end with a letter or digit.
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: `Foo_Bar` and `foo-bar` are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def check_project_name(name: str) -> str:
    """Return the normalised name, or raise a ConfigError that says what a valid name looks like."""
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"{name!r} is not a valid project name: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (PEP 508), e.g. 'marketing-etl'."
        )
    return normalize_name(name)


@dataclass(frozen=True)
class ToolSettings:
    """A project's own `[tool.ws]` table."""

    module: str | None = None
    attribute: str | None = None
    owner: str | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """One project of the workspace, as ws.toml and the project's own files describe it.

    `python` is the winning Python request as (text, where it came from), or None for the
    interpreter running ws. `problem` says why the project cannot be used (folder gone,
    pyproject.toml unreadable); such a project is still listed so one bad folder hides nothing.
    `external_python` is an env ws uses as it is and never builds or deletes (Dagster's
    `executable_path`); `sys_path` is prepended when loading (Dagster's working directory).
    """

    name: str
    path: str
    root: Path
    venv: Path
    python: tuple[str, str] | None
    settings: ToolSettings = field(default_factory=ToolSettings)
    import_name: str = ""
    requires_python: str | None = None
    problem: str | None = None
    external_python: Path | None = None
    sys_path: tuple[str, ...] = ()

    @property
    def owner(self) -> str | None:
        return self.settings.owner

    @property
    def module(self) -> str:
        return self.settings.module or f"{self.import_name}.definitions"

    @property
    def problem_message(self) -> str | None:
        """`problem` as words for an error line, with the fix; None for a usable project."""
        if self.problem == "missing":
            return (
                f"project folder {self.path} is missing; restore it, or remove the entry with "
                f"`ws remove {self.name}`"
            )
        return self.problem


@dataclass(frozen=True)
class Workspace:
    root: Path
    name: str
    python: str | None
    timeout: float
    projects: tuple[Project, ...]
    config_name: str = CONFIG_NAME  # dg.toml for a Dagster workspace read as it is

    @property
    def config_path(self) -> Path:
        return self.root / self.config_name

    def project(self, name: str) -> Project:
        wanted = normalize_name(name)
        for project in self.projects:
            if project.name == wanted:
                return project
        known = ", ".join(p.name for p in self.projects) or "none yet"
        raise ConfigError(
            f"no project named {name!r} in {self.config_path} (projects: {known}); "
            f"add it with `ws add {name}`."
        )

    def project_at(self, folder: Path) -> Project | None:
        """The project whose folder holds `folder`, if any (the innermost one)."""
        folder = folder.resolve()
        best: Project | None = None
        for project in self.projects:
            root = project.root.resolve()
            if (folder == root or root in folder.parents) and (
                best is None or len(root.parts) > len(best.root.parts)
            ):
                best = project
        return best

    def select(
        self, names: Sequence[str], *, owner: str | None = None, cwd: Path | None = None
    ) -> list[Project]:
        """The projects a command acts on: those named, a team's, the one we stand in, or all."""
        if names and owner:
            raise ConfigError("give project names or --owner, not both.")
        if names:
            chosen: dict[str, Project] = {}
            for name in names:
                project = self.project(name)
                chosen[project.name] = project
            return list(chosen.values())
        if owner:
            owned = [p for p in self.projects if p.owner == owner]
            if not owned:
                owners = sorted({p.owner for p in self.projects if p.owner})
                raise ConfigError(
                    f"no project in {self.config_path} has owner {owner!r} "
                    f"(owners: {', '.join(owners) or 'none set'}); set `owner` in [tool.ws]."
                )
            return owned
        here = self.project_at(cwd) if cwd is not None else None
        return [here] if here else list(self.projects)


def find_root(explicit: Path | None, cwd: Path) -> Path:
    """The folder holding ws.toml: the one given, else the nearest at or above `cwd`.

    With no ws.toml, a Dagster workspace (its dg.toml) is read as it is.
    """
    if explicit is not None:
        root = explicit.expanduser().resolve()
        if (root / CONFIG_NAME).is_file():
            return root
        from ws.dagster_workspace import is_dg_workspace

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
    from ws.dagster_workspace import find_dg_workspace

    dagster_root = find_dg_workspace(here)  # no ws.toml anywhere: a Dagster workspace will do
    if dagster_root is not None:
        return dagster_root
    raise WorkspaceNotFound(
        f"no {CONFIG_NAME} found in {here} or any folder above it; create a workspace with "
        "`ws init`, or point at one with --workspace/-w."
    )


def open_workspace(explicit: Path | None = None, *, cwd: Path) -> Workspace:
    root = find_root(explicit, cwd)
    if not (root / CONFIG_NAME).is_file():
        from ws.dagster_workspace import read_dg_workspace

        return read_dg_workspace(root)
    return read_workspace(root)


def read_workspace(root: Path) -> Workspace:
    config = root / CONFIG_NAME
    data = read_toml(config)
    _reject_unknown(data, {"workspace"}, config, "the top level")
    table = data.get("workspace")
    if not isinstance(table, dict):
        raise ConfigError(
            f'{config} has no [workspace] table; add one with at least `name = "..."`.'
        )
    _reject_unknown(table, _WORKSPACE_KEYS, config, "[workspace]")
    name = _optional_str(table, "name", config, "[workspace]") or root.name
    python = _optional_str(table, "python", config, "[workspace]")
    timeout = table.get("timeout", DEFAULT_LOAD_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{config}: [workspace] timeout must be a positive number of seconds.")
    entries = table.get("projects", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{config}: [workspace] projects must be [[workspace.projects]] tables.")
    projects = [read_project_entry(root, entry, python, config) for entry in entries]
    _reject_duplicates(projects, config)
    return Workspace(root, name, python, float(timeout), tuple(projects))


def entry_path(root: Path, text: str, config: Path) -> Path:
    """The absolute folder a `path` names; it must stay inside the workspace (symlinks resolved)."""
    folder = (root / text).resolve()
    if folder != root.resolve() and root.resolve() not in folder.parents:
        raise ConfigError(
            f"{config}: project path {text!r} resolves to {folder}, outside the workspace "
            f"{root}; move the project inside the workspace folder."
        )
    return folder


def read_project_entry(
    root: Path, entry: object, default_python: str | None, config: Path
) -> Project:
    """One `[[workspace.projects]]` entry of `config` (ws.toml, or dg.toml read as it is)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise ConfigError(f'{config}: every [[workspace.projects]] entry needs `path = "..."`.')
    rel = entry["path"]
    where = f"[[workspace.projects]] path = {rel!r}"
    _reject_unknown(entry, _ENTRY_KEYS, config, where)
    entry_python = _optional_str(entry, "python", config, where)
    venv_text = _optional_str(entry, "venv", config, where) or ".venv"
    folder = entry_path(root, rel, config)
    venv = folder / venv_text
    python = (entry_python, f"{config.name} (project {rel})") if entry_python else None
    given_name = _optional_str(entry, "name", config, where)
    target = ToolSettings(
        module=_optional_str(entry, "module", config, where),
        attribute=_optional_str(entry, "attribute", config, where),
    )
    external = _external_python(folder, entry, config, where)
    if external is not None:
        venv = external.parent.parent  # <env>/bin/python: `ws run` activates the env itself
        python = (str(external), f"{config.name} (project {rel}) external_python")
    fallback = Project(normalize_name(Path(rel).name), rel, folder, venv, python)
    project = _read_project(
        replace(fallback, external_python=external), default_python, config, target
    )
    return replace(project, name=check_project_name(given_name)) if given_name else project


def _read_project(
    fallback: Project, default_python: str | None, config: Path, target: ToolSettings
) -> Project:
    """The project in `fallback.root`, or `fallback` with a problem saying why it is unusable."""
    folder, rel = fallback.root, fallback.path
    if not folder.is_dir():
        return replace(fallback, problem="missing")
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        if fallback.external_python is not None and target.module:
            # An external env with its target (from workspace.yaml): nothing to build or read.
            return replace(fallback, settings=target, import_name=folder.name, sys_path=(".",))
        problem = f"{rel} has no pyproject.toml; add one or remove the entry with `ws remove`."
        return replace(fallback, problem=problem)
    try:
        meta = read_toml(pyproject)
        name, settings, requires = _project_metadata(meta, pyproject)
        settings, from_dagster = _with_target(folder, meta, settings, target)
    except ConfigError as exc:
        return replace(fallback, problem=str(exc))
    python = fallback.python
    if python is None:
        python = _python_version_file(folder, rel)
    if python is None and requires:
        python = (requires, f"{rel}/pyproject.toml requires-python")
    if python is None and default_python:
        python = (default_python, f"{config.name} [workspace] python")
    return replace(
        fallback,
        name=name,
        python=python,
        settings=settings,
        import_name=_import_name(folder, name),
        requires_python=requires,
        sys_path=(".",) if from_dagster else (),  # Dagster imports from the project root
    )


def _external_python(folder: Path, entry: dict[str, Any], config: Path, where: str) -> Path | None:
    text = _optional_str(entry, "external_python", config, where)
    if text is None:
        return None
    if "python" in entry or "venv" in entry:
        raise ConfigError(
            f"{config}: {where} has external_python, so ws does not build its env; "
            "remove `python` and `venv` there."
        )
    # Not resolved: a venv's python is a symlink, and resolving it would leave the venv.
    return Path(os.path.abspath(folder / os.path.expanduser(text)))


def _with_target(
    folder: Path, meta: dict[str, Any], settings: ToolSettings, target: ToolSettings
) -> tuple[ToolSettings, bool]:
    """Settings with the module to load: ws.toml's entry, [tool.ws], else Dagster's own settings.

    The flag says whether the target came from Dagster (which puts the project root on sys.path).
    """
    if target.module:
        return replace(settings, module=target.module, attribute=target.attribute), True
    if settings.module:
        return settings, False
    tool = meta.get("tool")
    dagster = isinstance(tool, dict) and ("dg" in tool or "dagster" in tool)
    if dagster or (folder / "dg.toml").is_file():
        from ws.dagster_workspace import project_target

        found = project_target(folder, meta)
        if found is not None:
            attribute = settings.attribute or found.attribute
            return replace(settings, module=found.module, attribute=attribute), True
    return settings, False


def _project_metadata(
    meta: dict[str, Any], pyproject: Path
) -> tuple[str, ToolSettings, str | None]:
    project = meta.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise ConfigError(f'{pyproject} has no [project] name; add `name = "..."` under [project].')
    name = check_project_name(project["name"])
    requires = project.get("requires-python")
    tool = meta.get("tool", {}).get("ws", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: [tool.ws] must be a table.")
    _reject_unknown(tool, _TOOL_WS_KEYS, pyproject, "[tool.ws]")
    groups = tool.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ConfigError(f"{pyproject}: [tool.ws] groups must be a list of group names.")
    settings = ToolSettings(
        module=_optional_str(tool, "module", pyproject, "[tool.ws]"),
        attribute=_optional_str(tool, "attribute", pyproject, "[tool.ws]"),
        owner=_optional_str(tool, "owner", pyproject, "[tool.ws]"),
        groups=tuple(groups),
    )
    return name, settings, requires if isinstance(requires, str) else None


def _python_version_file(folder: Path, rel: str) -> tuple[str, str] | None:
    """The first request in the project's `.python-version` (pyenv's format), if there is one."""
    path = folder / ".python-version"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line, f"{rel}/.python-version"
    return None


def _import_name(folder: Path, name: str) -> str:
    """The project's top-level package: `src/<pkg>` or `<pkg>` when it exists, else from the name."""
    guess = name.replace("-", "_").replace(".", "_")
    for candidate in (folder / "src" / guess, folder / guess):
        if candidate.is_dir():
            return guess
    src = folder / "src"
    if src.is_dir():
        packages = sorted(p.name for p in src.iterdir() if (p / "__init__.py").is_file())
        if len(packages) == 1:
            return packages[0]
    return guess


def _reject_duplicates(projects: list[Project], config: Path) -> None:
    seen: dict[str, Project] = {}
    roots: dict[Path, Project] = {}
    for project in projects:
        other = roots.get(project.root) or seen.get(project.name)
        if other is not None:
            raise ConfigError(
                f"{config}: projects {other.path!r} and {project.path!r} clash (both are "
                f"{project.name!r}); remove one entry."
            )
        seen[project.name] = project
        roots[project.root] = project


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a ConfigError naming the file, line and column."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}.") from None
    text = raw.decode("utf-8", errors="replace")
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid TOML: {exc}; fix that line and run again."
            ) from None
    else:
        return _read_toml_with_tomlkit(text, path)


def _read_toml_with_tomlkit(text: str, path: Path) -> dict[str, Any]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        return dict(tomlkit.parse(text).unwrap())
    except ParseError as exc:
        raise ConfigError(
            f"{path} is not valid TOML at line {exc.line}, column {exc.col}; fix it and run again."
        ) from None


def _reject_unknown(table: dict[str, Any], allowed: set[str], path: Path, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} in {where}; allowed there: "
            f"{', '.join(sorted(allowed))}."
        )


def _optional_str(table: dict[str, Any], key: str, path: Path, where: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"{path}: {key} in {where} must be a string, not {value!r}.")


def relative_to_root(root: Path, folder: Path) -> str:
    """How ws.toml spells a folder: relative to the workspace root, with forward slashes."""
    return Path(os.path.relpath(folder.resolve(), root.resolve())).as_posix()
