"""Make a workspace, add and remove its projects: every check first, then the writes.

Each operation validates everything before touching the disk and writes ws.toml last (atomically),
so bad input changes nothing and a failure half way leaves the old state.
"""

from __future__ import annotations

import keyword
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ws.errors import ConfigError, NoInterpreterFound
from ws.workspace import scaffold
from ws.workspace.entries import add_project_entry, remove_project_entry
from ws.workspace.model import CONFIG_NAME, Project, Workspace, check_project_name, normalize_name
from ws.workspace.toml import read_toml
from ws.workspace.ws_toml import entry_path, read_project_entry, read_workspace, relative_to_root

if TYPE_CHECKING:
    from ws.workspace.conversion import Conversion

EXAMPLE_PROJECTS = (("marketing", "team-marketing"), ("finance", "team-finance"))


@dataclass(frozen=True)
class InitResult:
    root: Path
    written: tuple[Path, ...]
    kept: tuple[Path, ...]
    examples: tuple[AddResult, ...] = ()
    imported: tuple[AddResult, ...] = ()  # projects taken from --from's file
    skipped: tuple[str, ...] = ()  # its entries ws cannot take, each saying why


@dataclass(frozen=True)
class AddResult:
    name: str
    path: str
    scaffolded: bool
    warning: str | None = None  # e.g. no interpreter here satisfies its --python


def init_workspace(
    folder: Path,
    *,
    name: str | None,
    python: str | None,
    example_pythons: tuple[str, ...] | None,
    from_file: Path | None = None,
) -> InitResult:
    """Render the workspace template into `folder`, then add its first projects, if asked.

    With examples, one project per version; with `from_file` (a dg.toml workspace or a
    workspace.yaml), the projects it lists.
    """
    folder = folder.resolve()
    config = folder / CONFIG_NAME
    if config.exists():
        raise ConfigError(f"{config} already exists; this folder is a workspace already.")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder; choose another path for `ws init`.")
    if from_file is not None and example_pythons is not None:
        raise ConfigError("give --example or --from, not both.")
    conversion = _convert(from_file, folder, python) if from_file is not None else None
    workspace_name = name or folder.name
    python_line = (
        f'python = "{python}"                 # default interpreter request'
        if python
        else (
            '# python = "3.12"               # default interpreter request (default: the one running ws)'
        )
    )
    values = {"workspace_name": workspace_name, "python_line": python_line}
    template = scaffold.template_root() / "workspace"
    planned = [folder / p.relative_to(template) for p in template.rglob("*") if p.is_file()]
    kept = tuple(p for p in planned if p.exists())
    written = tuple(scaffold.render_tree("workspace", folder, values))
    examples: list[AddResult] = []
    if example_pythons is not None:
        for (project, owner), version in zip(EXAMPLE_PROJECTS, example_pythons, strict=False):
            workspace = read_workspace(folder)
            examples.append(add_project(workspace, project, path=None, python=version, owner=owner))
    imported: list[AddResult] = []
    for entry in conversion.entries if conversion else ():
        add_project_entry(config, entry)
        imported.append(AddResult(entry.get("name", ""), entry["path"], scaffolded=False))
    if imported:
        names = {p.path: p.name for p in read_workspace(folder).projects}
        imported = [AddResult(names[r.path], r.path, False) for r in imported]
    skipped = conversion.skipped if conversion else ()
    return InitResult(folder, written, kept, tuple(examples), tuple(imported), skipped)


def _convert(source: Path, folder: Path, python: str | None) -> Conversion:
    """Read `source` into ws.toml entries and check them together before anything is written."""
    from ws.workspace.conversion import convert_workspace_file

    conversion = convert_workspace_file(source, folder)
    config = folder / CONFIG_NAME
    seen: dict[str, str] = {}
    for entry in conversion.entries:
        project = read_project_entry(folder, entry, python, config)
        if project.name in seen:
            raise ConfigError(
                f"{source}: {seen[project.name]!r} and {entry['path']!r} would both be project "
                f"{project.name!r} in ws.toml; give one a location_name (or code_location_name)."
            )
        seen[project.name] = entry["path"]
    return conversion


