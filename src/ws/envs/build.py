"""Building one env: create it (virtualenv API), install into it (uv), then mark it complete.

Apart from `ws.envs` because only a sync with work to do builds: deciding that an env is current
reads its marker and hashes two files, while building finds uv's binary, exports `uv.lock`, runs
installers and may import virtualenv. Callers hold the env's lock (`ws.env_locks.env_lock`).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from ws import process
from ws.envs.defs_wheel import DIST_NAME, defs_wheel
from ws.envs.environment import LOCK_FILE, Environment, Plan
from ws.envs.locks import Cancelled
from ws.errors import BuildFailed

log = logging.getLogger("ws")

Stage = Literal["waiting", "creating", "installing"]
BuildStatus = Literal["created", "updated"]
_ERROR_LINES = 12
# virtualenv keeps process-wide state (app-data, caches); one creation at a time is cheap (~15 ms).
_virtualenv_lock = threading.Lock()


def build_environment(
    env: Environment,
    plan: Plan,
    *,
    reinstall: bool = False,
    offline: bool = False,
    on_stage: Callable[[Stage], None] = lambda stage: None,
    cancel: threading.Event | None = None,
) -> BuildStatus:
    """Create (if needed) and install; write the marker last. Call under the env's lock."""
    if env.project.external_python is not None:
        raise BuildFailed(f"{env.venv} is an external environment; ws never builds it.")
    _refuse_foreign_folder(env)
    env.marker.unlink(missing_ok=True)  # from here on the env is not known to be good
    recreate = reinstall or plan.action == "create"
    if recreate:
        on_stage("creating")
        _create(env)
    _check_cancel(cancel)
    on_stage("installing")
    _install(env, reinstall=reinstall, offline=offline, cancel=cancel)
    _check_cancel(cancel)
    env.write_marker()
    return "created" if recreate else "updated"


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
                "in ws.toml."
            )
    elif venv.exists() and not venv.is_dir():
        raise BuildFailed(f"{venv} is a file; move it away so ws can build the env.")


def _create(env: Environment) -> None:
    import virtualenv  # 70-130 ms to import: only when an env is really created

    python = env.interpreter.executable
    args = [str(env.venv), "--no-seed", "--clear", "--quiet", "--python", python]
    log.debug("virtualenv %s", " ".join(args))
    try:
        with _virtualenv_lock:
            virtualenv.cli_run(args, setup_logging=False)
    except (Exception, SystemExit) as exc:  # virtualenv reports errors as either
        raise BuildFailed(f"virtualenv could not create {env.venv} with {python}: {exc}") from None


def _install(
    env: Environment, *, reinstall: bool, offline: bool, cancel: threading.Event | None
) -> None:
    project = env.project
    uv = uv_binary()
    wheel = defs_wheel()
    common = ["--color", "never"] + (["--offline"] if offline else [])
    args = [uv, "pip", "install", "--python", str(env.python), *common]
    args += ["--exact", "--compile-bytecode", *_find_links(wheel.parent)]
    if reinstall:
        args.append("--reinstall")
    # A direct reference wins over any index, and also satisfies a project that lists
    # ws-defs as an ordinary dependency (`--find-links` above lets resolution see it too).
    wanted = ["-e", str(project.root), f"{DIST_NAME} @ {wheel.as_uri()}"]
    with tempfile.TemporaryDirectory(prefix="ws-sync-") as scratch:
        if (project.root / LOCK_FILE).is_file():
            pins = Path(scratch) / "locked.txt"
            pins.write_text(_export_lock(env, uv, common, cancel), encoding="utf-8")
            # The lock is the whole resolution: install its pins exactly, resolve nothing.
            args += ["--no-deps", "-r", str(pins), *wanted]
        else:
            args += wanted
            for group in project.settings.groups:
                args += ["--group", f"pyproject.toml:{group}"]
        result = process.run(args, cwd=project.root, env=_uv_env(), cancel=cancel)
    _check_cancel(cancel)
    if not result.ok:
        raise BuildFailed(
            f"uv could not install {project.name} into {env.venv}:\n"
            + relevant_lines(result.stderr or result.stdout)
        )


def _export_lock(
    env: Environment, uv: str, common: list[str], cancel: threading.Event | None
) -> str:
    """uv.lock's pins for this project and its groups, as requirements (uv does the reading).

    `--frozen` takes the lock as it is (no re-resolution, no network); the project itself is
    installed editable separately and ws-defs always comes from ws's own wheel.
    """
    root = env.project.root
    args = [uv, "export", "--frozen", "--no-hashes", "--format", "requirements.txt"]
    args += ["--no-header", "--no-annotate", "--no-emit-project", "--no-default-groups"]
    args += ["--no-emit-package", DIST_NAME, *common]
    for group in env.project.settings.groups:
        args += ["--group", group]
    result = process.run(args, cwd=root, env=_uv_env(), cancel=cancel)
    _check_cancel(cancel)
    if not result.ok:
        raise BuildFailed(
            f"uv could not read {root / LOCK_FILE}:\n" + relevant_lines(result.stderr)
        )
    return result.stdout


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


def _uv_env() -> dict[str, str]:
    # uv must never fetch an interpreter of its own (measured: 6.4 s lost when it does).
    return process.clean_env({"UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"})
