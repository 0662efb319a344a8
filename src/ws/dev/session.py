"""`ws dev`'s session: a code server per selected project, kept current as files change.

File events come from watchfiles' Rust backend (inotify, FSEvents, ReadDirectoryChangesW: no
polling), grouped until 20 ms pass without one (at most 50 ms). Two watchers, so that no env (often
thousands of folders) is ever watched: one recursive over each project's code folders (`src/`, or
its top-level package), one flat over each project root (pyproject.toml, uv.lock, .python-version,
top-level modules) and the workspace root (ws.toml); each local library's code folders and root
are watched the same way. Routing:
- a `.py` file of a project changed: that project reloads, alone;
- pyproject.toml, uv.lock or .python-version: the workspace is read again, that env re-synced,
  then the project reloads from a fresh process;
- a library's `.py` file: each served project that uses it reloads (one with a copy of it in its
  env, not editable, is re-synced); its pyproject.toml re-syncs them. A served project may be a
  library of another: its edit reaches both;
- ws.toml: the workspace is read again; servers start or stop for projects added or removed.

Events go to one callback, one at a time (the session serialises them), so it needs no lock of its
own. Workspace-wide problems (as `ws check` finds them) are reported whenever they change.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from watchfiles._rust_notify import RustNotify  # the documented Rust backend of watchfiles.watch

from ws import process
from ws.dev.events import DevEvent
from ws.dev.servers import ProjectServer
from ws.errors import ConfigError, WsError
from ws.loading.cache import SnapshotCache
from ws.loading.model import LocationResult, Snapshot
from ws.loading.problems import Problem, find_problems
from ws.workspace.model import CONFIG_NAME, Project, Workspace, normalize_name
from ws.workspace.ws_toml import read_workspace

ENV_FILES = ("pyproject.toml", "uv.lock", ".python-version")
_DEBOUNCE_MS = 50  # the longest a burst of events is grouped
_STEP_MS = 20  # a pause this long ends a burst: a save shows up ~20 ms after it happened


class DevSession:
    """The code servers of a workspace's selected projects; `start()`, then `stop()` (or `with`)."""

    def __init__(
        self,
        workspace: Workspace,
        names: Sequence[str] = (),
        *,
        owner: str | None = None,
        cwd: Path | None = None,
        on_event: Callable[[DevEvent], None],
        fork: bool,
        timeout: float | None = None,
    ) -> None:
        self._workspace = workspace
        self._names, self._owner, self._cwd = list(names), owner, cwd
        self._on_event = on_event
        self._fork = fork
        self._timeout = timeout
        self._cache = SnapshotCache(workspace)  # one for every server: it has the one lock
        self._lock = threading.RLock()  # servers, results, problems, and the order of events
        self._servers: dict[str, ProjectServer] = {}
        self._results: dict[str, LocationResult | Snapshot] = {}
        self._problems: list[Problem] | None = None  # None: to be reported even if there are none
        self._watchers: list[_Watcher] = []
        self._watched: tuple[tuple[Path, ...], tuple[Path, ...]] = ((), ())
        self._stopped = False

    def __enter__(self) -> DevSession:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start a server per selected project (in parallel), and watch; raises ConfigError for
        names that are not projects."""
        projects = self._workspace.select(self._names, owner=self._owner, cwd=self._cwd)
        with self._lock:
            for project in projects:
                self._start_server(project)
            self._watch(projects)

    def stop(self) -> None:
        """Stop watching and end every server's processes (whole process groups)."""
        with self._lock:
            self._stopped = True
            watchers, self._watchers = self._watchers, []
            servers = list(self._servers.values())
        for watcher in watchers:
            watcher.stop()
        for server in servers:
            server.kill()
        process.end_all()  # installers of a sync under way
        for server in servers:
            server.join()

    def _start_server(self, project: Project) -> None:
        server = ProjectServer(
            project,
            fork=self._fork,
            timeout=self._timeout or self._workspace.timeout,
            sync=self._sync,
            emit=self._emit,
            cache=self._cache,
        )
        self._servers[project.name] = server
        server.start()

    def _sync(self, project: Project, on_build: Callable[[], None]) -> tuple[bool, str | None]:
        from ws.envs.sync import SyncEvent, sync_projects

        def progress(event: SyncEvent) -> None:
            if event.kind == "queued":
                on_build()

        report = sync_projects(self._workspace, [project], jobs=1, on_event=progress)
        result = report.results[0]
        return result.status in (
            "created",
            "updated",
        ), result.error if result.status == "failed" else None

    def _emit(self, event: DevEvent) -> None:
        with self._lock:
            self._on_event(event)
            state = event.state
            if (
                event.name is None
                or state is None
                or event.kind not in ("loaded", "error", "stopped")
            ):
                return
            if event.kind == "stopped":
                self._results.pop(event.name, None)
            elif event.kind == "loaded" and state.snapshot is not None:
                self._results[event.name] = state.snapshot
            else:  # as `ws check` does, a failed project is left out, and named as not loaded
                self._results[event.name] = LocationResult(event.name, None, state.error)
            self._report_problems()

    def _report_problems(self) -> None:
        """Once every server has loaded or failed, say when the workspace-wide problems change."""
        if self._stopped or any(name not in self._results for name in self._servers):
            return
        problems = find_problems([self._results[name] for name in self._servers])
        if problems != self._problems:
            self._problems = problems
            self._on_event(DevEvent("problems", problems=tuple(problems)))

    def _on_changes(self, paths: set[str]) -> None:
        """Called from a watcher thread with the paths that changed."""
        sources: dict[str, list[Path]] = {}
        envs: dict[str, list[Path]] = {}
        config_changed = False
        removed: list[ProjectServer] = []
        with self._lock:
            libraries = self._library_users()
            for text in paths:
                path = Path(text)
                if path == self._workspace.root / CONFIG_NAME:
                    config_changed = True
                else:
                    self._route(path, libraries, sources, envs)
            if config_changed or envs:
                reasons = {n: _changed(f, self._servers[n].project.root) for n, f in envs.items()}
                removed = self._follow_workspace(reasons)
            for name, files in sources.items():
                server = self._servers.get(name)
                if server is not None and name not in envs:
                    server.reload(_changed(files, server.project.root))
            self._watch([server.project for server in self._servers.values()])  # a new src/?
        for server in removed:  # not under the lock: a stopping server still reports "stopped"
            server.kill()
            server.join()

    def _route(
        self,
        path: Path,
        libraries: dict[Path, list[tuple[str, bool]]],
        sources: dict[str, list[Path]],
        envs: dict[str, list[Path]],
    ) -> None:
        """Add a changed file to the reloads (`sources`) or re-syncs (`envs`) it calls for.

        It belongs to the innermost project or library folder that holds it; a served project
        may be a library too. A library's edit reaches each served project that uses it: its
        pyproject.toml re-syncs them, its code reloads them, or re-syncs those that have a copy
        of it (not editable) in their env.
        """
        roots = {server.project.root: name for name, server in self._servers.items()}
        folder = next((f for f in path.parents if f in roots or f in libraries), None)
        if folder is None:
            return
        name = roots.get(folder)
        if name is not None and path.parent == folder and path.name in ENV_FILES:
            envs.setdefault(name, []).append(path)
        elif name is not None and _is_source(path):
            sources.setdefault(name, []).append(path)
        for user, editable in libraries.get(folder, []):
            if path == folder / "pyproject.toml" or (_is_source(path) and not editable):
                envs.setdefault(user, []).append(path)
            elif _is_source(path):
                sources.setdefault(user, []).append(path)

    def _library_users(self) -> dict[Path, list[tuple[str, bool]]]:
        """Each local library's folder, and the served projects that use it (transitively),
        each with whether its env has the library editable."""
        users: dict[Path, list[tuple[str, bool]]] = {}
        for name, server in self._servers.items():
            for library in server.project.libraries:
                users.setdefault(library.path, []).append((name, library.editable))
        return users

    def _follow_workspace(self, env_changes: dict[str, str]) -> list[ProjectServer]:
        """Read ws.toml again; start or re-sync servers to match it; return those to stop."""
        try:
            workspace = read_workspace(self._workspace.root)
        except WsError as exc:
            self._on_event(DevEvent("workspace_error", text=str(exc)))
            self._problems = None  # so that the problems are said again once it reads well
            return []
        self._workspace = workspace
        wanted = {p.name: p for p in self._select(workspace)}
        removed = [self._servers.pop(n) for n in list(self._servers) if n not in wanted]
        for name, project in wanted.items():
            server = self._servers.get(name)
            if server is None:
                self._start_server(project)
            elif name in env_changes or project != server.project:
                server.resync(env_changes.get(name) or "ws.toml changed", project)
        self._watch(list(wanted.values()))
        self._report_problems()
        return removed

    def _select(self, workspace: Workspace) -> list[Project]:
        try:
            return workspace.select(self._names, owner=self._owner, cwd=self._cwd)
        except ConfigError:  # a named project left ws.toml, or the team has none left
            wanted = {normalize_name(n) for n in self._names}
            return [p for p in workspace.projects if p.name in wanted]

    def _watch(self, projects: Sequence[Project]) -> None:
        """(Re)start the watchers when the folders to watch changed."""
        libraries = {lib.path: lib for p in projects for lib in p.libraries}
        code_paths = {f for p in projects for f in p.code_paths() if f.is_dir()}
        code_paths |= {f for lib in libraries.values() for f in lib.code_paths()}
        flat_paths = {self._workspace.root, *(p.root for p in projects if p.root.is_dir())}
        flat_paths |= {path for path in libraries if path.is_dir()}
        code, flat = tuple(sorted(code_paths)), tuple(sorted(flat_paths))
        if (code, flat) == self._watched or self._stopped:
            return
        for watcher in self._watchers:
            watcher.stop()
        self._watched = (code, flat)
        self._watchers = [
            _Watcher(paths, recursive=recursive, on_changes=self._on_changes)
            for paths, recursive in ((code, True), (flat, False))
            if paths
        ]


