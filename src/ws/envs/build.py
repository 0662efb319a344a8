"""Building one env: create it (virtualenv API), install into it (uv), then mark it complete.

Only a sync with work to do imports this: building finds uv's binary, exports `uv.lock`, runs
installers and may import virtualenv. Callers hold the env's lock (`ws.envs.locks.env_lock`).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ws import process
from ws.envs.defs_wheel import DIST_NAME, defs_wheel
from ws.envs.environment import (
    Environment,
    Origin,
    Plan,
    depends_on_ws_defs,
    install_groups,
    lock_file,
    read_marker,
)
from ws.envs.locks import Cancelled
from ws.envs.uv_phases import uv_phase, without_debug
from ws.errors import BuildFailed
from ws.files import beside, move_aside, write_atomic

log = logging.getLogger("ws")

Stage = Literal["waiting", "creating", "installing"]
BuildStatus = Literal["created", "updated"]
_ERROR_LINES = 12
# Beside an env being recreated: the env as it was until the new one is ready, and a failed
# new one on its way out (both names ws's own; `ws sync` cleans up either if ws was killed).
_KEPT = ".ws-previous"
_FAILED = ".ws-failed"
# virtualenv keeps process-wide state (app-data, caches); one creation at a time is cheap (~15 ms).
_virtualenv_lock = threading.Lock()


def build_environment(
    env: Environment,
    plan: Plan,
    *,
    reinstall: bool = False,
    offline: bool = False,
    on_stage: Callable[[Stage], None] = lambda stage: None,
    on_phase: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> BuildStatus:
    """Create (if needed) and install; mark the env ready last. Call under the env's lock.

    An install that uv refuses before installing anything (no solution, a lock it cannot read, a
    build that fails) leaves a good env as it was, marker and all, and says so
    (`BuildFailed.env_intact`). `on_phase` gets what uv reports doing (`Resolved 37 packages`),
    from a reader thread, as it happens.
    """
    if env.project.external_python is not None:
        raise BuildFailed(f"{env.venv} is an external environment; ws never builds it.")
    _refuse_foreign_folder(env)  # a folder that is not a virtual environment: never touched
    origin = plan.origin
    if plan.action == "refuse":
        if not reinstall:
            raise BuildFailed(f"{plan.reason}.", env_intact=True)
        origin = "created"  # --reinstall NAME: the user lets ws recreate a folder it did not make
    recreate = plan.action in ("create", "refuse") or (reinstall and origin == "created")
    _recover(env)  # what an interrupted recreation left beside the env
    kept = _set_aside(env) if recreate else None
    try:
        status = _build(env, origin, recreate, reinstall, offline, on_stage, on_phase, cancel)
    except BaseException as exc:  # Ctrl-C included: the env that worked comes back
        if kept is None:
            raise
        _restore(env, kept)
        if isinstance(exc, BuildFailed):
            message = f"{exc}\n  The env as it was is kept at {env.venv}."
            raise BuildFailed(message, env_intact=True) from None
        raise
    if kept is not None:
        shutil.rmtree(kept, ignore_errors=True)
    return status


def _build(
    env: Environment,
    origin: Origin,
    recreate: bool,
    reinstall: bool,
    offline: bool,
    on_stage: Callable[[Stage], None],
    on_phase: Callable[[str], None] | None,
    cancel: threading.Event | None,
) -> BuildStatus:
    uv = uv_binary()
    common = ["--color", "never"] + (["--offline"] if offline else [])
    previous = None if recreate else _read_bytes(env.marker)
    if recreate:
        on_stage("creating")
        _create(env, cancel)
    _check_cancel(cancel)
    old = read_marker(env.venv)
    env.write_marker(origin, ready=False, fingerprint=old.fingerprint if old else {})
    before = _site_entries(env.venv)
    on_stage("installing")
    try:
        _install(env, _Uv(uv, cancel, on_phase), common, reinstall=reinstall and not recreate)
    except BuildFailed as exc:
        if previous is not None and _site_entries(env.venv) == before:
            write_atomic(env.marker, previous)  # uv installed nothing: the env is as it was
            raise BuildFailed(str(exc), env_intact=True) from None
        raise
    _check_cancel(cancel)
    if env.compile_bytecode and not recreate and not (old and old.fingerprint.get("bytecode")):
        _compile_all(env, cancel)  # uv compiles what it installs; the rest predates the wish
    env.write_marker(origin, ready=True, fingerprint=env.fingerprint())
    return "created" if recreate else "updated"


def _set_aside(env: Environment) -> Path | None:
    """Move a working env (its python there; marked ready, or made by another tool) beside its
    folder while its replacement is built, so that a recreation that fails costs nothing; None
    when there is none to keep (virtualenv's --clear then empties what is there)."""
    marker = read_marker(env.venv)
    if (marker is not None and not marker.ready) or not env.python.exists():
        return None
    return move_aside(env.venv, _KEPT)


def _restore(env: Environment, kept: Path) -> None:
    """Put the kept env back where it was; the failed one goes (renamed first: instant)."""
    failed = move_aside(env.venv, _FAILED) if env.venv.exists() else None
    kept.rename(env.venv)
    if failed is not None:
        shutil.rmtree(failed, ignore_errors=True)


def _recover(env: Environment) -> None:
    """After a recreation cut short (ws killed): a kept env comes back unless its replacement
    finished; a failed one left half-deleted goes."""
    kept = beside(env.venv, _KEPT)
    if kept.is_dir():
        marker = read_marker(env.venv)
        if marker is not None and marker.ready:
            shutil.rmtree(kept, ignore_errors=True)
        else:
            _restore(env, kept)
    shutil.rmtree(beside(env.venv, _FAILED), ignore_errors=True)


def _compile_all(env: Environment, cancel: threading.Event | None) -> None:
    """Bytecode for every file of site-packages, as uv's --compile-bytecode writes it when it
    installs: compileall in the env's own interpreter (a .pyc is per interpreter), all cores.
    A file that does not compile (templates, Python 2 leftovers in a wheel) is skipped, as uv
    skips it: compileall's exit code says only that some file failed."""
    sites = sorted(str(site) for site in env.venv.glob("lib/python*/site-packages"))
    args = [str(env.python), "-m", "compileall", "-q", "-j", "0", *sites]
    result = process.run(args, cwd=env.venv, env=_uv_env(), cancel=cancel)
    _check_cancel(cancel)
    if not result.ok:
        log.debug("compileall in %s: %s", env.venv, result.stdout[-2000:])


@functools.cache
def uv_binary() -> str:
    """The uv executable shipped in uv's wheel; found once, before any worker thread needs it.

    uv's lookup goes through sysconfig, whose first use is not thread-safe (on 3.11 two threads
    racing there fail with a TypeError), so sync asks for it in the main thread first.
    """
    from uv import find_uv_bin

    return find_uv_bin()


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


def _refuse_foreign_folder(env: Environment) -> None:
    venv = env.venv
    if venv.is_dir() and not (venv / "pyvenv.cfg").is_file():
        if any(venv.iterdir()):
            raise BuildFailed(
                f"{venv} exists and is not a virtual environment, so ws will not "
                f"replace it; move it away, or set `venv = ...` for {env.project.path} "
                "in ws.toml.",
                env_intact=True,
            )
    elif venv.exists() and not venv.is_dir():
        raise BuildFailed(
            f"{venv} is a file; move it away so ws can build the env.", env_intact=True
        )


def _create(env: Environment, cancel: threading.Event | None) -> None:
    """Create the env in-process. Nothing can stop virtualenv once it runs, so an interrupted
    sync waits for the creations under way; none starts after (the old env stays as it was)."""
    _check_cancel(cancel)
    import virtualenv  # 70-130 ms to import: only when an env is really created

    python = env.interpreter.executable
    args = [str(env.venv), "--no-seed", "--clear", "--quiet", "--python", python]
    log.debug("virtualenv %s", " ".join(args))
    try:
        with _virtualenv_lock:
            _check_cancel(cancel)  # another worker's creation may have held the lock a while
            virtualenv.cli_run(args, setup_logging=False)
    except (Exception, SystemExit) as exc:  # virtualenv reports errors as either
        raise BuildFailed(f"virtualenv could not create {env.venv} with {python}: {exc}") from None


@dataclass(frozen=True)
class _Uv:
    """How this build runs uv: its binary, the sync's cancel flag, where its phases go."""

    binary: str
    cancel: threading.Event | None
    on_phase: Callable[[str], None] | None

    def run(self, env: Environment, args: list[str], cwd: Path) -> None:
        variables = {"UV_PROJECT_ENVIRONMENT": str(env.venv)}  # uv sync's target: this env
        on_line = None
        if self.on_phase is not None:
            args = [*args, "-v"]  # on a pipe, uv says what it builds or downloads only with -v
            on_line = functools.partial(_report_phase, self.on_phase)
        result = process.run(
            args, cwd=cwd, env=_uv_env(variables), cancel=self.cancel, on_line=on_line
        )
        _check_cancel(self.cancel)
        if not result.ok:
            said = without_debug(result.stderr) or result.stdout
            raise BuildFailed(
                f"uv could not install {env.project.name} into {env.venv}:\n" + relevant_lines(said)
            )


def _report_phase(on_phase: Callable[[str], None], line: str) -> None:
    phase = uv_phase(line)
    if phase is not None:
        on_phase(phase)


def _install(env: Environment, uv: _Uv, common: list[str], *, reinstall: bool) -> None:
    """Install what the project asks for: with a lock, exactly what `uv sync --frozen` installs
    (uv itself, into this env); without one, the project and its groups, resolved by uv."""
    project = env.project
    options = [*common]
    if env.compile_bytecode:  # the flag, [tool.ws] compile-bytecode or UV_COMPILE_BYTECODE
        options.append("--compile-bytecode")
    if reinstall:
        options.append("--reinstall")
    for library in project.libraries:
        if not library.editable:  # a copy: its code may have changed under the same version
            options += ["--reinstall-package", library.name]
    wheel = defs_wheel()
    ours = f"{DIST_NAME} @ {wheel.as_uri()}"
    lock = lock_file(project)
    if lock is not None:
        uv.run(env, _locked_sync(env, uv.binary, lock, options), lock.parent)
        if depends_on_ws_defs(project):  # ws's own wheel, over whatever the lock says
            args = [uv.binary, "pip", "install", "--python", str(env.python), *common, "--no-deps"]
            uv.run(env, [*args, ours], project.root)
        return
    args = [uv.binary, "pip", "install", "--python", str(env.python), *options, "--exact"]
    # A direct reference wins over any index, and also satisfies a project that lists ws-defs
    # as an ordinary dependency (`--find-links` lets resolution see it too).
    args += [*_find_links(wheel.parent), "-e", str(project.root), ours]
    for group in install_groups(project):
        args += ["--group", f"pyproject.toml:{group}"]
    uv.run(env, args, project.root)


def _locked_sync(env: Environment, uv: str, lock: Path, options: list[str]) -> list[str]:
    """`uv sync --frozen` into this env: the lock as it is (no re-resolution), uv's default
    groups plus `[tool.ws] groups`, exact. In a uv workspace, for this member's package alone.
    `--python` names the env's own interpreter, so uv never replaces the env."""
    args = [uv, "sync", "--frozen", "--python", str(env.python), *options]
    if lock.parent != env.project.root:
        args += ["--package", env.project.name]
    for group in env.project.settings.groups:
        args += ["--group", group]
    return args


def _site_entries(venv: Path) -> list[tuple[str, int]]:
    """What site-packages holds, and when each entry last changed: equal before and after a
    failed install means uv installed and removed nothing."""
    entries: list[tuple[str, int]] = []
    for site in sorted(venv.glob("lib/python*/site-packages")):
        with os.scandir(site) as found:
            entries += sorted((e.path, e.stat(follow_symlinks=False).st_mtime_ns) for e in found)
    return entries


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


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


def _uv_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # uv must never fetch an interpreter of its own (measured: 6.4 s lost when it does).
    return process.clean_env({"UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1", **(extra or {})})
