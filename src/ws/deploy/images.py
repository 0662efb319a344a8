"""What a location's image holds: its Python, the folders it copies, and what it installs.

With a `uv.lock` (the project's own, or its uv workspace's), exactly what the lock says, by `uv
sync --frozen` with the arguments ws's own sync uses. Without one, exactly what the project's ws
env has: its pins, read with `uv pip freeze` (the project, its local libraries and ws-defs left
out: the image installs the first two from their folders, and a Dagster project does not need
ws-defs). So the env must be built and current; ws says so where it is not.

The image's Python is the version the project asks for when its request names one (`3.12`,
`cpython3.11`); a range (`>=3.10`) or no request leaves the choice to this machine's interpreters,
which the export notes, since another machine may choose another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ws import process
from ws.deploy.locations import Location, relative_path
from ws.envs.environment import (
    Environment,
    depends_on_ws_defs,
    env_python,
    interpreter_for,
    lock_file,
    venv_python_version,
)
from ws.errors import ProjectFailed
from ws.pythons.requests import Resolver, parse_request
from ws.workspace.model import normalize_name
from ws.workspace.toml import read_toml

_WS_DEFS = "ws-defs"


@dataclass(frozen=True)
class Image:
    """The recipe of one location's image; paths relative to the workspace root (the context).

    `lock` is the uv.lock the image syncs from (None: `pins` instead, the lines of the pinned
    requirements file); `editable`/`installed` are the folders a lockless image installs
    without their dependencies (the project and its libraries, as its env has them).
    """

    location: Location
    python: str
    python_note: str | None
    copies: tuple[str, ...]
    dagster_version: str
    lock: str | None = None
    sync_args: tuple[str, ...] = ()
    pins: tuple[str, ...] = ()
    editable: tuple[str, ...] = ()
    installed: tuple[str, ...] = ()
    own_env: str | None = None  # the project's env, where it is not named .venv


def image_for(location: Location, root: Path, resolver: Resolver) -> Image:
    """The recipe of `location`'s image, or a ProjectFailed saying what stops it."""
    image = _recipe(location, root, resolver)
    venv = relative_path(root, location.project.venv)
    own_env = venv if venv and venv != "." and not venv.endswith("/.venv") else None
    return replace(image, own_env=own_env)


def _recipe(location: Location, root: Path, resolver: Resolver) -> Image:
    project = location.project
    if depends_on_ws_defs(project):
        raise ProjectFailed(
            "it depends on ws-defs, which no package index serves, so no image can install "
            "it; a Dagster project does not need it: remove the dependency."
        )
    libraries = [(library, _inside(root, library.path)) for library in project.libraries]
    lock = lock_file(project)
    if lock is not None:
        lock_folder = _inside(root, lock.parent)
        python, note = _python(location, resolver, None)
        copies = _outermost([lock_folder, location.path, *(path for _, path in libraries)])
        args = ["--frozen"]
        if lock.parent.resolve() != project.root.resolve():
            args += ["--package", project.name]
        for group in project.settings.groups:
            args += ["--group", group]
        lock_path = f"{lock_folder}/uv.lock" if lock_folder != "." else "uv.lock"
        version = _needs_dagster(_locked_dagster(lock), f"its lock ({lock_path})")
        return Image(
            location,
            python,
            note,
            copies,
            lock=lock_path,
            sync_args=tuple(args),
            dagster_version=version,
        )
    env_version = _current_env_version(location, resolver)
    python, note = _python(location, resolver, env_version)
    skip = {project.name, _WS_DEFS, *(library.name for library, _ in libraries)}
    pins = tuple(_pins(location, _freeze(location), skip))
    editable = [location.path] + [path for library, path in libraries if library.editable]
    installed = [path for library, path in libraries if not library.editable]
    copies = _outermost([location.path, *(path for _, path in libraries)])
    pinned = next(
        (p.split("==", 1)[1] for p in pins if _pin_name(p) == "dagster" and "==" in p), None
    )
    return Image(
        location,
        python,
        note,
        copies,
        pins=pins,
        editable=tuple(editable),
        installed=tuple(installed),
        dagster_version=_needs_dagster(pinned, "its env"),
    )


