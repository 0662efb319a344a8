"""The one subprocess helper: argument lists, no shell, a cleaned environment, a timeout.

Every child runs in its own process group so that a timeout (or Ctrl-C) can end it together with
whatever it started: uv, a build backend, user code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws.log import debug, debug_enabled

# Variables that would make a child interpreter see the wrong packages or the wrong venv.
# PYTHONPATH leaks ws's own import path into project envs; __PYVENV_LAUNCHER__ (macOS framework
# builds) makes a venv's python report the base interpreter's sys.executable (as pipx notes).
_LEAKY_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    "__PYVENV_LAUNCHER__",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
)


def _log_command(argv: Sequence[str], cwd: Path | str | None = None) -> None:
    """`run: <command line>` under --verbose; shlex is imported only then (2 ms otherwise)."""
    if debug_enabled():
        import shlex

        debug("run: %s%s", shlex.join(argv), f"  (in {cwd})" if cwd else "")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without variables that point a child at another Python setup."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_VARIABLES}
    env["PYTHONUTF8"] = "1"
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class Completed:
    """What a finished (or timed-out) child left behind."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


# Children running right now, so that Ctrl-C in the main thread can end those that worker threads
# started (a sync runs uv in several threads at once). Each has a process group of its own.
_live: set[subprocess.Popen[str]] = set()
_live_lock = threading.Lock()
# How many times `end_all` has run: a child whose start overlapped one is killed as it registers.
_ended = 0
_INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
_END_WAIT = 2.0  # seconds `end_all` waits for the children it killed to be gone


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    input_text: str | None = None,
    cancel: threading.Event | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Completed:
    """Run a command to completion, capturing its output; kill its whole group on timeout.

    `on_line` gets each line of the child's stderr as it comes (from a reader thread), for
    progress; the whole of stderr is still in the result. A child is registered before anything can miss it: one started after `cancel` is set, or
    while `end_all` runs, is killed at once; in the main thread, Ctrl-C waits until it is
    registered (landing inside `Popen`, it would leave a child that nobody kills).
    """
    argv = tuple(str(a) for a in args)
    _log_command(argv, cwd)
    proc = None
    reader = None
    try:
        with interrupts_held():
            proc, doomed = _start(argv, cwd, env, input_text is not None, cancel)
        if doomed:
            kill_group(proc)
        reader = _LineReader(proc, on_line) if on_line is not None else None
        out, err = proc.communicate(input_text, timeout=timeout)
        if reader is not None:
            err = reader.text()
    except subprocess.TimeoutExpired:
        assert proc is not None
        kill_group(proc)
        out, err = proc.communicate()
        if reader is not None:
            err = reader.text()
        return Completed(argv, proc.returncode, out, err, timed_out=True)
    except BaseException:  # Ctrl-C included: never leave the child's group running
        if proc is not None:
            kill_group(proc)
        raise
    finally:
        if proc is not None:
            with _live_lock:
                _live.discard(proc)
    return Completed(argv, proc.returncode, out, err)


class _LineReader:
    """Reads a child's stderr line by line in a thread, handing each line on as it comes.

    It takes the pipe from the `Popen` object, so that `communicate` reads stdout alone.
    """

    _DRAIN = 5.0  # seconds to wait for the rest once the child is gone (a grandchild may hold it)

    def __init__(self, proc: subprocess.Popen[str], on_line: Callable[[str], None]) -> None:
        assert proc.stderr is not None
        self._stream, proc.stderr = proc.stderr, None
        self._lines: list[str] = []
        self._on_line = on_line
        self._thread = threading.Thread(target=self._read, name="ws-stderr", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self._stream:
            for line in self._stream:
                self._lines.append(line)
                with contextlib.suppress(Exception):  # a display's bug must not lose the output
                    self._on_line(line.rstrip("\n"))

    def text(self) -> str:
        self._thread.join(self._DRAIN)
        return "".join(self._lines)


def _start(
    argv: tuple[str, ...],
    cwd: Path | None,
    env: Mapping[str, str] | None,
    has_input: bool,
    cancel: threading.Event | None,
) -> tuple[subprocess.Popen[str], bool]:
    """Start and register a child; say whether it must die at once (the sync was cancelled, or
    `end_all` ran while it started and could not see it)."""
    with _live_lock:
        ended = _ended
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        stdin=subprocess.PIPE if has_input else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    with _live_lock:
        _live.add(proc)
        # `cancel` is set before `end_all` runs, and both are read under this lock: a child is
        # either in the list `end_all` kills or sees one of the two here.
        return proc, ended != _ended or (cancel is not None and cancel.is_set())


def end_all() -> None:
    """Kill every child `run` started that is still running, each with its whole group, and
    wait (a bounded time) until they are gone; one starting right now is killed as it registers.
    """
    global _ended
    with _live_lock:
        _ended += 1
        running = list(_live)
    for proc in running:
        _kill_group_now(proc)
    deadline = time.monotonic() + _END_WAIT
    for proc in running:
        with contextlib.suppress(subprocess.TimeoutExpired):  # stuck in the kernel: move on
            proc.wait(max(0.0, deadline - time.monotonic()))


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back for the block; the first that came is delivered after it.

    Python raises KeyboardInterrupt between any two bytecodes of the main thread, so steps
    that must go together (start a child and register it; end the installers and wait for the
    workers) hold interrupts while they run. Outside the main thread no handler runs: nothing to do.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[signal.Signals, Any] = {}

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    try:
        for interrupt in _INTERRUPTS:
            if signal.getsignal(interrupt) is not None:  # None: a handler not set from Python
                previous[interrupt] = signal.signal(interrupt, hold)
        yield
    finally:
        for interrupt, handler in previous.items():
            signal.signal(interrupt, handler)
        if caught:
            signal.raise_signal(caught[0])


def run_foreground(args: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> int:
    """Run a command on the terminal (stdio inherited, ws's process group) and return its code.

    It stays in the foreground group so it reads the terminal and gets Ctrl-C from it like any
    command; SIGTERM sent to ws is passed on. A death by signal N returns 128+N, as shells do.
    """
    _log_command(args, cwd)
    proc = subprocess.Popen(list(args), env=dict(env), cwd=cwd)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM)
    if in_main:
        signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signum))
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                continue  # the child got the same Ctrl-C from the terminal; its exit decides
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return 128 - code if code < 0 else code


def become(args: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> None:
    """Replace this process with the command (exec), as a shell runs its last command.

    The command then owns ws's pid, terminal and signals outright, and ws's interpreter never
    tears down (~20 ms a `ws run`). Only for a real `ws` process on POSIX: the in-process CLI
    must return, and Windows has no exec. Returns only if exec is not possible here.
    """
    if os.name != "posix":
        return
    _log_command(args, cwd)
    for stream in (sys.stdout, sys.stderr):  # exec drops what Python still buffers
        stream.flush()
    # Python ignores these at start-up, and an ignored signal stays ignored across exec;
    # subprocess restores them in its children (restore_signals), so the command gets the same.
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if cwd is not None:
        os.chdir(cwd)
    os.execve(args[0], list(args), dict(env))


def kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Kill a child started with `start_new_session=True` and everything in its group."""
    _kill_group_now(proc)
    proc.wait()


def _kill_group_now(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGKILL to the child's group, without waiting for it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
