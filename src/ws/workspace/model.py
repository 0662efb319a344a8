"""The workspace as ws sees it: its projects, their names, and which of them a command acts on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ws.errors import ConfigError

CONFIG_NAME = "ws.toml"
DEFAULT_LOAD_TIMEOUT = 60.0

# PEP 508 names: letters, digits, and . _ - inside; must start and end with a letter or digit.
# Spelled out rather than IGNORECASE, which costs 2 ms to compile on every command.
_NAME_RE = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")


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
    compile_bytecode: bool = False  # bytecode for every file of the env at sync (images, CI)


@dataclass(frozen=True)
class Library:
    """A folder with a pyproject.toml that a project depends on by path (`ws.workspace.libraries`):
    part of the project's env fingerprint, its snapshot cache key and what `ws dev` watches."""

    name: str
    path: Path  # absolute
    editable: bool

    def code_paths(self) -> list[Path]:
        """Where its importable code lives: `src/`, else its top-level package folder."""
        src = self.path / "src"
        if src.is_dir():
            return [src]
        top = self.path / self.name.replace("-", "_").replace(".", "_")
        return [top] if top.is_dir() else []


@dataclass(frozen=True)
class Project:
    """One project of the workspace, as ws.toml and the project's own files describe it.

    `python` is the winning Python request as (text, where it came from), or None for the
    interpreter running ws. `problem` says why the project cannot be used (folder gone,
    pyproject.toml unreadable); such a project is still listed so one bad folder hides nothing.
    `venv` is where ws builds the env; `external_python` instead names the interpreter of an env
    ws uses as it is and never builds or deletes (Dagster's `executable_path`): `ws.envs` alone
    turns either into paths. `sys_path` is prepended when loading (Dagster's working directory).
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
    libraries: tuple[Library, ...] = ()  # transitively, nearest first

    @property
    def owner(self) -> str | None:
        return self.settings.owner

    @property
    def module(self) -> str:
        return self.settings.module or f"{self.import_name}.definitions"

    def code_paths(self) -> list[Path]:
        """Where the project's importable code lives: `src/`, else its top-level package folder
        (or module file). What the snapshot cache keys on and what `ws dev` watches."""
        src = self.root / "src"
        if src.is_dir():
            return [src]
        top = self.module.split(".")[0]
        found = (self.root / top, self.root / f"{top}.py")
        return [path for path in found if path.exists() and path != self.venv]

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
        names = [p.name for p in self.projects]
        import difflib  # only on this error path

        close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
        if close:
            raise ConfigError(
                f"no project named {name!r} in {self.config_path}; did you mean "
                f"{' or '.join(close)}? (projects: {', '.join(names)})"
            )
        raise ConfigError(
            f"no project named {name!r} in {self.config_path} "
            f"(projects: {', '.join(names) or 'none yet'}); add it with `ws add {name}`."
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
