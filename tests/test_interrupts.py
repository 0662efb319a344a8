"""Interrupting a real `ws sync` at random moments on a busy machine, as trials.

Each trial deletes the envs (a cold sync: creation, install, a build that takes a moment), starts
`ws sync` in a session of its own, sends SIGINT to its group after a seeded random delay spread
over a whole sync, and then checks what a user relies on: ws ends (a generous timeout: a
liveness bound, not a speed test) with 130, no process it started is left, no env says `ready`
that is not complete, and the next sync, from whatever the interrupt left, completes. Meanwhile
a spinning process per core keeps the machine busy, which is when a signal landing in the wrong
window used to be lost or wait for the installer.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend.samples import child_env, write_project, write_workspace

from ws.envs.environment import ENV_MARKER, read_marker

pytestmark = pytest.mark.slow

PROJECTS = ("alpha", "beta", "gamma", "delta")
TRIALS = 20
EXIT_TIMEOUT = 60  # seconds: only a hang fails this; ws normally ends well within 2 s
ATTEMPTS = 5  # syncs a trial may start: one that ends before its signal interrupts nothing
# The variable every process ws starts inherits (uv, the build backend): how leftovers are found.
TAG = "WS_INTERRUPT_TRIAL"


@pytest.fixture(scope="module")
def busy_machine() -> Iterator[None]:
    """A spinning process per core for the whole module."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("interrupts")
    for name in PROJECTS:
        write_project(root / name, name, dependencies=["tinydep"])
    return write_workspace(root, [{"path": name} for name in PROJECTS])


@pytest.fixture(scope="module")
def sync_env(uv_offline: dict[str, str]) -> dict[str, str]:
    # A build that takes a moment, so that many interrupts land while an installer runs.
    return {**child_env(), **uv_offline, "TINY_BACKEND_SLEEP": "1"}


@pytest.fixture(scope="module")
def delays(workspace: Path, sync_env: dict[str, str], busy_machine: None) -> list[float]:
    """Seeded delays spread over one whole cold sync, measured on the busy machine once uv's
    cache and virtualenv's interpreter cache are warm, as they are in every trial."""
    for _ in range(2):  # the first warms the caches; the second is the one measured
        _delete_envs(workspace)
        start = time.monotonic()
        done = _ws_sync(workspace, sync_env)
        duration = time.monotonic() - start
        assert done.returncode == 0, done.stderr
    rng = random.Random(20240607)
    # One delay in each twentieth of the sync, in a random order: every phase gets its turn.
    spread = [(i + rng.random()) * duration / TRIALS for i in range(TRIALS)]
    rng.shuffle(spread)
    return spread


@pytest.mark.parametrize("trial", range(TRIALS))
def test_an_interrupt_at_a_random_moment_ends_ws_and_its_children(
    workspace: Path, sync_env: dict[str, str], delays: list[float], trial: int
) -> None:
    _interrupt_trial(workspace, sync_env, delays[trial], signal.SIGINT, 130)


def test_a_kill_at_a_random_moment_ends_ws_and_its_children(
    workspace: Path, sync_env: dict[str, str], delays: list[float]
) -> None:
    _interrupt_trial(workspace, sync_env, random.Random(7).choice(delays), signal.SIGTERM, 143)


def _the_next_sync_completes(workspace: Path, env: dict[str, str]) -> None:
    """From whatever an interrupt left: every env built and complete."""
    done = _ws_sync(workspace, env, "--json")
    assert done.returncode == 0, done.stderr
    statuses = {p["name"]: p["status"] for p in json.loads(done.stdout)["projects"]}
    assert set(statuses) == set(PROJECTS)
    assert set(statuses.values()) <= {"created", "updated", "unchanged"}, statuses
    for name in PROJECTS:
        _assert_complete(workspace / name / ".venv", name)


def _interrupt_trial(
    workspace: Path, env: dict[str, str], delay: float, signum: int, code: int
) -> None:
    for _ in range(ATTEMPTS):
        if _interrupted(workspace, env, delay, signum, code):
            break
        delay *= 0.7  # this sync was quicker than the one measured: interrupt the next earlier
    else:
        pytest.fail(f"{ATTEMPTS} syncs in a row ended before their signal")
    quick = {k: v for k, v in env.items() if k != "TINY_BACKEND_SLEEP"}
    _the_next_sync_completes(workspace, quick)


def _interrupted(
    workspace: Path, env: dict[str, str], delay: float, signum: int, code: int
) -> bool:
    """A cold sync sent `signum` after `delay` seconds, and the checks; False when it had
    finished before the signal came (then nothing was interrupted: the trial is run again)."""
    _delete_envs(workspace)
    tag = uuid.uuid4().hex
    sync = subprocess.Popen(
        [sys.executable, "-m", "ws", "sync"],
        cwd=workspace,
        env={**env, TAG: tag},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(delay)
        sent = time.time()
        os.killpg(sync.pid, signum)
        _, err = sync.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        err = f"ws was still running {EXIT_TIMEOUT} s after the signal"
    finally:
        if sync.poll() is None:
            os.killpg(sync.pid, signal.SIGKILL)
            sync.wait()
    left = _tagged_processes(tag)
    for pid in left:  # clean up, then fail
        _kill(pid)
    when = f"after {delay:.2f} s"
    assert not left, f"{when}, ws left processes behind: {left}"
    venvs = [workspace / name / ".venv" for name in PROJECTS]
    ready = []
    for name, venv in zip(PROJECTS, venvs, strict=True):
        marker = read_marker(venv) if venv.exists() else None
        if marker is not None and marker.ready:
            _assert_complete(venv, name)
            ready.append((venv / ENV_MARKER).stat().st_mtime)
    if sync.returncode == 0 or (sync.returncode == -signum and len(ready) == len(PROJECTS)):
        # Every env done and no interrupt taken: the sync had ended, or the signal was lost.
        assert len(ready) == len(PROJECTS), f"{when}: exit {sync.returncode}\n{err}"
        assert max(ready) <= sent, f"{when}: ws went on building after the signal\n{err}"
        return False
    assert sync.returncode in (code, -signum), f"{when}: exit {sync.returncode}\n{err}"
    if sync.returncode == -signum:
        # Before ws's code handles the signal (Python starting and importing; for SIGTERM, up
        # to the sync), it ends the process itself, which a shell reports as 128 + N too:
        # nothing may have been started yet.
        assert not any(venv.exists() for venv in venvs), f"{when}: killed by the signal"
    return True


def _ws_sync(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ws", "sync", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _delete_envs(root: Path) -> None:
    for name in PROJECTS:
        shutil.rmtree(root / name / ".venv", ignore_errors=True)


def _assert_complete(venv: Path, name: str) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", f"import tinydep, {name}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{venv} is marked ready but is not complete:\n{done.stderr}"


def _tagged_processes(tag: str, settle: float = 1.0) -> list[int]:
    """Running processes that carry the trial's tag, once those being killed have had `settle`
    seconds to finish dying (a process SIGKILLed as ws ended may still be tearing down)."""
    deadline = time.monotonic() + settle
    while True:
        found = [pid for pid in _pids() if _running(pid) and _has_tag(pid, tag)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _running(pid: int) -> bool:
    """Not ended (a zombie has ended: nothing runs any more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _has_tag(pid: int, tag: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{TAG}={tag}".encode() in environ.split(b"\0")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
