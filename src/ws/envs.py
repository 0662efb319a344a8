"""One project's environment: fingerprint, lock, create (virtualenv API), install (uv), marker.

The marker `ws-env.json` in the env says two things: ws built this folder (so `--prune` and
`ws remove --delete-env` may delete it), and what it was built from (the fingerprint). It is
deleted before an env is touched and written last, atomically, so an env that carries it is
complete: an interrupted build leaves none and the next sync redoes the work. Checking the
fingerprint hashes a few files and reads one JSON file: no subprocess, no virtualenv import.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ws import process
from ws.defs_wheel import DIST_NAME, defs_package, defs_wheel
from ws.errors import ProjectFailed
from ws.files import ENV_MARKER, cache_dir, write_atomic

if TYPE_CHECKING:
    from ws.pythons import Interpreter
    from ws.workspace import Project

log = logging.getLogger("ws")

MARKER_VERSION = 1
LOCK_FILE = "uv.lock"
_BIN = "Scripts" if os.name == "nt" else "bin"
# Keys whose change means a new env, not a reinstall: the interpreter, or the env or project moved
# (scripts carry absolute shebangs, the editable install an absolute path).
_RECREATE_KEYS = ("interpreter", "venv", "project")
_REASONS = {
    "pyproject.toml": "pyproject.toml changed",
    LOCK_FILE: "uv.lock changed",
    "groups": "[tool.ws] groups changed",
    "ws-defs": "ws-defs changed",
    "venv": "environment moved",
    "project": "project moved",
}
_ERROR_LINES = 12

Stage = Literal["waiting", "creating", "installing"]
BuildStatus = Literal["created", "updated"]
# virtualenv keeps process-wide state (app-data, caches); one creation at a time is cheap (~15 ms).
_virtualenv_lock = threading.Lock()


class BuildFailed(ProjectFailed):
    """An env could not be built; the message holds the installer's relevant lines."""


class Cancelled(Exception):
    """The sync was interrupted while this env waited or was being built."""


@dataclass(frozen=True)
class EnvState:
    """How a project's env compares with what a sync would build (for `ws list projects`)."""

    state: Literal["ready", "stale", "missing", "failed", "external"]
    reason: str | None = None


@dataclass(frozen=True)
class Plan:
    """What a sync has to do: nothing, recreate the env, or reinstall into it, and why."""

    action: Literal["none", "create", "update"]
    reason: str | None = None


