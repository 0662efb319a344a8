"""Cross-process locks kept in ws's cache: one per env, and any other file ws must guard.

A lock is only taken once there is something to build or delete (an up-to-date sync takes none);
the workspace's env record (`ws.envs.prune`) is guarded the same way. Waiting for a lock is where
an interrupted sync first notices, hence `Cancelled` here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ws.files import cache_dir, path_key


class Cancelled(Exception):
    """The sync was interrupted while this env waited or was being built."""


def env_lock(
    venv: Path, on_wait: Callable[[], None], cancel: threading.Event | None = None
) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock on one env, across processes, kept in ws's cache (not the project)."""
    return file_lock(cache_dir() / "locks" / f"{path_key(venv)}.lock", on_wait, cancel)


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
