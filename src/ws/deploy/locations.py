"""What a deployment holds: a code location per Dagster project of the workspace, each a code
server with a host name, a port and an image, and the export settings that name the images.

A project is a Dagster project when Dagster describes it (`[tool.dg]`, `[tool.dagster]`, a
project `dg.toml`) or it depends on `dagster`; the others (ws-defs projects) have no code server
to deploy and are left out, each with the reason. Every code server listens on the same port,
`CODE_SERVER_PORT`: each runs in a container of its own, reached by its host name (the location's
name), so adding or removing a project changes no other project's files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.workspace.dagster import AUTOLOAD_DEFS, project_target
from ws.workspace.model import CONFIG_NAME, Project, Workspace, normalize_name
from ws.workspace.toml import optional_str, read_toml

CODE_SERVER_PORT = 4000
DEFAULT_TAG = "latest"
# Docker's grammar: a registry host (maybe with a port) and path components, lower case.
_REGISTRY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DAGSTER = re.compile(r"^\s*dagster\s*([\[(<>=!~;@ ]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """What names the images and pins the webserver's Dagster: flags over `[workspace]` keys.

    `tag_given`/`registry_given` say whether the flag set it, so that the files can name the
    command that rewrites them; `network` names compose's network (from `[workspace] name`).
    """

    registry: str | None = None
    tag: str | None = None
    dagster: str | None = None
    registry_given: bool = False
    network: str = "dagster"


@dataclass(frozen=True)
class Location:
    """A Dagster project as a code server: its name (the host that reaches it), its image and
    what `dagster code-server start` loads."""

    project: Project
    path: str  # the project's folder relative to the workspace root, with forward slashes
    repository: str  # the image without its tag: `ghcr.io/acme/marketing`
    tag: str
    tag_note: str | None  # why the tag is not the project's version, if it is not

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def port(self) -> int:
        return CODE_SERVER_PORT

    @property
    def image(self) -> str:
        return f"{self.repository}:{self.tag}"

    def code_server_args(self) -> list[str]:
        """What follows `dagster code-server start -h 0.0.0.0 -p PORT`: the target."""
        settings = self.project.settings
        if settings.attribute == AUTOLOAD_DEFS:
            return ["--autoload-defs-module-name", self.project.module]
        attribute = ["-a", settings.attribute] if settings.attribute else []
        return ["-m", self.project.module, *attribute]


@dataclass(frozen=True)
class Left:
    """A project the deployment does not hold, and why (`failed`: it should, but cannot)."""

    name: str
    reason: str
    failed: bool = False


def read_settings(workspace: Workspace, registry: str | None, tag: str | None) -> Settings:
    """The flags, else ws.toml's `[workspace] registry` and `dagster`; each checked.

    Read here from ws.toml itself: a dg.toml workspace has no such keys, only flags and defaults.
    """
    table: dict[str, Any] = {}
    if workspace.config_name == CONFIG_NAME:
        found = read_toml(workspace.config_path).get("workspace")
        table = found if isinstance(found, dict) else {}
    config, where = workspace.config_path, "[workspace]"
    given = registry is not None
    registry = registry if given else optional_str(table, "registry", config, where)
    if registry is not None:
        registry = registry.rstrip("/")
        if not _REGISTRY.match(registry):
            source = "--registry" if given else f"{config} [workspace] registry"
            raise ConfigError(
                f"{source} {registry!r} is not an image registry Docker accepts; write it as "
                "host[:port]/path in lower case, e.g. ghcr.io/acme."
            )
    if tag is not None and not _TAG.match(tag):
        raise ConfigError(
            f"--tag {tag!r} is not a Docker tag; use letters, digits, '_', '.' and '-' "
            "(128 at most), not starting with '.' or '-'."
        )
    name = optional_str(table, "name", config, where)
    network = f"{_slug(name)}_dagster" if name else "dagster"
    dagster = optional_str(table, "dagster", config, where)
    return Settings(registry, tag, dagster, given, network)


def dagster_locations(
    workspace: Workspace, settings: Settings
) -> tuple[list[Location], list[Left]]:
    """The workspace's Dagster projects as locations, in ws.toml order, and the projects left
    out with the reason (a project ws cannot read has `failed`)."""
    locations: list[Location] = []
    left: list[Left] = []
    for project in workspace.projects:
        if project.problem_message is not None:
            left.append(Left(project.name, project.problem_message, failed=True))
            continue
        why_not = not_dagster_reason(project)
        if why_not is not None:
            left.append(Left(project.name, why_not))
            continue
        locations.append(_location(workspace.root, project, settings))
    return locations, left


def not_dagster_reason(project: Project) -> str | None:
    """None for a Dagster project; else why it has no code server to deploy."""
    pyproject = project.root / "pyproject.toml"
    if not pyproject.is_file():
        return "it has no pyproject.toml, so ws cannot tell what its image would install"
    meta = read_toml(pyproject)
    if project_target(project.root, meta) is not None or _depends_on_dagster(meta):
        return None
    return (
        "not a Dagster project (no [tool.dg] or [tool.dagster] in its pyproject.toml, no "
        "dependency on dagster), so it has no code server to deploy"
    )


def relative_path(root: Path, folder: Path) -> str | None:
    """`folder` relative to the workspace root with forward slashes; None when it is outside."""
    folder, root = folder.resolve(), root.resolve()
    if folder != root and root not in folder.parents:
        return None
    return folder.relative_to(root).as_posix() or "."


def _location(root: Path, project: Project, settings: Settings) -> Location:
    path = relative_path(root, project.root) or project.path  # ws.toml keeps it inside
    repository = f"{settings.registry}/{project.name}" if settings.registry else project.name
    if settings.tag is not None:
        return Location(project, path, repository, settings.tag, None)
    version = _static_version(project.root / "pyproject.toml")
    if version is None:
        note = (
            f"{project.name} has no static [project] version, so its image is tagged "
            f"{DEFAULT_TAG!r}; set one, or pass --tag"
        )
        return Location(project, path, repository, DEFAULT_TAG, note)
    return Location(project, path, repository, _docker_tag(version), None)


def _static_version(pyproject: Path) -> str | None:
    section = read_toml(pyproject).get("project")
    version = section.get("version") if isinstance(section, dict) else None
    return version if isinstance(version, str) and version else None


def _docker_tag(version: str) -> str:
    """A PEP 440 version as a Docker tag: a local version's `+` is not allowed there."""
    tag = re.sub(r"[^A-Za-z0-9_.-]", "-", version).lstrip(".-")
    return tag[:128] or DEFAULT_TAG


def _depends_on_dagster(meta: dict[str, Any]) -> bool:
    section = meta.get("project")
    dependencies = section.get("dependencies") if isinstance(section, dict) else None
    found = dependencies if isinstance(dependencies, list) else []
    return any(isinstance(dep, str) and _DAGSTER.match(dep) for dep in found)


def _slug(name: str) -> str:
    return normalize_name(re.sub(r"[^A-Za-z0-9._-]+", "-", name)).strip("-") or "ws"


def workspace_document(locations: list[Location]) -> dict[str, Any]:
    """Dagster's workspace.yaml for containers: a `grpc_server` entry per location, reached by
    its host name (the compose service, the Helm chart's Service) on its port."""
    servers = [
        {"grpc_server": {"host": loc.name, "port": loc.port, "location_name": loc.name}}
        for loc in locations
    ]
    return {"load_from": servers}
