"""Host side of the loader shim: start it in a project's environment, ask, time out, parse.

The shim (`ws/_shim/loader.py`) runs as `[env python, "-I", "-X", "utf8", SHIM_PATH]` in the
project root, in its own process group. Requests go to its stdin; answers come back on its stdout
pipe, which only the shim writes (it moves user output to stderr at start). Stderr is drained all
the time so a noisy import never blocks, and its tail explains crashes and timeouts (both in
`ws.loading.stderr`). User-code problems never raise: they come back as a `LocationResult` with an
error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ws.loading.model import LoadTarget, LocationResult, result_from_answer
from ws.loading.stderr import StderrTail, crash_message, how_it_ended, timeout_message
from ws.process import clean_env, kill_group

log = logging.getLogger("ws")
_Shim = TypeVar("_Shim", bound="ShimProcess")

# A file beside this module: the project's interpreter runs it by path, so ws must be installed as
# files (as pip and uv install it). Not importlib.resources: importing it costs ~6 ms a command.
SHIM_PATH = Path(__file__).resolve().parents[1] / "_shim" / "loader.py"
_DUMP_WAIT = 0.5  # seconds a timed-out shim gets to write its stack after SIGUSR1


def load_location(target: LoadTarget, *, timeout: float = 60.0) -> LocationResult:
    """Load one location in a fresh process: one request, then EOF."""
    started = time.perf_counter()
    with ShimProcess(target) as shim:
        result = shim.load(timeout=timeout)
    return replace(result, seconds=time.perf_counter() - started)


def load_locations(
    targets: Sequence[LoadTarget],
    *,
    jobs: int,
    timeout: float,
    on_done: Callable[[LocationResult], None] | None = None,
) -> list[LocationResult]:
    """Load many locations in parallel; results in input order, `on_done` called in this thread."""
    results: dict[int, LocationResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="ws-load") as pool:
        futures = {pool.submit(load_location, t, timeout=timeout): i for i, t in enumerate(targets)}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_done is not None:
                on_done(result)
    return [results[i] for i in range(len(targets))]


def load_request(target: LoadTarget, op: str = "load", **more: Any) -> dict[str, Any]:
    """The request that loads `target` (`op` "load", or "fork_load" with its `timeout`)."""
    return {
        "op": op,
        "name": target.name,
        "module": target.module,
        "attribute": target.attribute,
        "sys_path": list(target.sys_path),
        **more,
    }


class ShimProcess:
    """One shim process for one location: `start()` (or `with`), then requests, then `stop()`.

    One-shot loading asks one `load()`; `ws dev` keeps the process and asks again (`request()`
    for the fork-server ops). Nothing here raises for what the process does: a shim that could
    not start, is not running, crashed or timed out answers with an error. `on_output` receives
    each line user code writes (stdout and stderr both arrive on stderr).
    """

    def __init__(self, target: LoadTarget, *, on_output: Callable[[str], None] | None = None):
        self.target = target
        self._on_output = on_output
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: StderrTail | None = None
        self._pending = b""
        self._next_id = 0
        self._start_error: dict[str, str] | None = None

    def __enter__(self: _Shim) -> _Shim:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The shim's process id (also its process group's) until it is stopped."""
        proc = self._proc
        return proc.pid if proc is not None else None

    def ended(self) -> str | None:
        """None while the shim runs, else how it ended: `exited with code 1`, `was stopped`."""
        proc = self._proc
        if proc is None:
            return "was stopped"
        code = proc.poll()
        return None if code is None else how_it_ended(code)

    def start(self) -> None:
        """Start the shim unless it runs; a missing interpreter is the `env_missing` answer to
        every request. Requests never start a shim themselves: one that ended stays ended."""
        if self.running:
            return
        self.stop()
        t = self.target
        fix = f"run `ws sync {t.name}`"
        if not t.python.is_file():
            message = f"project {t.name} has no environment: {t.python} does not exist; {fix}"
            self._start_error = {"kind": "env_missing", "message": message}
            return
        # -I keeps user site-packages, PYTHONPATH and the shim's own folder out of sys.path; it also
        # ignores PYTHONUTF8 from clean_env(), hence -X utf8.
        argv = [str(t.python), "-I", "-X", "utf8", str(SHIM_PATH), *map(str, t.libraries)]
        log.debug("load: %s  (in %s)", " ".join(argv), t.root)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=t.root,
                env=clean_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            message = f"project {t.name}: cannot start {t.python} ({exc.strerror or exc}); {fix}"
            self._start_error = {"kind": "env_missing", "message": message}
            return
        assert proc.stderr is not None
        self._proc = proc
        self._stderr = StderrTail(proc.stderr, self._on_output)
        self._start_error = None

    def load(self, *, timeout: float = 60.0) -> LocationResult:
        """Import the target's module in the shim (freshly, if loaded before) and read its snapshot."""
        started = time.perf_counter()
        answer = self.request(load_request(self.target), timeout)
        return result_from_answer(self.target.name, answer, time.perf_counter() - started)

    def ping(self, *, timeout: float = 5.0) -> bool:
        """Whether the shim runs and answers."""
        return self.running and self.request({"op": "ping"}, timeout).get("ok") is True

    def stop(self) -> None:
        """End the shim and everything it started (it is in its own process group)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # EOF ends a one-shot conversation
        kill_group(proc)  # the shim may be done already; this also ends what user code started
        drained = self._stderr is None or self._stderr.join()
        for pipe in (proc.stdout, proc.stderr if drained else None):
            if pipe is not None:
                pipe.close()
        self._pending = b""

    def request(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request (`{"op": ...}`) and wait up to `timeout` s for its answer.

        A shim that could not start or is not running answers `{"ok": false, "error": ...}` at
        once; one that crashes or times out meanwhile is stopped, and its error says why.
        """
        if self._start_error is not None:
            return {"ok": False, "error": self._start_error}
        proc = self._proc
        if proc is None:
            message = f"the loader process of {self.target.name} is not running"
            return {"ok": False, "error": {"kind": "crashed", "message": message}}
        assert proc.stdin is not None and proc.stdout is not None
        self._next_id += 1
        request = {"id": self._next_id, **request}
        try:
            proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except OSError:
            pass  # it died already: reading its answer finds EOF and says why
        deadline = time.monotonic() + timeout
        while True:
            line = self._read_line(proc.stdout.fileno(), deadline)
            if line is None:
                return {"ok": False, "error": self._crashed()}
            if line == b"":
                return {"ok": False, "error": self._timed_out(timeout)}
            try:
                answer = json.loads(line)
            except ValueError:
                continue  # not ours: a .pth file printed before the shim took stdout
            if isinstance(answer, dict) and answer.get("id") == self._next_id:
                return answer

    def _read_line(self, fd: int, deadline: float) -> bytes | None:
        """The next line from the channel; None at EOF, b"" when the deadline passes."""
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b""
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line + b"\n"

    def _crashed(self) -> dict[str, str]:
        proc = self._proc
        assert proc is not None and self._stderr is not None
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        how = "closed its answer channel" if code is None else how_it_ended(code)
        message = crash_message(self.target, how, self._stderr.tail(), SHIM_PATH.parent)
        return {"kind": "crashed", "message": message}

    def _timed_out(self, timeout: float) -> dict[str, str]:
        proc = self._proc
        assert proc is not None and self._stderr is not None
        self._stderr.mark()
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGUSR1)  # the shim's faulthandler prints where it is
        self._stderr.wait_for_more(_DUMP_WAIT)
        self.stop()
        message = timeout_message(self.target, timeout, self._stderr.tail(), SHIM_PATH.parent)
        return {"kind": "timeout", "message": message}
