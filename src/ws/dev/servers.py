"""Long-lived code servers for `ws dev`: one supervisor per project around the loader shim.

A supervisor (`ProjectServer`, one thread) does one thing at a time: sync the env when it is stale,
load, swap the new server in once it answered (after a failed reload the old one keeps serving,
its snapshot marked stale), and restart a server that died, with backoff. Each load's outcome goes
into the snapshot cache as `ws list defs` would store it, so a listing while or after `ws dev`
runs starts no interpreter. Everything is reported as `DevEvent`s (`ws.dev.events`) through a
callback; nothing is printed. `ws.dev.session.DevSession` runs the supervisors of a workspace.

This module is the policy: what to do next, and when. Which processes exist, and how a plain or a
forked server is loaded, swapped, reaped and killed, is `ws.dev.processes`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from ws.dev.events import COUNTED, DevEvent, ServerState
from ws.dev.processes import ServerProcesses
from ws.loading.cache import SnapshotCache, source_key
from ws.loading.locations import load_target, unloadable
from ws.loading.model import LoadError, LocationResult
from ws.workspace.model import Project

HEALTH_CHECK_SECONDS = 0.25
_BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds before restart N
_STEADY_SECONDS = 10.0  # a server up this long has recovered: the next death restarts at once


# sync(project, on_build) -> (env rebuilt, error message); on_build() is called if it must build
SyncOne = Callable[[Project, Callable[[], None]], tuple[bool, str | None]]


class ProjectServer:
    """One project's code server: started, reloaded, resynced, restarted when it dies, stopped."""

    def __init__(
        self,
        project: Project,
        *,
        fork: bool,
        timeout: float,
        sync: SyncOne,
        emit: Callable[[DevEvent], None],
        cache: SnapshotCache,
    ) -> None:
        self.project = project
        self._sync_env = sync
        self._emit_event = emit
        self._cache = cache
        self.state = ServerState(project.name)
        self._commands: queue.Queue[tuple[str, str | None, Project | None]] = queue.Queue()
        self._stopping = threading.Event()
        self._processes = ServerProcesses(fork=fork, timeout=timeout, on_output=self._output)
        self._restarts = 0
        self._loaded_at = 0.0
        self._thread = threading.Thread(
            target=self._run, name=f"ws-dev-{project.name}", daemon=True
        )

    def start(self) -> None:
        """Sync the env if it is stale, then load; in the supervisor's own thread."""
        self._commands.put(("sync", None, None))
        self._thread.start()

    def reload(self, reason: str) -> None:
        self._commands.put(("load", reason, None))

    def resync(self, reason: str, project: Project | None = None) -> None:
        """Sync the env (pyproject.toml, a lock file or the settings changed), then load afresh."""
        self._commands.put(("sync", reason, project))

    def kill(self) -> None:
        """Begin stopping: end every process of this server now (from any thread)."""
        self._stopping.set()
        self._commands.put(("wake", None, None))
        self._processes.kill()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        todo = _Todo()
        try:
            while not self._stopping.is_set():
                self._take_commands(todo, 0.0 if todo.sync or todo.load else HEALTH_CHECK_SECONDS)
                if self._stopping.is_set():
                    break
                if todo.sync:
                    self._sync(todo)
                elif todo.load:
                    self._load(todo)
                else:
                    self._check_health(todo)
        finally:
            self._shut_down()

    def _take_commands(self, todo: _Todo, wait: float) -> None:
        """Merge queued commands into `todo`, waiting up to `wait` seconds for the first one."""
        try:
            item = self._commands.get(timeout=wait) if wait > 0 else self._commands.get_nowait()
            while True:
                todo.merge(*item)
                item = self._commands.get_nowait()
        except queue.Empty:
            return
        finally:
            if todo.project is not None:
                self.project, todo.project = todo.project, None

    def _sync(self, todo: _Todo) -> None:
        """Bring the env up to date (a no-op when it is); `todo.reason` None means first start."""
        todo.sync, todo.load = False, True
        if todo.reason is None:
            self._update("starting", None)
        else:
            self._update("syncing", todo.reason)
        early = unloadable(self.project) if self.project.problem else None
        if early is not None and early.error is not None:
            self._fail(early.error)
            todo.load = False
            return
        building = "the environment is not up to date; building it"
        rebuilt, error = self._sync_env(self.project, lambda: self._update("syncing", building))
        if self._stopping.is_set():
            return
        if error is not None:
            self._fail(LoadError("sync_failed", error))
            todo.load = False
        elif rebuilt:
            self._processes.retire_zygote()  # what it preloaded may be the old versions

    def _load(self, todo: _Todo) -> None:
        todo.load = False
        if self.state.status in ("loaded", "error"):  # other statuses were announced already
            self._update("reloading", todo.reason)
        project = self.project
        key = source_key(project)  # the files as this load will read them (a save may follow)
        started = time.perf_counter()
        result, server, modules = self._processes.load(load_target(project))
        if self._stopping.is_set():
            return  # and nothing is cached: a load cut short by a kill ends as a crash
        ms = round((time.perf_counter() - started) * 1000)
        snapshot = result.snapshot
        if snapshot is None or server is None:
            error = result.error or LoadError("crashed", "no answer")
            self._fail(error)
            self._store(project, key, replace(result, snapshot=None, error=error))
            return
        self._processes.swap_in(server)
        counts = {kind: len(getattr(snapshot, kind)) for kind in COUNTED}
        self._loaded_at = time.monotonic()
        self.state = ServerState(
            project.name, "loaded", snapshot.python, server.pid, ms, counts, snapshot=snapshot
        )
        self._emit(DevEvent("loaded", project.name, self.state))
        self._store(project, key, result)
        self._processes.preload(modules)  # the shim leaves editable libraries' code out

    def _store(self, project: Project, key: str, result: LocationResult) -> None:
        """Cache a load's outcome as `ws list defs` does, under the key from before the load.

        After the event rather than before it, so that the reload is shown without waiting for a
        file write; a stop waits for this thread, so a listing after `ws dev` ends finds it.
        """
        self._cache.put(project, result, key=key)
        self._cache.save()

    def _check_health(self, todo: _Todo) -> None:
        if self._processes.server is None:
            return
        ended = self._processes.take_ended()
        if ended is None:
            if time.monotonic() - self._loaded_at > _STEADY_SECONDS:
                self._restarts = 0
            return
        server, how = ended
        delay = _BACKOFF[min(self._restarts, len(_BACKOFF) - 1)]
        self._restarts += 1
        reason = f"pid {server.pid} {how}"
        self.state = replace(self.state, status="restarting", pid=None)
        self._emit(DevEvent("restarting", self.project.name, self.state, reason, delay))
        todo.load, todo.reason = True, reason
        self._take_commands(todo, wait=delay)  # a change or a stop cuts the wait short

    def _fail(self, error: LoadError) -> None:
        """A load or sync failed: show the error; a running server keeps its (now stale) code."""
        server = self._processes.server
        had_good = self.state.counts is not None
        pid = server.pid if server is not None else None
        self.state = replace(self.state, status="error", pid=pid, error=error, stale=had_good)
        self._emit(DevEvent("error", self.project.name, self.state))

    def _update(
        self, status: Literal["starting", "syncing", "reloading"], reason: str | None
    ) -> None:
        self.state = replace(self.state, status=status)
        self._emit(DevEvent(status, self.project.name, self.state, reason))

    def _emit(self, event: DevEvent) -> None:
        if not self._stopping.is_set():
            self._emit_event(event)

    def _output(self, line: str) -> None:
        self._emit(DevEvent("output", self.project.name, self.state, text=line))

    def _shut_down(self) -> None:
        self._processes.shut_down()
        pid = self.state.pid
        self.state = replace(self.state, status="stopped", pid=None)
        self._emit_event(DevEvent("stopped", self.project.name, replace(self.state, pid=pid)))


@dataclass
class _Todo:
    """What a supervisor has left to do, merged from its commands."""

    sync: bool = False
    load: bool = False
    reason: str | None = None
    project: Project | None = None

    def merge(self, command: str, reason: str | None, project: Project | None) -> None:
        if command == "sync":
            self.sync = True
        elif command == "load":
            self.load = True
        else:
            return
        self.reason = reason
        self.project = project or self.project
