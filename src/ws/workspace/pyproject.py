"""A project's own files: pyproject.toml ([project], [tool.ws]), `.python-version`, its package.

Which Python a project gets, first found wins: `python` in its ws.toml entry (or its
`external_python`), its `.python-version`, its `requires-python`, `[workspace] python`; None
leaves the interpreter running ws. A project without `[tool.ws] module` that Dagster describes
gets Dagster's target (`ws.workspace.dagster`, imported only then).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.workspace.libraries import local_libraries
from ws.workspace.model import Project, ToolSettings, check_project_name
from ws.workspace.toml import optional_str, read_toml, reject_unknown_keys

_TOOL_WS_KEYS = {"module", "attribute", "owner", "groups", "compile-bytecode"}


def read_project(
    fallback: Project, default_python: str | None, config: Path, target: ToolSettings
) -> Project:
    """The project in `fallback.root`, or `fallback` with a problem saying why it is unusable.

    `fallback` holds what the workspace file says (path, env, Python request); `target` the
    module and attribute it names, if any, which win over the project's own settings.
    """
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
        libraries = local_libraries(folder, meta)
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
        libraries=libraries,
    )


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
        from ws.workspace.dagster import project_target

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
    reject_unknown_keys(tool, _TOOL_WS_KEYS, pyproject, "[tool.ws]")
    groups = tool.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ConfigError(f"{pyproject}: [tool.ws] groups must be a list of group names.")
    settings = ToolSettings(
        module=optional_str(tool, "module", pyproject, "[tool.ws]"),
        attribute=optional_str(tool, "attribute", pyproject, "[tool.ws]"),
        owner=optional_str(tool, "owner", pyproject, "[tool.ws]"),
        groups=tuple(groups),
        compile_bytecode=_flag(tool, "compile-bytecode", pyproject),
    )
    return name, settings, requires if isinstance(requires, str) else None


def _flag(table: dict[str, Any], key: str, pyproject: Path) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{pyproject}: [tool.ws] {key} must be true or false, not {value!r}.")
    return value


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