def _python(
    location: Location, resolver: Resolver, env_version: str | None
) -> tuple[str, str | None]:
    """The image's Python: the version the request names, else this machine's pick (noted)."""
    project = location.project
    if project.python is not None and project.external_python is None:
        request = parse_request(*project.python)
        named = request.implementation in (None, "cpython") and len(request.version) >= 2
        if named and request.specifier is None and request.path is None:
            return ".".join(map(str, request.version)), None
    version = env_version or interpreter_for(project, resolver).version
    minor = ".".join(version.split(".")[:2])
    asked = (
        f"for {project.python[0]!r} ({project.python[1]})"
        if project.python
        else "with no Python request (the interpreter running ws)"
    )
    note = (
        f"{project.name}: its image is on Python {minor}, this machine's pick {asked}; name "
        "a version (a .python-version, or `python` in ws.toml) so that every machine writes "
        "the same Dockerfile"
    )
    return minor, note


def _current_env_version(location: Location, resolver: Resolver) -> str:
    """The Python version of the project's env, which must be built and current: its pins are
    what the image installs."""
    project = location.project
    if project.external_python is not None:
        version = venv_python_version(project.external_python.parent.parent)
        if not project.external_python.exists() or not version:
            raise ProjectFailed(
                f"it has no uv.lock and its external env {project.external_python} is "
                "missing, so ws cannot read what its image should install; restore it, or add "
                "a uv.lock (`uv lock` in its folder)."
            )
        return version
    interpreter = interpreter_for(project, resolver)
    plan = Environment(project, interpreter).plan()
    if plan.action != "none":
        why = "not built yet" if plan.reason == "new" else plan.reason
        raise ProjectFailed(
            f"it has no uv.lock, so its image installs what its env has, and that env "
            f"({project.venv}) is not current: {why}; run `ws sync {project.name}` first (or "
            "add a uv.lock)."
        )
    return interpreter.version


def _freeze(location: Location) -> str:
    from ws.envs.build import uv_binary

    python = env_python(location.project)
    args = [uv_binary(), "pip", "freeze", "--python", str(python), "--exclude-editable"]
    variables = {"UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    result = process.run(args, env=process.clean_env(variables), timeout=120)
    if not result.ok:
        raise ProjectFailed(
            f"uv could not list what its env holds ({python}): "
            f"{(result.stderr or result.stdout).strip()}"
        )
    return result.stdout


def _pins(location: Location, freeze: str, skip: set[str]) -> list[str]:
    """The env's third-party pins, sorted; one from a file on this machine cannot go in."""
    pins = []
    for raw in freeze.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-")):
            continue
        if _pin_name(line) in skip:
            continue
        if " @ file:" in line:
            name, url = line.split(" @ ", 1)
            raise ProjectFailed(
                f"its env has {name} from a file on this machine ({url}), which no image can "
                "install; depend on it from an index, or as a local library inside the workspace."
            )
        pins.append(line)
    return sorted(pins, key=lambda pin: _pin_name(pin))


def _pin_name(line: str) -> str:
    for separator in ("==", " @ ", "@", ";", " "):
        line = line.split(separator, 1)[0]
    return normalize_name(line.strip())


def _needs_dagster(version: str | None, where: str) -> str:
    """The dagster version an image gets; without one, the image has no code server to run."""
    if version is None:
        raise ProjectFailed(
            f"{where} has no dagster, which runs its code server; add dagster to its "
            "dependencies (and `ws sync` it, or `uv lock`)."
        )
    return version


def _locked_dagster(lock: Path) -> str | None:
    packages = read_toml(lock).get("package")
    for package in packages if isinstance(packages, list) else []:
        if isinstance(package, dict) and package.get("name") == "dagster":
            version = package.get("version")
            return version if isinstance(version, str) else None
    return None


def _inside(root: Path, folder: Path) -> str:
    """`folder` relative to the workspace root, which is the images' build context."""
    path = relative_path(root, folder)
    if path is None:
        raise ProjectFailed(
            f"it needs {folder}, outside the workspace {root}, which is its image's build "
            "context; move it inside the workspace folder."
        )
    return path


def _outermost(paths: list[str]) -> tuple[str, ...]:
    """The folders to copy: each once, none inside another, in a stable order."""
    if "." in paths:
        return (".",)
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if not any(path.startswith(f"{other}/") for other in kept):
            kept.append(path)
    return tuple(sorted(kept))