class Environment:
    """The env of one project on one interpreter."""

    def __init__(self, project: Project, interpreter: Interpreter) -> None:
        self.project = project
        self.interpreter = interpreter
        self.venv = project.venv
        self.marker = project.venv / ENV_MARKER
        self.python = project.venv / _BIN / "python"

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
            "pyproject.toml": _file_hash(root / "pyproject.toml"),
            LOCK_FILE: _file_hash(root / LOCK_FILE),
            "groups": list(self.project.settings.groups),
            "ws-defs": defs_package().token,
        }

    def plan(self) -> Plan:
        """Compare the marker with the current fingerprint."""
        if self.project.external_python is not None:
            return Plan("none", "external: ws uses it as it is")
        marker = read_marker(self.venv)
        if marker is None:
            if (self.venv / "pyvenv.cfg").is_file():
                return Plan("create", "the last build did not finish")
            return Plan("create", "not built yet")
        if marker.get("version") != MARKER_VERSION:
            return Plan("create", "built by another version of ws")
        if not self.python.exists():
            return Plan("create", "its python is missing")
        return _compare(marker.get("fingerprint", {}), self.fingerprint())

    @contextlib.contextmanager
    def locked(
        self, on_wait: Callable[[], None], cancel: threading.Event | None = None
    ) -> Iterator[None]:
        """Hold the env's lock; call `on_wait` once if another process holds it, then wait."""
        with env_lock(self.venv, on_wait, cancel):
            yield

    def build(
        self,
        plan: Plan,
        *,
        reinstall: bool = False,
        offline: bool = False,
        on_stage: Callable[[Stage], None] = lambda stage: None,
        cancel: threading.Event | None = None,
    ) -> BuildStatus:
        """Create (if needed) and install; write the marker last. Call under `locked()`."""
        if self.project.external_python is not None:
            raise BuildFailed(f"{self.venv} is an external environment; ws never builds it.")
        self._refuse_foreign_folder()
        self.marker.unlink(missing_ok=True)  # from here on the env is not known to be good
        recreate = reinstall or plan.action == "create"
        if recreate:
            on_stage("creating")
            self._create()
        _check_cancel(cancel)
        on_stage("installing")
        self._install(reinstall=reinstall, offline=offline, cancel=cancel)
        _check_cancel(cancel)
        document = {
            "version": MARKER_VERSION,
            "project": self.project.name,
            "python": self.interpreter.version,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fingerprint": self.fingerprint(),
        }
        write_atomic(self.marker, json.dumps(document, indent=2) + "\n")
        return "created" if recreate else "updated"

    def _refuse_foreign_folder(self) -> None:
        if self.venv.is_dir() and not (self.venv / "pyvenv.cfg").is_file():
            if any(self.venv.iterdir()):
                raise BuildFailed(
                    f"{self.venv} exists and is not a virtual environment, so ws will not "
                    f"replace it; move it away, or set `venv = ...` for {self.project.path} "
                    "in ws.toml."
                )
        elif self.venv.exists() and not self.venv.is_dir():
            raise BuildFailed(f"{self.venv} is a file; move it away so ws can build the env.")

    def _create(self) -> None:
        import virtualenv  # 70-130 ms to import: only when an env is really created

        args = [
            str(self.venv),
            "--no-seed",
            "--clear",
            "--quiet",
            "--python",
            self.interpreter.executable,
        ]
        log.debug("virtualenv %s", " ".join(args))
        try:
            with _virtualenv_lock:
                virtualenv.cli_run(args, setup_logging=False)
        except (Exception, SystemExit) as exc:  # virtualenv reports errors as either
            raise BuildFailed(
                f"virtualenv could not create {self.venv} with {self.interpreter.executable}: {exc}"
            ) from None

    def _install(self, *, reinstall: bool, offline: bool, cancel: threading.Event | None) -> None:
        uv = uv_binary()
        wheel = defs_wheel()
        common = ["--color", "never"] + (["--offline"] if offline else [])
        args = [uv, "pip", "install", "--python", str(self.python), *common]
        args += ["--exact", "--compile-bytecode", *_find_links(wheel.parent)]
        if reinstall:
            args.append("--reinstall")
        # A direct reference wins over any index, and also satisfies a project that lists
        # ws-defs as an ordinary dependency (`--find-links` above lets resolution see it too).
        wanted = ["-e", str(self.project.root), f"{DIST_NAME} @ {wheel.as_uri()}"]
        with tempfile.TemporaryDirectory(prefix="ws-sync-") as scratch:
            if (self.project.root / LOCK_FILE).is_file():
                pins = Path(scratch) / "locked.txt"
                pins.write_text(self._export_lock(uv, common, cancel), encoding="utf-8")
                # The lock is the whole resolution: install its pins exactly, resolve nothing.
                args += ["--no-deps", "-r", str(pins), *wanted]
            else:
                args += wanted
                for group in self.project.settings.groups:
                    args += ["--group", f"pyproject.toml:{group}"]
            result = process.run(args, cwd=self.project.root, env=_uv_env(), cancel=cancel)
        _check_cancel(cancel)
        if not result.ok:
            raise BuildFailed(
                f"uv could not install {self.project.name} into {self.venv}:\n"
                + relevant_lines(result.stderr or result.stdout)
            )

    def _export_lock(self, uv: str, common: list[str], cancel: threading.Event | None) -> str:
        """uv.lock's pins for this project and its groups, as requirements (uv does the reading).

        `--frozen` takes the lock as it is (no re-resolution, no network); the project itself is
        installed editable separately and ws-defs always comes from ws's own wheel.
        """
        args = [uv, "export", "--frozen", "--no-hashes", "--format", "requirements.txt"]
        args += ["--no-header", "--no-annotate", "--no-emit-project", "--no-default-groups"]
        args += ["--no-emit-package", DIST_NAME, *common]
        for group in self.project.settings.groups:
            args += ["--group", group]
        result = process.run(args, cwd=self.project.root, env=_uv_env(), cancel=cancel)
        _check_cancel(cancel)
        if not result.ok:
            raise BuildFailed(
                f"uv could not read {self.project.root / LOCK_FILE}:\n"
                + relevant_lines(result.stderr)
            )
        return result.stdout