def _is_source(path: Path) -> bool:
    """A module; not bytecode, nor an editor's lock or temporary file (`.#x.py`, `.x.py.swp`)."""
    return (
        path.suffix == ".py" and not path.name.startswith(".") and "__pycache__" not in path.parts
    )


def _changed(files: list[Path], root: Path) -> str:
    """`src/x.py changed`; a file outside the project (a library's) is named from the folder
    above both."""
    base = root if root in files[0].parents else Path(os.path.commonpath([root, files[0]]))
    first = os.path.relpath(files[0], base)
    more = f" and {len(files) - 1} more" if len(files) > 1 else ""
    return f"{first}{more} changed"


class _Watcher:
    """A thread handing the paths that changed under `paths` to `on_changes`, until stopped."""

    def __init__(
        self, paths: Sequence[Path], *, recursive: bool, on_changes: Callable[[set[str]], None]
    ) -> None:
        # Created here, not in the thread: once the constructor returns, every change is seen.
        self._notify = RustNotify([str(p) for p in paths], False, False, 300, recursive, True)
        self._on_changes = on_changes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ws-dev-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                changes = self._notify.watch(_DEBOUNCE_MS, _STEP_MS, 0, self._stop)
                if isinstance(
                    changes, str
                ):  # "stop" (or "signal", which only the main thread sees)
                    if self._stop.is_set():
                        return
                    continue
                self._on_changes({path for _, path in changes})
        finally:
            self._notify.close()

    def stop(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
