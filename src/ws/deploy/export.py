"""`ws export`: the deployment files of the workspace's Dagster projects, written, checked, and
the ones ws wrote earlier that no project writes any more, removed.

Every file starts with the header line `# Written by ws; rewrite with `ws export TARGET ...` at
the workspace root`, which is how ws knows its own files: one without it is never overwritten or
removed. Files depend only on the workspace's own files (and, for a project without a uv.lock,
on what its env holds), never on this machine's paths, so `--check` in CI tells whether someone
forgot to export. Layout under the output folder (`deploy/` by default):

    workspace.yaml                        workspace: a grpc_server entry per location
    NAME/Dockerfile                       docker: the location's image (context: the root)
    NAME/Dockerfile.dockerignore          docker: what that context may send
    NAME/requirements.txt                 docker: the env's pins, for a project without a lock
    docker-compose.yml, dagster.yaml,     compose (which also writes workspace and docker):
    dagster.Dockerfile[.dockerignore]       the services, the instance, the webserver's image
    values.yaml                           helm: values for Dagster's chart
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ws.deploy import compose, dockerfile
from ws.deploy.helm import helm_values
from ws.deploy.images import Image, image_for
from ws.deploy.locations import (
    Left,
    Location,
    Settings,
    dagster_locations,
    read_settings,
    relative_path,
    workspace_document,
)
from ws.deploy.yaml_text import dump_yaml
from ws.errors import ConfigError, ProjectFailed
from ws.files import write_atomic
from ws.pythons.requests import Resolver
from ws.workspace.model import Workspace

TARGETS = ("workspace", "docker", "compose", "helm")
DEFAULT_OUT = "deploy"
# compose builds the images and copies workspace.yaml into the webserver's.
_IMPLIED = {"compose": ("workspace", "docker")}
_HEADER = "# Written by ws; rewrite with `{command}` at the workspace root (edits here are lost).\n"
_OURS = re.compile(r"^# Written by ws; rewrite with `ws export (\w+)")
Status = Literal["written", "unchanged", "removed", "differs", "missing", "stale"]


@dataclass(frozen=True)
class FileResult:
    """One file's fate; `path` is relative to the workspace root, with forward slashes."""

    path: str
    status: Status


@dataclass(frozen=True)
class ExportReport:
    """What an export did (or, with `check`, would do), and the projects it left out."""

    out: str
    check: bool
    locations: tuple[str, ...]
    files: tuple[FileResult, ...]
    left: tuple[Left, ...]
    notes: tuple[str, ...]

    @property
    def failed(self) -> list[Left]:
        return [entry for entry in self.left if entry.failed]

    @property
    def out_of_date(self) -> list[FileResult]:
        return [f for f in self.files if f.status in ("differs", "missing", "stale")]


@dataclass
class _Plan:
    """The files an export owns: path (relative to the output folder) -> (target, text)."""

    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # folders and files of failed projects
    left: list[Left] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def export(
    workspace: Workspace,
    targets: Sequence[str],
    *,
    out: Path | None = None,
    registry: str | None = None,
    tag: str | None = None,
    check: bool = False,
) -> ExportReport:
    """Write (or with `check`, compare) the files of `targets` (all when empty) under `out`
    (default: deploy/ at the workspace root); a project that cannot be exported is in `left`
    with `failed`, and its files are left as they are."""
    chosen = _expand(targets)
    folder, out_rel = _out_folder(workspace.root, out)
    settings = read_settings(workspace, registry, tag)
    locations, left = dagster_locations(workspace, settings)
    plan = _Plan(left=list(left))
    plan.notes += [loc.tag_note for loc in locations if loc.tag_note]
    plan.kept |= {f"{entry.name}/" for entry in left if entry.failed}
    if locations:
        _plan_files(plan, workspace.root, out_rel, locations, settings, chosen)
    elif workspace.projects:
        plan.notes.append("no Dagster project in the workspace, so there is nothing to export")
    command = _command(out_rel, settings, tag)
    wanted = {
        path: _HEADER.format(command=f"ws export {target}{command}") + text
        for path, (target, text) in plan.files.items()
    }
    stale = [p for p in _ws_files(folder, chosen) if p not in wanted and not _kept(p, plan.kept)]
    _refuse_foreign_files(folder, wanted, out_rel)
    if check:
        results = _compare(folder, out_rel, wanted, stale)
    else:
        results = _write(folder, out_rel, wanted, stale)
    return ExportReport(
        out_rel,
        check,
        tuple(loc.name for loc in locations),
        tuple(results),
        tuple(plan.left),
        tuple(plan.notes),
    )