def add_project(
    workspace: Workspace, name: str, *, path: Path | None, python: str | None, owner: str | None
) -> AddResult:
    """Register an existing project folder, or scaffold a new one, and list it in ws.toml.

    Never replaces, moves or empties a folder: an empty one is written into. A `python` that no
    usable interpreter here satisfies is still recorded; the result's `warning` says so.
    """
    check_editable(workspace)
    normalized = check_project_name(name)
    config = workspace.config_path
    if any(p.name == normalized for p in workspace.projects):
        raise ConfigError(
            f"{config} already has a project named {normalized!r}; pick another name."
        )
    given = path if path is not None else workspace.root / "projects" / name
    rel = relative_to_root(workspace.root, given)
    if path is not None and (rel == ".." or rel.startswith("../")):  # nothing was written
        raise ConfigError(
            f"--path {path} is {given.resolve()}, outside the workspace {workspace.root}; "
            "a project lives inside its workspace folder: move it there, or run `ws init` in "
            "a folder that holds both."
        )
    folder = entry_path(workspace.root, rel, config)
    if any(p.root.resolve() == folder for p in workspace.projects):
        raise ConfigError(f"{config} already lists the folder {rel!r}; nothing to add.")
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        _check_existing(workspace, pyproject, name, normalized, given)
        entry = {"path": rel, **({"python": python} if python else {})}
        warning = _python_warning(python, normalized)
        add_project_entry(config, entry)
        return AddResult(normalized, rel, scaffolded=False, warning=warning)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(
            f"{folder} exists but has no pyproject.toml; point --path at an empty or new folder, "
            "or add a pyproject.toml to register it as it is."
        )
    import_name = _import_name(name, normalized, path)
    warning = _python_warning(python, normalized)
    _scaffold(config, folder, {"path": rel}, normalized, import_name, python, owner)
    return AddResult(normalized, rel, scaffolded=True, warning=warning)


def _scaffold(
    config: Path,
    folder: Path,
    entry: dict[str, str],
    name: str,
    import_name: str,
    python: str | None,
    owner: str | None,
) -> None:
    """Render the project template into `folder`, then list it in ws.toml; either both or neither."""
    requires, version_file, entry_python = _python_settings(python)
    if entry_python:
        entry["python"] = entry_python
    values = {
        "name": name,
        "import_name": import_name,
        "uv_build": scaffold.uv_build_requirement(),
        "requires_python_line": f'requires-python = "{requires}"' if requires else scaffold.OMIT,
        "owner_line": f'owner = "{owner}"' if owner else scaffold.OMIT,
    }
    extra = {".python-version": version_file + "\n"} if version_file else {}
    written = scaffold.render_project(folder, values, extra)
    try:
        add_project_entry(config, entry)
    except BaseException:
        written.remove()  # only what ws wrote: a folder that was there stays, as it was
        raise


def remove_project(workspace: Workspace, project: Project) -> None:
    """Drop the project's entry from ws.toml; its folder and env stay (`ws.envs.prune` deletes
    an env ws built, when asked)."""
    check_editable(workspace)
    remove_project_entry(workspace.config_path, project.path)


def check_editable(workspace: Workspace) -> None:
    if workspace.config_name != CONFIG_NAME:
        raise ConfigError(
            f"{workspace.config_path} is a Dagster workspace, which ws reads as it is but does not "
            f"edit; turn it into a ws.toml with `ws init --from {workspace.config_path}`."
        )


def _check_existing(
    workspace: Workspace, pyproject: Path, name: str, normalized: str, folder: Path
) -> None:
    """Refuse a folder whose pyproject.toml names another project, saying the command that works."""
    meta = read_toml(pyproject)
    declared = meta.get("project", {}).get("name")
    if not isinstance(declared, str):
        raise ConfigError(
            f'{pyproject} has no [project] name; add `name = "{name}"` under [project].'
        )
    if normalize_name(declared) == normalized:
        return
    mismatch = f"{pyproject} names the project {declared!r}, but you asked for {name!r}"
    retry = f"`ws add {shlex.quote(name)} --path {_cli_path(folder)}`"
    taken = next((p for p in workspace.projects if p.name == normalize_name(declared)), None)
    if taken is not None:
        raise ConfigError(
            f"{mismatch}, and {workspace.config_path} already has project {taken.name!r} (at "
            f"{taken.path!r}); set this one's [project] name to {name!r}, then run {retry}."
        )
    try:
        check_project_name(declared)
    except ConfigError:
        raise ConfigError(
            f"{mismatch}, which is not a valid project name; set its [project] name to "
            f"{name!r}, then run {retry}."
        ) from None
    raise ConfigError(
        f"{mismatch}; register it under its own name with "
        f"`ws add {shlex.quote(declared)} --path {_cli_path(folder)}`, or set [project] name "
        f"to {name!r}."
    )


