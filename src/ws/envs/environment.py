"""One project's environment: where it is, what it is built from, and whether it is current.

The only code that knows an env's layout (`env_root`, `env_python`) and reads or writes its marker
`ws-env.json`. The marker says how ws came to hold the folder (`created`, or `adopted` from uv or
another tool that made it), whether the last install finished (`ready`) or not (`installing`),
what the env was built from (the fingerprint) and what it holds (a digest of its installed
distributions, so a `pip install` behind ws's back shows). `installing` is written before an
installer touches the env and `ready` last, atomically, so an env marked ready is complete.
Checking the fingerprint parses pyproject.toml, hashes a lock file and lists site-packages: no
subprocess, no virtualenv import.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ws.digest import sha256
from ws.envs.defs_wheel import defs_package
from ws.files import write_atomic

if TYPE_CHECKING:
    from ws.pythons.discovery import Interpreter
    from ws.pythons.requests import Resolver
    from ws.workspace.model import Library, Project

ENV_MARKER = "ws-env.json"
MARKER_VERSION = 2
LOCK_FILE = "uv.lock"
BIN = "Scripts" if os.name == "nt" else "bin"
Origin = Literal["created", "adopted"]
# Keys whose change means a new env, not a reinstall: the interpreter, or the env or project moved
# (scripts carry absolute shebangs, the editable install an absolute path).
_RECREATE_KEYS = ("interpreter", "venv", "project")
_BYTECODE = "bytecode"  # whether the build compiled every file (recorded, never a reason alone)
_REASONS = {
    "pyproject.toml": "pyproject.toml changed",
    LOCK_FILE: "uv.lock changed",
    "groups": "[tool.ws] groups changed",
    "ws-defs": "ws-defs changed",
    "venv": "environment moved",
    "project": "project moved",
}
# What in pyproject.toml decides an install; a comment, a reformat or `[tool.ws] owner` does not.
_PROJECT_KEYS = (
    "name", "version", "dynamic", "dependencies", "optional-dependencies", "requires-python",
    "scripts", "gui-scripts", "entry-points",
)  # fmt: skip
_WS_DEFS = re.compile(r"^\s*ws[-_.]defs\s*([\[(<>=!~;@ ]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Plan:
    """What a sync has to do: nothing, recreate the env, or install into it (`origin` says how
    ws holds the folder after), or `refuse` to touch a folder it did not make; and why."""

    action: Literal["none", "create", "update", "refuse"]
    reason: str | None = None
    origin: Origin = "created"


@dataclass(frozen=True)
class Marker:
    """`ws-env.json` as read: how ws holds the env, whether its last install finished, and what
    it was built from."""

    version: object
    origin: Origin
    ready: bool
    fingerprint: dict[str, Any]
    installed: str | None


class Environment:
    """The env of one project on one interpreter.

    `compile_bytecode` is a sync's wish for bytecode of every file (`ws sync --compile-bytecode`):
    with it, or `[tool.ws] compile-bytecode`, or uv's `UV_COMPILE_BYTECODE`, an env built without
    whole-env bytecode needs an update. Read commands leave it None: bytecode never makes an env
    unusable, so `ws run` and `ws list projects` do not judge it.
    """

    def __init__(
        self, project: Project, interpreter: Interpreter, *, compile_bytecode: bool | None = None
    ) -> None:
        self.project = project
        self.interpreter = interpreter
        self.venv = project.venv
        self.marker = project.venv / ENV_MARKER
        self.python = env_python(project)
        self._judge_bytecode = compile_bytecode is not None
        self.compile_bytecode = bool(compile_bytecode) or (
            compile_bytecode is not None
            and (project.settings.compile_bytecode or _uv_compiles_bytecode())
        )

    def fingerprint(self) -> dict[str, Any]:
        """Everything the env is built from; equal fingerprints mean nothing to do."""
        root = self.project.root
        return {
            "interpreter": {
                "executable": self.interpreter.executable,
                "version": self.interpreter.version,
            },
            "venv": str(self.venv),
            "project": str(root),
            "pyproject.toml": _pyproject_meaning(root / "pyproject.toml"),
            LOCK_FILE: _file_hash(lock) if (lock := lock_file(self.project)) else None,
            "groups": list(self.project.settings.groups),
            "ws-defs": defs_package().token,
            "libraries": {lib.name: _library_print(lib) for lib in self.project.libraries},
            _BYTECODE: self.compile_bytecode,  # not compared: see plan()
        }

    def plan(self) -> Plan:
        """Compare the marker with the current fingerprint and with what the env holds."""
        if self.project.external_python is not None:
            return Plan("none", "external: ws uses it as it is")
        marker = read_marker(self.venv)
        if marker is None:
            return self._unmarked()
        origin = marker.origin
        if marker.version != MARKER_VERSION:
            return self._recreate("built by another version of ws", origin)
        if not marker.ready:
            return Plan(
                "create" if origin == "created" else "update",
                "the last build did not finish",
                origin,
            )
        if not self.python.exists():
            return self._recreate("its python is missing", origin)
        plan = _compare(marker.fingerprint, self.fingerprint())
        if plan.action == "create":
            return self._recreate(plan.reason, origin)
        if plan.action == "none" and marker.installed != installed_digest(self.venv):
            return Plan("update", "changed outside ws", origin)
        # Whole-env bytecode asked for now, not done by the last build: an update compiles every
        # file (uv's --compile-bytecode covers the whole env). Not asked for: what is there stays.
        wants_bytecode = self._judge_bytecode and self.compile_bytecode
        if plan.action == "none" and wants_bytecode and not marker.fingerprint.get(_BYTECODE):
            return Plan("update", "bytecode for every file asked for", origin)
        return Plan(plan.action, plan.reason, origin)

    def _unmarked(self) -> Plan:
        """No marker: nothing there yet, an env another tool made (uv sync), or something else."""
        if not self.venv.exists():
            return Plan("create", "new")
        version = venv_python_version(self.venv)
        if version is None:
            if self.venv.is_dir() and not any(self.venv.iterdir()):
                return Plan("create", "new")
            return Plan(
                "refuse",
                f"{self.venv} exists and is not a virtual environment, so ws will not replace "
                f"it; move it away, or set `venv = ...` for {self.project.path} in ws.toml",
            )
        if version != self.interpreter.version or not self.python.exists():
            return Plan(
                "refuse",
                f"{self.venv} was made by another tool with Python {version}, but the project "
                f"asks for {self.interpreter.version}; ws leaves it alone: run `ws sync "
                f"--reinstall {self.project.name}` to let ws recreate it",
                "adopted",
            )
        return Plan("update", "made by another tool: ws takes it over in place", "adopted")

    def _recreate(self, reason: str | None, origin: Origin) -> Plan:
        if origin == "created":
            return Plan("create", reason)
        return Plan(
            "refuse",
            f"{self.venv} was made by another tool and {reason}; ws leaves it alone: run "
            f"`ws sync --reinstall {self.project.name}` to let ws recreate it",
            origin,
        )

    def write_marker(self, origin: Origin, *, ready: bool, fingerprint: dict[str, Any]) -> None:
        """Say how ws holds the env and whether its install finished; `ready` is a build's last
        step, `installing` (not ready, with the old fingerprint) comes before an installer runs."""
        document = {
            "version": MARKER_VERSION,
            "project": self.project.name,
            "origin": origin,
            "state": "ready" if ready else "installing",
            "python": self.interpreter.version,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fingerprint": fingerprint,
            "installed": installed_digest(self.venv) if ready else None,
        }
        write_atomic(self.marker, json.dumps(document, indent=2) + "\n")


def env_root(project: Project) -> Path:
    """The env's folder: the project's venv, or for an external interpreter the env holding it."""
    if project.external_python is not None:
        return project.external_python.parent.parent  # <env>/bin/python, not resolved
    return project.venv


def env_python(project: Project) -> Path:
    """The interpreter of the project's env: its external one, else the one ws builds."""
    return project.external_python or project.venv / BIN / "python"