def _plan_files(
    plan: _Plan,
    root: Path,
    out_rel: str,
    locations: list[Location],
    settings: Settings,
    chosen: list[str],
) -> None:
    if "workspace" in chosen:
        plan.files["workspace.yaml"] = ("workspace", dump_yaml(workspace_document(locations)))
    images: list[Image] = []
    if "docker" in chosen:
        resolver = Resolver()
        for location in locations:
            try:
                image = image_for(location, root, resolver)
            except ProjectFailed as exc:
                plan.left.append(Left(location.name, str(exc), failed=True))
                plan.kept.add(f"{location.name}/")
                continue
            images.append(image)
            plan.notes += [image.python_note] if image.python_note else []
            _plan_image(plan, image, out_rel)
    if "compose" in chosen:
        _plan_compose(plan, out_rel, locations, settings, images)
    if "helm" in chosen:
        plan.files["values.yaml"] = ("helm", dump_yaml(helm_values(locations)))


def _plan_image(plan: _Plan, image: Image, out_rel: str) -> None:
    name = image.location.name
    path = f"{out_rel}/{name}/Dockerfile"
    requirements = f"{out_rel}/{name}/requirements.txt" if image.lock is None else None
    if requirements is not None:
        plan.files[f"{name}/requirements.txt"] = ("docker", dockerfile.requirements_text(image))
    text = dockerfile.location_dockerfile(image, requirements, path)
    plan.files[f"{name}/Dockerfile"] = ("docker", text)
    ignore = dockerfile.location_dockerignore(image, [requirements] if requirements else [])
    plan.files[f"{name}/Dockerfile.dockerignore"] = ("docker", ignore)


def _plan_compose(
    plan: _Plan, out_rel: str, locations: list[Location], settings: Settings, images: list[Image]
) -> None:
    """docker-compose.yml and dagster.yaml; the webserver's image on the newest Python of the
    locations' images and the newest dagster they pin, unless `[workspace] dagster` says."""
    context = "/".join([".."] * len(out_rel.split("/")))
    dockerfiles = {loc.name: f"{out_rel}/{loc.name}/Dockerfile" for loc in locations}
    document = compose.compose_document(locations, settings, context, dockerfiles)
    plan.files["docker-compose.yml"] = ("compose", dump_yaml(document))
    plan.files["dagster.yaml"] = ("compose", dump_yaml(compose.instance_document(settings)))
    if not images:  # every image failed: the webserver's stays as it was
        plan.kept |= {"dagster.Dockerfile", "dagster.Dockerfile.dockerignore"}
        return
    python = max((image.python for image in images), key=_version_key)
    python = ".".join(python.split(".")[:2])
    pin = dagster_pin(settings, images)
    plan.files["dagster.Dockerfile"] = ("compose", dockerfile.dagster_dockerfile(python, pin))
    plan.files["dagster.Dockerfile.dockerignore"] = ("compose", dockerfile.dagster_dockerignore())


def dagster_pin(settings: Settings, images: list[Image]) -> str:
    """The webserver's dagster as a specifier: `[workspace] dagster`, else the newest version
    the projects' locks or envs hold (it serves their code servers)."""
    if settings.dagster is not None:
        text = settings.dagster.strip()
        spec = text if text[:1] in "<>=!~" else f"=={text}"
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            raise ConfigError(
                f"[workspace] dagster = {settings.dagster!r} in ws.toml is not a version or a "
                'version specifier; write e.g. "1.13.*" or "1.13.3".'
            ) from None
        return spec
    return "==" + max((image.dagster_version for image in images), key=_version_key)


