"""The processes behind one project's code server: shims, the fork server and its children.

The supervisor (`ws.dev.servers`) decides when to sync, load, swap and restart, and deals only in
outcomes: a load's result, the server that now serves, how a server ended. This module knows
which processes exist and how each kind is asked, swapped, reaped and killed:
- plain: a fresh shim process per load, which then serves the loaded code;
- fork (POSIX): one warm shim (the zygote) forks a child per load (the shim's "Fork server"),
  and the child serves. After the first good load the zygote preloads what that load imported
  from outside the project, so a reload pays for the project's own imports only.
Everything is done from the supervisor's thread, except `kill()`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

from ws.loading.model import LoadTarget, LocationResult, result_from_answer
from ws.loading.shim import ShimProcess, load_request

_ASK_GRACE = 5.0  # the fork server enforces the load timeout itself; this covers the server


class ServerShim(ShimProcess):
    """A shim a code server owns: a `ShimProcess` that a kill from any thread ends for good (it
    never starts again), and that answers the fork-server requests."""

    def __init__(self, target: LoadTarget, *, on_output: Callable[[str], None] | None = None):
        super().__init__(target, on_output=on_output)
        self._killed = False

    def start(self) -> None:
        if not self._killed:
            super().start()

    def kill(self) -> None:
        """End its process group now, from any thread; the owning thread reaps it (`stop()`)."""
        self._killed = True
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def fork_load(self, *, timeout: float) -> tuple[LocationResult, int | None, list[str]]:
        """Load in a forked child: its result, the child's pid, the modules imported from outside."""
        request = load_request(self.target, "fork_load", timeout=timeout)
        answer = self.request(request, timeout + _ASK_GRACE)
        pid = answer.get("pid")
        modules = [m for m in answer.get("modules") or [] if isinstance(m, str)]
        return (
            result_from_answer(self.target.name, answer),
            pid if isinstance(pid, int) else None,
            modules,
        )

    def preload(self, modules: list[str], *, timeout: float) -> int | None:
        """Import `modules` in the warm shim; its thread count after, None if it did not answer."""
        answer = self.request({"op": "preload", "modules": modules}, timeout)
        threads = answer.get("threads")
        return threads if isinstance(threads, int) else None

    def child_ended(self, pid: int) -> str | None:
        """None while the forked child `pid` runs, else how it ended."""
        answer = self.request({"op": "ping", "pid": pid}, 5.0)
        if answer.get("ok") is not True:
            return "was lost with its fork server"
        ended = answer.get("ended")
        return ended if isinstance(ended, str) else None

    def release(self, pid: int) -> None:
        """End the forked child `pid`; the fork server stays."""
        if self.running:
            self.request({"op": "release", "pid": pid}, 5.0)


class Server:
    """The process serving a project's loaded code: a shim, or a child forked by one."""

    def __init__(self, shim: ServerShim, pid: int, *, forked: bool) -> None:
        self.shim = shim
        self.pid = pid
        self.forked = forked

    def ended(self) -> str | None:
        """None while it runs, else how it ended."""
        if not self.forked:
            return self.shim.ended()
        if not self.shim.running:
            return f"ended with its fork server (pid {self.shim.pid}, {self.shim.ended()})"
        return self.shim.child_ended(self.pid)


class ServerProcesses:
    """Every process of one project's code server, and `server`, the one serving its code."""

    def __init__(
        self, *, fork: bool, timeout: float, on_output: Callable[[str], None] | None
    ) -> None:
        self.fork = fork
        self.server: Server | None = None
        self._timeout = timeout
        self._on_output = on_output
        self._lock = threading.Lock()  # guards _shims and _killed against kill() from elsewhere
        self._killed = False
        self._shims: set[ServerShim] = set()
        self._zygote: ServerShim | None = None  # fork mode: the warm shim children come from
        self._preloaded: set[str] = set()

    def load(self, target: LoadTarget) -> tuple[LocationResult, Server | None, list[str]]:
        """Load afresh: the result, the server holding it if good (not swapped in yet), and the
        modules it imported from outside the project (fork mode)."""
        if not self.fork:
            shim = self._spawn(target)
            result = shim.load(timeout=self._timeout)  # killed meanwhile: a "crashed" result
            if result.ok and shim.pid is not None:
                return result, Server(shim, shim.pid, forked=False), []
            self._retire(shim)
            return result, None, []
        zygote = self._zygote
        if zygote is None or not zygote.running or zygote.target != target:
            self.retire_zygote()
            zygote = self._zygote = self._spawn(target)
        result, pid, modules = zygote.fork_load(timeout=self._timeout)
        if not zygote.running:
            self.retire_zygote()
        if result.ok and pid is not None:
            return result, Server(zygote, pid, forked=True), modules
        return result, None, []

    def swap_in(self, server: Server) -> None:
        """Make `server` the one serving; the one it replaces ends."""
        old, self.server = self.server, server
        if old is None:
            return
        if old.forked and old.shim is self._zygote:
            old.shim.release(old.pid)  # the fork server stays warm for the next load
        else:
            self._retire(old.shim)

    def preload(self, modules: list[str]) -> None:
        """Fork mode: have the warm shim import what the last load imported from outside."""
        zygote = self._zygote
        new = [m for m in modules if m not in self._preloaded]
        if zygote is None or not new:
            return
        self._preloaded.update(new)
        threads = zygote.preload(new, timeout=self._timeout)
        if threads != 1:  # a library started threads: forking would leave them out of the child
            self.fork = False
            self.retire_zygote()

    def take_ended(self) -> tuple[Server, str] | None:
        """If the serving process ended: no server any more, its processes reaped, and how."""
        server = self.server
        ended = server.ended() if server is not None else None
        if server is None or ended is None:
            return None
        self.server = None
        if not server.forked or server.shim is not self._zygote:
            self._retire(server.shim)
        elif not server.shim.running:
            self.retire_zygote()
        return server, ended

    def retire_zygote(self) -> None:
        """No more loads from the fork server (what it preloaded may be old); it goes once the
        server it forked is replaced."""
        zygote, self._zygote = self._zygote, None
        self._preloaded.clear()
        if zygote is not None and (self.server is None or self.server.shim is not zygote):
            self._retire(zygote)

    def kill(self) -> None:
        """End every process now, from any thread; a shim started after this never runs."""
        with self._lock:
            self._killed = True
            shims = list(self._shims)
        for shim in shims:
            shim.kill()

    def shut_down(self) -> None:
        """Stop and reap every process (after `kill()`, from the owning thread)."""
        with self._lock:
            shims = list(self._shims)
            self._shims.clear()
        for shim in shims:
            shim.stop()
        self.server = None

    def _spawn(self, target: LoadTarget) -> ServerShim:
        """Start a shim where kill() reaches it; once killed, it is born killed (never runs)."""
        shim = ServerShim(target, on_output=self._on_output)
        with self._lock:
            self._shims.add(shim)
            if self._killed:
                shim.kill()
            shim.start()
        return shim

    def _retire(self, shim: ServerShim) -> None:
        shim.stop()
        with self._lock:
            self._shims.discard(shim)
