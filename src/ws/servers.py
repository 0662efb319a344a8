"""Long-lived code servers for `ws dev`: one supervisor per project around the loader shim.

A supervisor (`ProjectServer`, one thread) owns its project's shim processes and does one thing at
a time: sync the env when it is stale, load, swap the new server in once it answered (the old one
is stopped then; after a failed reload the old one keeps serving, its snapshot marked stale), and
restart a server that died, with backoff. Everything is reported as `DevEvent`s through a callback;
nothing is printed. `ws.watching.DevSession` runs the supervisors of a workspace.

Two ways to (re)load:
- plain: a fresh shim process per load.
- fork (POSIX): one warm shim per project forks a child per load (the shim's "Fork server"). After
  the first good load the shim preloads what that load imported from outside the project, so a
  reload pays for the project's own imports only, not its dependencies' again.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ws.definitions import Problem, Snapshot
from ws.loading import LocationResult, ShimProcess, result_from_answer
from ws.locations import load_target, unloadable
from ws.workspace import Project

Status = Literal["starting", "syncing", "loaded", "reloading", "restarting", "error", "stopped"]
EventKind = Literal[
    "starting", "syncing", "loaded", "error", "reloading", "restarting", "stopped", "output",
    "problems", "workspace_error",
]  # fmt: skip
COUNTED = ("assets", "asset_checks", "jobs", "schedules", "sensors", "resources")
EVENTS_VERSION = 1
HEALTH_CHECK_SECONDS = 0.25
_BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds before restart N
_STEADY_SECONDS = 10.0  # a server up this long has recovered: the next death restarts at once
_ASK_GRACE = 5.0  # the fork server enforces the load timeout itself; this covers the server


@dataclass(frozen=True)
class ServerState:
    """What the table shows for one project; `counts` and `python` come from the last good load."""

    name: str
    status: Status = "starting"
    python: str | None = None
    pid: int | None = None  # the process holding the loaded code
    ms: int | None = None  # the last load, as ws waited for it
    counts: Mapping[str, int] | None = None
    error: Mapping[str, str] | None = None
    stale: bool = False  # the code changed since `counts`: the last reload failed
    snapshot: Snapshot | None = field(default=None, repr=False)  # the last good load


@dataclass(frozen=True)
class DevEvent:
    kind: EventKind
    name: str | None = None
    state: ServerState | None = None
    reason: str | None = None  # reloading, syncing, restarting: what happened
    delay: float | None = None  # restarting: seconds before the new server starts
    text: str | None = None  # output: one line user code printed; workspace_error: the message
    problems: tuple[Problem, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """One line of `ws dev --json`."""
        data: dict[str, Any] = {"version": EVENTS_VERSION, "event": self.kind}
        if self.kind == "problems":
            data["problems"] = [p.to_json() for p in self.problems]
            return data
        if self.kind == "workspace_error":
            data["message"] = self.text
            return data
        data["name"] = self.name
        state = self.state
        if state is not None:
            data["pid"] = state.pid
        if self.kind == "loaded" and state is not None:
            data.update(ms=state.ms, counts=dict(state.counts or {}), python=state.python)
        elif self.kind == "error" and state is not None:
            data.update(error=dict(state.error or {}), stale=state.stale)
        elif self.kind == "output":
            data["line"] = self.text
        if self.reason is not None:
            data["reason"] = self.reason
        if self.delay is not None:
            data["delay"] = self.delay
        return data


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
    ) -> None:
        self.project = project
        self._fork = fork
        self._timeout = timeout
        self._sync_env = sync
        self._emit_event = emit
        self.state = ServerState(project.name)
        self._commands: queue.Queue[tuple[str, str | None, Project | None]] = queue.Queue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _shims against stop() from another thread
        self._shims: set[_Shim] = set()
        self._server: _Server | None = None
        self._zygote: _Shim | None = None  # fork mode: the warm shim children are forked from
        self._preloaded: set[str] = set()
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
        with self._lock:
            shims = list(self._shims)
        for shim in shims:
            shim.kill()

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
            self._fail(dict(early.error))
            todo.load = False
            return
        building = "the environment is not up to date; building it"
        rebuilt, error = self._sync_env(self.project, lambda: self._update("syncing", building))
        if self._stopping.is_set():
            return
        if error is not None:
            self._fail({"kind": "sync_failed", "message": error})
            todo.load = False
        elif rebuilt:
            self._retire_zygote()  # what it preloaded may be the old versions

    def _load(self, todo: _Todo) -> None:
        todo.load = False
        if self.state.status in ("loaded", "error"):  # other statuses were announced already
            self._update("reloading", todo.reason)
        started = time.perf_counter()
        result, server, modules = self._load_once()
        if self._stopping.is_set():
            return
        ms = round((time.perf_counter() - started) * 1000)
        if result.snapshot is None or server is None:
            self._fail(dict(result.error or {"kind": "crashed", "message": "no answer"}))
            return
        snapshot = Snapshot.from_json(result.snapshot)
        old, self._server = self._server, server
        if old is not None:
            self._stop_server(old)
        counts = {key: len(getattr(snapshot, key)) for key in COUNTED}
        self._loaded_at = time.monotonic()
        self.state = ServerState(
            self.project.name, "loaded", snapshot.python, server.pid, ms, counts, snapshot=snapshot
        )
        self._emit(DevEvent("loaded", self.project.name, self.state))
        self._preload(modules)

    def _load_once(self) -> tuple[LocationResult, _Server | None, list[str]]:
        target = load_target(self.project)
        if not self._fork:
            shim = self._spawn(_Shim(target, on_output=self._output))
            result = shim.load(timeout=self._timeout)  # killed (stopping): a "crashed" result
            if result.ok:
                return result, _PlainServer(shim), []
            self._retire(shim)
            return result, None, []
        zygote = self._zygote
        if zygote is None or not zygote.running or zygote.target != target:
            self._retire_zygote()
            zygote = self._zygote = self._spawn(_Shim(target, on_output=self._output))
        result, pid, modules = zygote.fork_load(timeout=self._timeout)
        if not zygote.running:
            self._retire_zygote()
        if result.ok and pid is not None:
            return result, _ForkedServer(zygote, pid), modules
        return result, None, []

    def _preload(self, modules: list[str]) -> None:
        """Fork mode: have the warm shim import what the last load imported from outside."""
        zygote = self._zygote
        new = [m for m in modules if m not in self._preloaded]
        if zygote is None or not new:
            return
        self._preloaded.update(new)
        threads = zygote.preload(new, timeout=self._timeout)
        if threads != 1:  # a library started threads: forking would leave them out of the child
            self._fork = False
            self._retire_zygote()

    def _check_health(self, todo: _Todo) -> None:
        server = self._server
        if server is None:
            return
        ended = server.ended()
        now = time.monotonic()
        if ended is None:
            if now - self._loaded_at > _STEADY_SECONDS:
                self._restarts = 0
            return
        self._server = None
        if not isinstance(server, _ForkedServer) or server.shim is not self._zygote:
            self._retire(server.shim)  # reaps it
        elif not server.shim.running:
            self._retire_zygote()
        delay = _BACKOFF[min(self._restarts, len(_BACKOFF) - 1)]
        self._restarts += 1
        reason = f"pid {server.pid} {ended}"
        self.state = replace(self.state, status="restarting", pid=None)
        self._emit(DevEvent("restarting", self.project.name, self.state, reason, delay))
        todo.load, todo.reason = True, reason
        self._take_commands(todo, wait=delay)  # a change or a stop cuts the wait short

    def _fail(self, error: dict[str, str]) -> None:
        """A load or sync failed: show the error; a running server keeps its (now stale) code."""
        server = self._server
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

    def _spawn(self, shim: _Shim) -> _Shim:
        """Start a shim where kill() reaches it; once stopping, it is born killed (never runs)."""
        with self._lock:
            self._shims.add(shim)
            if self._stopping.is_set():
                shim.kill()
            shim.start()
        return shim

    def _retire(self, shim: _Shim) -> None:
        shim.stop()
        with self._lock:
            self._shims.discard(shim)

    def _retire_zygote(self) -> None:
        """No more loads from this fork server; it goes once the server it forked is replaced."""
        zygote, self._zygote = self._zygote, None
        self._preloaded.clear()
        if zygote is not None and (self._server is None or self._server.shim is not zygote):
            self._retire(zygote)

    def _stop_server(self, server: _Server) -> None:
        if isinstance(server, _ForkedServer) and server.shim is self._zygote:
            server.shim.release(server.pid)  # the fork server stays warm for the next load
        else:
            self._retire(server.shim)

    def _shut_down(self) -> None:
        with self._lock:
            shims = list(self._shims)
            self._shims.clear()
        for shim in shims:
            shim.stop()
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


class _Shim(ShimProcess):
    """A ShimProcess with what a code server needs: its pid, a kill from any thread, and the
    fork-server requests (through ShimProcess's one request/answer helper)."""

    _killed = False

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def start(self) -> None:
        if not self._killed:  # ShimProcess.load() starts a shim that died: not after a kill
            super().start()

    def kill(self) -> None:
        """End its process group now, from any thread; the owning thread reaps it."""
        self._killed = True
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def load(self, *, timeout: float = 60.0) -> LocationResult:
        if self._proc is None and self._killed:  # stopped before it ever ran
            return result_from_answer(self.target.name, self._request({}, timeout))
        return super().load(timeout=timeout)

    def _request(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """`_ask`, or an error answer when there is no process to ask."""
        if self._start_error is not None:
            return {"ok": False, "error": self._start_error}
        if self._proc is None:
            message = f"the server of {self.target.name} was stopped"
            return {"ok": False, "error": {"kind": "crashed", "message": message}}
        return self._ask(request, timeout)

    def ended(self) -> str | None:
        """None while it runs, else how it ended."""
        proc = self._proc
        code = proc.poll() if proc is not None else None
        if proc is None:
            return "was stopped"
        if code is None:
            return None
        if code >= 0:
            return f"exited with code {code}"
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"

    def fork_load(self, *, timeout: float) -> tuple[LocationResult, int | None, list[str]]:
        t = self.target
        request = {
            "op": "fork_load",
            "name": t.name,
            "module": t.module,
            "attribute": t.attribute,
            "sys_path": list(t.sys_path),
            "timeout": timeout,
        }
        answer = self._request(request, timeout + _ASK_GRACE)
        pid = answer.get("pid")
        modules = [m for m in answer.get("modules") or [] if isinstance(m, str)]
        return result_from_answer(t.name, answer), pid if isinstance(pid, int) else None, modules

    def preload(self, modules: list[str], *, timeout: float) -> int | None:
        """Import `modules` in the warm shim; its thread count after, None if it did not answer."""
        answer = self._request({"op": "preload", "modules": modules}, timeout)
        threads = answer.get("threads")
        return threads if isinstance(threads, int) else None

    def child_ended(self, pid: int) -> str | None:
        answer = self._request({"op": "ping", "pid": pid}, 5.0)
        if answer.get("ok") is not True:
            return "was lost with its fork server"
        ended = answer.get("ended")
        return ended if isinstance(ended, str) else None

    def release(self, pid: int) -> None:
        if self.running:
            self._request({"op": "release", "pid": pid}, 5.0)


class _Server:
    """The process serving a project's loaded code: a shim, or a child forked by one."""

    shim: _Shim
    pid: int

    def ended(self) -> str | None:
        raise NotImplementedError


class _PlainServer(_Server):
    def __init__(self, shim: _Shim) -> None:
        self.shim = shim
        self.pid = shim.pid or 0  # it answered a load, so it runs

    def ended(self) -> str | None:
        return self.shim.ended()


class _ForkedServer(_Server):
    def __init__(self, zygote: _Shim, pid: int) -> None:
        self.shim = zygote
        self.pid = pid

    def ended(self) -> str | None:
        if not self.shim.running:
            return f"ended with its fork server (pid {self.shim.pid}, {self.shim.ended()})"
        return self.shim.child_ended(self.pid)