def _cli_path(folder: Path) -> str:
    """`folder` as a --path from the current folder: relative when inside it, else absolute."""
    absolute = Path(os.path.abspath(folder))
    try:
        text = str(absolute.relative_to(Path.cwd()))
    except ValueError:
        text = str(absolute)
    return shlex.quote(text)


def _import_name(name: str, normalized: str, path: Path | None) -> str:
    """The package a scaffolded project gets; a name Python could not import is refused.

    uv_build refuses such a package ("Invalid module name"), so the project could never sync.
    """
    import_name = normalized.replace("-", "_").replace(".", "_")
    if import_name.isidentifier() and not keyword.iskeyword(import_name):
        return import_name
    why = "starts with a digit" if import_name[:1].isdigit() else "is a Python keyword"
    where = f" --path {_cli_path(path)}" if path is not None else ""
    commands = " or ".join(f"`ws add {other}{where}`" for other in _importable_names(normalized))
    raise ConfigError(
        f"project {name!r} would be the Python package {import_name!r}, which {why}, so it "
        f"could never be imported or built; pick a name that can, e.g. {commands}."
    )


def _importable_names(normalized: str) -> list[str]:
    """Names close to `normalized` whose package Python can import: the leading number moved to
    the end where that leaves a word first (`2fa-service` -> `service-2fa`), else a prefix."""
    if keyword.iskeyword(normalized):
        return [f"{normalized}-project"]
    parts = normalized.split("-")
    if len(parts) == 1:
        parts = re.findall(r"^\d+|.+", normalized)  # `1numeric` -> `1`, `numeric`
    lead = next((i for i, part in enumerate(parts) if not part[0].isdigit()), None)
    suggestions = ["-".join(parts[lead:] + parts[:lead])] if lead is not None else []
    return [*suggestions, f"project-{normalized}"]


def _python_warning(python: str | None, name: str) -> str | None:
    """Why `ws sync` would fail for a project asking for `python` on this machine, else None.

    Checked at `ws add` so the user hears it now; the probe cache keeps the scan to milliseconds.
    """
    if not python:
        return None
    from ws.pythons.discovery import discover_interpreters, newness
    from ws.pythons.requests import find_interpreter, parse_request

    request = parse_request(python, "--python")  # refuses what no interpreter could ever match
    pool = discover_interpreters() if request.path is None else []
    try:
        find_interpreter(python, "--python", pool)
    except NoInterpreterFound as exc:
        if request.path is not None or any(request.matches(i) for i in pool):
            return f"{str(exc).rstrip('.')}; until then `ws sync` fails for {name}."
        usable = sorted((i for i in pool if i.supported), key=newness, reverse=True)
        found = ", ".join(dict.fromkeys(i.version for i in usable)) or "none"
        return (
            f"no installed interpreter matches {python!r} (found: {found}); "
            f"`ws sync` will fail for {name} until one is installed."
        )
    return None


def _python_settings(python: str | None) -> tuple[str | None, str | None, str | None]:
    """How a `--python` request is recorded in a new project.

    A version (`3.12`, `3.12.1`, `cpython3.12`) becomes `requires-python = ">=3.12"` and a
    `.python-version`; a range becomes requires-python only; anything else (a path) goes to ws.toml.
    Returns (requires-python, .python-version contents, ws.toml python).
    """
    if not python:
        return None, None, None
    from ws.pythons.requests import parse_request

    parse_request(python, "--python")  # rejects what no interpreter could ever match
    version = re.fullmatch(
        r"(?:cpython-?|python)?(\d+\.\d+)(\.\d+)?", python.strip(), re.IGNORECASE
    )
    if version:
        return f">={version[1]}", version[1] + (version[2] or ""), None
    if re.match(r"^\s*[<>=!~]", python):
        return python.strip(), None, None
    return None, None, python