def read_marker(venv: Path) -> dict[str, Any] | None:
    """The marker's contents, or None when there is none (or it is not ws's JSON)."""
    try:
        data = json.loads((venv / ENV_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "fingerprint" in data else None


def environment_state(project: Project, interpreter: Interpreter | None) -> EnvState:
    """Ready, stale (and what changed), missing, or failed (the last sync failed). Cheap.

    `interpreter` is the one the project's request resolves to, None if none was found. An
    external env (Dagster's `executable_path`, a dg project's .venv) is never built by ws.
    """
    if project.external_python is not None:
        exists = project.external_python.exists()
        return EnvState("external", None if exists else f"{project.external_python} is missing")
    failure = read_failure(project.venv)
    if failure is not None:
        return EnvState("failed", failure)
    if interpreter is None:
        if read_marker(project.venv) is None:
            return EnvState("missing", "not built yet")
        return EnvState("stale", "its interpreter is not found")
    plan = Environment(project, interpreter).plan()
    if plan.action == "none":
        return EnvState("ready")
    marker_missing = read_marker(project.venv) is None
    return EnvState("missing" if marker_missing else "stale", plan.reason)


def record_failure(venv: Path, message: str) -> None:
    """Remember that the last sync of this env failed (kept in ws's cache, not the project)."""
    write_atomic(_failure_path(venv), json.dumps({"version": 1, "error": message}) + "\n")


def clear_failure(venv: Path) -> None:
    _failure_path(venv).unlink(missing_ok=True)


def read_failure(venv: Path) -> str | None:
    """The first line of the last sync's error for this env, if it failed."""
    try:
        data = json.loads(_failure_path(venv).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error.splitlines()[0] if isinstance(error, str) and error else "the last sync failed"


def env_lock(
    venv: Path, on_wait: Callable[[], None], cancel: threading.Event | None = None
) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock on one env, across processes, kept in ws's cache (not the project)."""
    return file_lock(cache_dir() / "locks" / f"{_venv_key(venv)}.lock", on_wait, cancel)


@contextlib.contextmanager
def file_lock(
    path: Path, on_wait: Callable[[], None], cancel: threading.Event | None = None
) -> Iterator[None]:
    """Hold an flock on `path`; call `on_wait` once if another process holds it, then wait.

    Polls rather than blocks so that a cancelled sync never hangs on another process's lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    waiting = True
                    on_wait()
                if cancel is not None:
                    if cancel.wait(0.1):
                        raise Cancelled from None
                else:
                    time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def activated_environ(venv: Path) -> dict[str, str]:
    """os.environ as `source <venv>/bin/activate` would leave it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "__PYVENV_LAUNCHER__")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / _BIN), env.get("PATH", "")])
    return env


def run_in_environment(venv: Path, command: Sequence[str]) -> int:
    """Run a command with the env active, on the terminal; return its exit code."""
    env = activated_environ(venv)
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        raise ProjectFailed(
            f"command {command[0]!r} is not in {venv / _BIN} nor on PATH; check its spelling, "
            "or add the package that provides it to the project's dependencies."
        )
    return process.run_foreground([executable, *command[1:]], env=env)


def relevant_lines(text: str) -> str:
    """The part of uv's message that says what went wrong, not pages of it."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.lstrip().startswith(("error:", "\N{MULTIPLICATION SIGN}", "x "))
        ),
        max(0, len(lines) - _ERROR_LINES),
    )
    picked = lines[start : start + _ERROR_LINES]
    if len(lines) > start + _ERROR_LINES:
        picked.append("  ...")
    return "\n".join(f"  {line}" for line in picked) or "  (uv said nothing)"


def _compare(old: dict[str, Any], new: dict[str, Any]) -> Plan:
    for key in _RECREATE_KEYS:
        if old.get(key) != new[key]:
            if key != "interpreter":
                return Plan("create", _REASONS[key])
            before, after = old.get(key) or {}, new[key]
            if before.get("version") != after["version"]:
                return Plan(
                    "create", f"interpreter changed {before.get('version')} -> {after['version']}"
                )
            return Plan(
                "create",
                f"interpreter changed {before.get('executable')} -> {after['executable']}",
            )
    changed = [key for key in new if key not in _RECREATE_KEYS and old.get(key) != new[key]]
    if changed:
        return Plan("update", ", ".join(_REASONS.get(key, f"{key} changed") for key in changed))
    return Plan("none")


def _find_links(ours: Path) -> list[str]:
    """`--find-links` for ws-defs's folder, plus the user's UV_FIND_LINKS (the flag would hide it)."""
    extra = [entry.strip() for entry in os.environ.get("UV_FIND_LINKS", "").split(",")]
    args = []
    for location in [str(ours), *filter(None, extra)]:
        args += ["--find-links", location]
    return args


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


@functools.cache
def uv_binary() -> str:
    """The uv executable shipped in uv's wheel; found once, before any worker thread needs it.

    uv's lookup goes through sysconfig, whose first use is not thread-safe (on 3.11 two threads
    racing there fail with a TypeError), so sync asks for it in the main thread first.
    """
    from uv import find_uv_bin

    return find_uv_bin()


def _uv_env() -> dict[str, str]:
    # uv must never fetch an interpreter of its own (measured: 6.4 s lost when it does).
    return process.clean_env({"UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"})


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _venv_key(venv: Path) -> str:
    return hashlib.sha256(str(venv.absolute()).encode()).hexdigest()[:24]


def _failure_path(venv: Path) -> Path:
    return cache_dir() / "failures" / f"{_venv_key(venv)}.json"