def _version_key(version: str) -> tuple[int, ...]:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version).release
    except InvalidVersion:
        return ()


def _expand(targets: Sequence[str]) -> list[str]:
    """The targets asked for, with what they imply, in TARGETS order; all when none are."""
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise ConfigError(
            f"ws export has no target {unknown[0]!r}; choose from {', '.join(TARGETS)} "
            "(none: all of them)."
        )
    chosen = set(targets or TARGETS)
    for target in list(chosen):
        chosen.update(_IMPLIED.get(target, ()))
    return [t for t in TARGETS if t in chosen]


def _out_folder(root: Path, out: Path | None) -> tuple[Path, str]:
    """The output folder and its path from the root; it must be a folder inside the workspace,
    which is the images' build context."""
    folder = (root / DEFAULT_OUT) if out is None else Path(os.path.abspath(out))
    rel = relative_path(root, folder)
    if rel is None or rel == ".":
        raise ConfigError(
            f"--out {out} is {'the workspace root' if rel else 'outside the workspace'} "
            f"{root}; give a folder inside it (the images' build context), e.g. --out deploy."
        )
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {out} is a file; give a folder.")
    return folder, rel


def _command(out_rel: str, settings: Settings, tag: str | None) -> str:
    """The flags that gave these files their content, as the header's command repeats them."""
    words = []
    if out_rel != DEFAULT_OUT:
        words += ["--out", out_rel]
    if settings.registry_given and settings.registry:
        words += ["--registry", settings.registry]
    if tag is not None:
        words += ["--tag", tag]
    return "".join(f" {shlex.quote(word)}" for word in words)


def _ws_files(folder: Path, chosen: list[str]) -> list[str]:
    """The files under `folder` (two levels: ws writes no deeper) that ws wrote for `chosen`."""
    found = []
    for path in sorted([*folder.glob("*"), *folder.glob("*/*")]):
        if not path.is_file():
            continue
        target = _written_for(path)
        if target in chosen:
            found.append(path.relative_to(folder).as_posix())
    return found


def _written_for(path: Path) -> str | None:
    """The target whose header the file starts with, or None: not ws's."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(400).decode("utf-8", errors="replace")
    except OSError:
        return None
    match = _OURS.match(first)
    return match[1] if match else None


def _kept(path: str, kept: set[str]) -> bool:
    return path in kept or any(path.startswith(prefix) for prefix in kept if prefix.endswith("/"))


def _refuse_foreign_files(folder: Path, wanted: dict[str, str], out_rel: str) -> None:
    for path in sorted(wanted):
        file = folder / path
        if file.exists() and (not file.is_file() or _written_for(file) is None):
            raise ConfigError(
                f"{out_rel}/{path} exists and ws did not write it (its first line is not ws's "
                "header), so ws will not replace it; move it away, or give --out another folder."
            )


def _compare(
    folder: Path, out_rel: str, wanted: dict[str, str], stale: list[str]
) -> list[FileResult]:
    results = []
    for path in sorted(wanted):
        file = folder / path
        if not file.is_file():
            status: Status = "missing"
        elif file.read_bytes() != wanted[path].encode("utf-8"):
            status = "differs"
        else:
            status = "unchanged"
        results.append(FileResult(f"{out_rel}/{path}", status))
    return results + [FileResult(f"{out_rel}/{path}", "stale") for path in stale]


def _write(
    folder: Path, out_rel: str, wanted: dict[str, str], stale: list[str]
) -> list[FileResult]:
    results = []
    for path in sorted(wanted):
        file, data = folder / path, wanted[path].encode("utf-8")
        if file.is_file() and file.read_bytes() == data:
            results.append(FileResult(f"{out_rel}/{path}", "unchanged"))
            continue
        write_atomic(file, data)
        results.append(FileResult(f"{out_rel}/{path}", "written"))
    for path in stale:
        (folder / path).unlink(missing_ok=True)
        parent = (folder / path).parent
        if parent != folder and not any(parent.iterdir()):
            parent.rmdir()  # a project's folder ws emptied
        results.append(FileResult(f"{out_rel}/{path}", "removed"))
    return results