def is_built(project: Project) -> bool:
    """Whether the env can be used: built by ws to the end (marked ready), or an external one
    that exists."""
    if project.external_python is None:
        marker = read_marker(project.venv)
        if marker is None or not marker.ready:
            return False
    return env_python(project).exists()


def created_by_ws(venv: Path) -> bool:
    """Whether ws created this folder (not adopted it), so ws may delete it."""
    marker = read_marker(venv)
    return marker is not None and marker.origin == "created"


def content_key(project: Project) -> bytes:
    """What changes whenever the env's installed packages may have changed (for cache keys).

    ws's own env: its marker, rewritten by every build. An external env, which ws never marks:
    installing, removing or upgrading a package adds or renames entries in site-packages, which
    changes that folder's mtime; a recreated env gets a new pyvenv.cfg.
    """
    if project.external_python is None:
        try:
            return (project.venv / ENV_MARKER).read_bytes()
        except OSError:
            return b"no env marker"
    root = env_root(project)
    parts = []
    for path in [root / "pyvenv.cfg", *sorted(root.glob("lib/python*/site-packages"))]:
        try:
            stat = path.stat()
        except OSError:
            continue
        parts.append(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n")
    return "".join(parts).encode()


def read_marker(venv: Path) -> Marker | None:
    """The marker, or None when there is none or it is not ws's. An older ws's marker (version 1,
    written last by its own complete builds) reads as created and ready."""
    try:
        data = json.loads((venv / ENV_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("fingerprint"), dict):
        return None
    origin: Origin = "adopted" if data.get("origin") == "adopted" else "created"
    ready = data.get("version") == 1 or data.get("state") == "ready"
    installed = data.get("installed")
    installed = installed if isinstance(installed, str) else None
    return Marker(data.get("version"), origin, ready, data["fingerprint"], installed)


def installed_digest(venv: Path) -> str:
    """A digest of the distributions installed in the env (the names of their .dist-info
    folders): what a `pip install` or a `uv sync` behind ws's back changes. One listdir."""
    names: list[str] = []
    for site in sorted(venv.glob("lib/python*/site-packages")):
        try:
            names += sorted(n for n in os.listdir(site) if n.endswith(".dist-info"))
        except OSError:
            continue
    return sha256("\n".join(names).encode()).hexdigest()[:32]


def interpreter_for(project: Project, resolver: Resolver) -> Interpreter:
    """The interpreter the project's env is built on: the one its request resolves to, except
    that an env another tool made (or one ws adopted) keeps its own interpreter while that still
    satisfies the request, as `uv sync` keeps a `.venv` (`>=3.10` is met by the 3.11 it has)."""
    chosen = resolver.resolve(project.python)
    if project.external_python is not None or project.python is None:
        return chosen
    marker = read_marker(project.venv)
    version = venv_python_version(project.venv)
    if (
        (marker is not None and marker.origin == "created")
        or not version
        or version == chosen.version
    ):
        return chosen
    from ws.pythons.requests import parse_request

    request = parse_request(*project.python)
    home = _venv_values(project.venv).get("home", "")
    for candidate in resolver.interpreters:
        same_home = os.path.dirname(candidate.executable) == home
        if candidate.version == version and same_home and request.matches(candidate):
            return candidate
    return chosen


def venv_python_version(venv: Path) -> str | None:
    """The Python version a virtual environment says it was made with (its pyvenv.cfg), or None
    when the folder is not one. virtualenv and uv write `version_info`, the venv module `version`."""
    values = _venv_values(venv)
    if not values:
        return None
    version = values.get("version_info") or values.get("version") or ""
    match = re.match(r"\d+\.\d+\.\d+", version)
    return match[0] if match else ""


def lock_file(project: Project) -> Path | None:
    """The uv.lock that decides the project's install: its own, else that of the uv workspace
    it is a member of (a folder above with `[tool.uv.workspace]`), else None."""
    own = project.root / LOCK_FILE
    if own.is_file():
        return own
    for folder in project.root.parents:
        meta = (
            _read_pyproject(folder / "pyproject.toml")
            if (folder / "pyproject.toml").is_file()
            else {}
        )
        tool = meta.get("tool")
        uv = tool.get("uv") if isinstance(tool, dict) else None
        if isinstance(uv, dict) and isinstance(uv.get("workspace"), dict):
            lock = folder / LOCK_FILE
            return lock if lock.is_file() else None
    return None


def _venv_values(venv: Path) -> dict[str, str]:
    """pyvenv.cfg's `key = value` lines; {} when there is none."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def install_groups(project: Project) -> tuple[str, ...]:
    """The PEP 735 groups an install takes: uv's defaults (`[tool.uv] default-groups`, else `dev`
    when the project has it), then `[tool.ws] groups`."""
    meta = _read_pyproject(project.root / "pyproject.toml")
    declared = meta.get("dependency-groups")
    names = list(declared) if isinstance(declared, dict) else []
    uv = meta.get("tool", {}).get("uv", {}) if isinstance(meta.get("tool"), dict) else {}
    defaults = uv.get("default-groups") if isinstance(uv, dict) else None
    if defaults == "all":
        chosen = names
    elif isinstance(defaults, list):
        chosen = [g for g in defaults if isinstance(g, str)]
    else:
        chosen = ["dev"] if "dev" in names else []
    return tuple(dict.fromkeys([*chosen, *project.settings.groups]))


def depends_on_ws_defs(project: Project) -> bool:
    """Whether the project lists ws-defs among its dependencies or groups (a locked project
    gets ws's own wheel only then)."""
    meta = _read_pyproject(project.root / "pyproject.toml")
    section = meta.get("project")
    found = list(section.get("dependencies") or []) if isinstance(section, dict) else []
    groups = meta.get("dependency-groups")
    for group in groups.values() if isinstance(groups, dict) else ():
        found += group if isinstance(group, list) else []
    return any(isinstance(dep, str) and _WS_DEFS.match(dep) for dep in found)


def _compare(old: dict[str, Any], new: dict[str, Any]) -> Plan:
    for key in _RECREATE_KEYS:
        if old.get(key) != new[key]:
            if key == "interpreter" and _same_interpreter(old.get(key) or {}, new[key]):
                continue
            if key != "interpreter":
                return Plan("create", _REASONS[key])
            before, after = old.get(key) or {}, new[key]
            if before.get("version") != after["version"]:
                return Plan("create", f"interpreter {before.get('version')} -> {after['version']}")
            return Plan(
                "create",
                f"interpreter {before.get('executable')} -> {after['executable']}",
            )
    changed = [
        key
        for key in new
        if key not in _RECREATE_KEYS and key != _BYTECODE and old.get(key) != new[key]
    ]
    if changed:
        reasons = [
            _library_change(old.get(key) or {}, new[key])
            if key == "libraries"
            else _REASONS.get(key, f"{key} changed")
            for key in changed
        ]
        return Plan("update", ", ".join(reasons))
    return Plan("none")


def _same_interpreter(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """One interpreter found under two names (`python3` first on a PATH that `pyenv exec` or an
    activated shell changed, `python` otherwise): the env it made is still its env."""
    if before.get("version") != after["version"]:
        return False
    try:
        return os.path.samefile(before.get("executable") or "", after["executable"])
    except OSError:
        return False


def _library_print(library: Library) -> dict[str, Any]:
    """What decides a library's part of the install: its pyproject.toml's meaning, its path,
    and for one installed without `editable` (a copy in the env) each source file's stat."""
    files = None
    if not library.editable:
        files = {}
        for folder in library.code_paths():
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(
                    d for d in dirnames if d != "__pycache__" and not d.startswith(".")
                )
                for name in sorted(filenames):
                    path = Path(dirpath, name)
                    stat = path.stat()
                    files[path.relative_to(library.path).as_posix()] = (
                        f"{stat.st_mtime_ns}:{stat.st_size}"
                    )
    return {
        "path": str(library.path),
        "editable": library.editable,
        "pyproject.toml": _pyproject_meaning(library.path / "pyproject.toml"),
        "files": files,
    }


def _library_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Which library changed, and the file: `library common: pyproject.toml changed`."""
    for name in [*new, *(n for n in old if n not in new)]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None or after is None:
            return f"library {name} {'added' if before is None else 'removed'}"
        for key in ("path", "editable", "pyproject.toml"):
            if before.get(key) != after.get(key):
                return f"library {name}: {'pyproject.toml' if key == 'pyproject.toml' else key} changed"
        files_before, files_after = before.get("files") or {}, after.get("files") or {}
        for file in sorted({*files_before, *files_after}):
            if files_before.get(file) != files_after.get(file):
                return f"library {name}: {file} changed"
    return "local libraries changed"


def _pyproject_meaning(path: Path) -> str | None:
    """A digest of what in pyproject.toml decides the install, not of its bytes; the bytes when
    it does not parse (so an edit still shows)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    meta = _read_pyproject(path)
    if not meta:
        return sha256(raw).hexdigest()
    project = _table(meta, "project")
    tool = _table(meta, "tool")
    meaning = {
        "project": {key: project[key] for key in _PROJECT_KEYS if key in project},
        "dependency-groups": meta.get("dependency-groups"),
        "build-system": meta.get("build-system"),
        "tool.uv": tool.get("uv"),
    }
    text = json.dumps(meaning, sort_keys=True, default=str)
    return sha256(text.encode()).hexdigest()


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _read_pyproject(path: Path) -> dict[str, Any]:
    """pyproject.toml as data; {} when it is missing or does not parse (reading the project's
    settings reports that)."""
    from ws.errors import ConfigError
    from ws.workspace.toml import read_toml

    try:
        return read_toml(path)
    except ConfigError:
        return {}


def _file_hash(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _uv_compiles_bytecode() -> bool:
    """uv's own switch, read as uv reads a boolean variable."""
    value = os.environ.get("UV_COMPILE_BYTECODE", "").strip().lower()
    return value in ("1", "true", "yes", "on", "y", "t")
