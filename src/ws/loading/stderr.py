"""A shim's stderr: drained while it runs, and read back to explain a crash or a timeout.

What is left once talking to the shim has failed: the tail of what user code wrote, the innermost
project frame of a faulthandler dump (the shim dumps its stack on SIGUSR1 and on a fatal
signal), and the message that names both.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ws.loading.model import LoadTarget

log = logging.getLogger("ws")

_TAIL_BYTES = 8192
_TAIL_LINES = 50
_DUMP_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', re.MULTILINE)


class StderrTail:
    """Drains a child's stderr in a thread, keeping the last few KB for error messages."""

    def __init__(self, pipe: IO[bytes], on_output: Callable[[str], None] | None) -> None:
        self._pipe = pipe
        self._on_output = on_output
        self._buffer = bytearray()
        self._partial = b""
        self._received = 0
        self._mark = 0
        self._more = threading.Condition()
        self._thread = threading.Thread(target=self._drain, name="ws-shim-stderr", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._pipe.fileno()
        try:
            while chunk := os.read(fd, 65536):
                with self._more:
                    self._buffer += chunk
                    del self._buffer[:-_TAIL_BYTES]
                    self._received += len(chunk)
                    self._more.notify_all()
                if self._on_output is not None:
                    *lines, self._partial = (self._partial + chunk).split(b"\n")
                    self._emit(lines)
        except OSError:  # the pipe was closed under us after stop() gave up waiting
            return
        if self._partial:
            self._emit([self._partial])

    def _emit(self, lines: list[bytes]) -> None:
        assert self._on_output is not None
        for line in lines:
            try:
                self._on_output(line.decode("utf-8", "replace"))
            except Exception:  # a failing callback must not stop draining: the child would block
                log.exception("on_output callback failed")

    def mark(self) -> None:
        with self._more:
            self._mark = self._received

    def wait_for_more(self, seconds: float) -> None:
        """Wait until output arrives after `mark()` and pauses briefly, or `seconds` pass."""
        deadline = time.monotonic() + seconds
        with self._more:
            while self._received == self._mark and time.monotonic() < deadline:
                self._more.wait(deadline - time.monotonic())
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))  # let the dump finish

    def join(self) -> bool:
        """Wait for the pipe's end; False if a grandchild outside the group still holds it open."""
        self._thread.join(timeout=2)
        return not self._thread.is_alive()

    def tail(self) -> str:
        with self._more:
            text = bytes(self._buffer).decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-_TAIL_LINES:])


def how_it_ended(code: int) -> str:
    """A process's exit status in words (negative: the signal that killed it)."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def crash_message(target: LoadTarget, how: str, tail: str, shim_dir: Path) -> str:
    """Why a load got no answer: how the process ended, where in the project, its last words.

    Frames of files in `shim_dir` (the loader and its siblings) are hidden from the tail.
    """
    where = _suffix(_frame_in_dump(tail, target))
    message = f"process {how} before answering (loading {target.module}{where})"
    return _with_tail(message, tail, shim_dir)


def timeout_message(target: LoadTarget, timeout: float, tail: str, shim_dir: Path) -> str:
    """Why a load took too long: the line it was stuck on (from the dump), its last words."""
    where = _suffix(_frame_in_dump(tail, target))
    message = f"{target.module} did not load within {timeout:g} s{where}"
    return _with_tail(message, tail, shim_dir)


def _frame_in_dump(text: str, target: LoadTarget) -> tuple[str, int] | None:
    """The innermost project frame in a faulthandler dump (most recent call first), if any."""
    root = target.root.absolute()
    env = target.env.absolute()  # the venv may sit in the root
    for match in _DUMP_FRAME.finditer(text):
        path = Path(match["file"])
        if path.is_absolute() and root in path.parents and env not in path.parents:
            return path.relative_to(root).as_posix(), int(match["line"])
    return None


def _suffix(frame: tuple[str, int] | None) -> str:
    return f", {frame[0]}:{frame[1]}" if frame else ""


def _with_tail(message: str, tail: str, shim_dir: Path) -> str:
    tail = _hide_machinery(tail, shim_dir)
    return f"{message}; last lines of stderr:\n{tail}" if tail.strip() else message


def _hide_machinery(tail: str, shim_dir: Path) -> str:
    """Drop the stack-dump frames of the shim and of importlib: the user's frames tell the story."""
    shim = os.path.join(str(shim_dir), "")
    kept: list[str] = []
    hidden = 0
    for line in tail.splitlines():
        match = _DUMP_FRAME.match(line)
        if match and match["file"].startswith((shim, "<frozen importlib")):
            hidden += 1
            continue
        if hidden:
            kept.append(f"  ({hidden} frames of ws's loader and importlib hidden)")
            hidden = 0
        kept.append(line)
    if hidden:
        kept.append(f"  ({hidden} frames of ws's loader and importlib hidden)")
    return "\n".join(kept)
