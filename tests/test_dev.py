"""`ws dev` with real servers and real edits: one project reloads alone, a broken one shows its
error and keeps its last good server, a killed server comes back, env and ws.toml changes are
followed, a local library's edit reaches the projects that use it (and only those), and Ctrl-C
leaves no process running."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from backend.samples import child_env, offline, write_project, write_workspace
from conftest import target

from ws.dev.events import DevEvent, ServerState
from ws.dev.session import DevSession
from ws.envs.sync import sync_projects
from ws.loading.model import LoadError, Snapshot
from ws.workspace.model import Project
from ws.workspace.ws_toml import read_workspace

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]

NOISY = "wsdevnoisy imported"  # what the `wsdevnoisy` dependency prints each time it is imported
FORK_OR_PLAIN = pytest.mark.parametrize("fork", [True, False], ids=["fork", "plain"])


def definitions(name: str, assets: int = 1, *, imports: str = "") -> str:
    lines = [imports, "from ws_defs import Definitions, asset, job", ""]
    for i in range(assets):
        lines += ["@asset", f"def {name}_{i}():", "    return 1", ""]
    listed = ", ".join(f"{name}_{i}" for i in range(assets))
    lines.append(f"defs = Definitions(assets=[{listed}], jobs=[job('daily', assets=[{name}_0])])")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Path:
    """alpha (ws-defs only) and beta (imports tinydep and the noisy dependency), synced once;
    gamma is written but not listed."""
    from backend.samples import tiny_backend

    noisy = f"import sys\nprint({NOISY!r}, file=sys.stderr)\n".encode()
    tiny_backend.write_wheel(
        uv_offline["UV_FIND_LINKS"], "wsdevnoisy", "1.0", {"wsdevnoisy/__init__.py": noisy}
    )
    root = tmp_path_factory.mktemp("dev")
    projects = {"alpha": [], "beta": ["tinydep", "wsdevnoisy"], "gamma": []}
    for name, dependencies in projects.items():
        folder = write_project(root / name, name, dependencies=dependencies)
        imports = "import tinydep, wsdevnoisy" if dependencies else ""
        (folder / "src" / name / "definitions.py").write_text(definitions(name, imports=imports))
    write_workspace(root, [{"path": "alpha"}, {"path": "beta"}])
    workspace = read_workspace(root)
    with offline(uv_offline):
        report = sync_projects(workspace, workspace.projects, jobs=2)
    assert not report.failed, report.failed
    return root


@contextmanager
def editing(root: Path) -> Iterator[Callable[[str, str], None]]:
    """Write a file under `root` (a path relative to it); every file is restored afterwards."""
    originals: dict[Path, str] = {}

    def write(relative: str, text: str) -> None:
        path = root / relative
        originals.setdefault(path, path.read_text())
        path.write_text(text)

    try:
        yield write
    finally:
        for path, text in originals.items():
            path.write_text(text)


@pytest.fixture
def edit(workspace: Path) -> Iterator[Callable[[str, str], None]]:
    """Write a file of the workspace; every file is restored afterwards."""
    with editing(workspace) as write:
        yield write


class Events:
    """Every event a session reported; tests wait for the one they expect."""

    def __init__(self) -> None:
        self.all: list[DevEvent] = []
        self._more = threading.Condition()

    def __call__(self, event: DevEvent) -> None:
        with self._more:
            self.all.append(event)
            self._more.notify_all()

    def mark(self) -> int:
        with self._more:
            return len(self.all)

    def wait_for(
        self, kind: str, name: str | None = None, *, after: int = 0, timeout: float = 15
    ) -> DevEvent:
        deadline = time.monotonic() + timeout
        with self._more:
            while True:
                for event in self.all[after:]:
                    if event.kind == kind and (name is None or event.name == name):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [e.to_json() for e in self.all[after:]]
                    raise AssertionError(f"no {kind} event for {name} in {timeout} s: {seen}")
                self._more.wait(remaining)

    def lines(self, name: str, *, after: int = 0) -> list[str]:
        with self._more:
            return [e.text or "" for e in self.all[after:] if e.kind == "output" and e.name == name]


@contextmanager
def serving(root: Path, *names: str, fork: bool) -> Iterator[Events]:
    events = Events()
    session = DevSession(read_workspace(root), names, on_event=events, fork=fork)
    session.start()
    try:
        yield events
    finally:
        session.stop()


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie whose parent is gone does not count: this box's init
    does not reap)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether `pid` ends within `timeout` (a killed process may take a moment to exit on a busy
    machine: a liveness bound, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pid_of(event: DevEvent) -> int:
    assert event.state is not None and event.state.pid is not None, event
    return event.state.pid


def counts(event: DevEvent) -> dict[str, int]:
    assert event.state is not None and event.state.counts is not None, event
    return dict(event.state.counts)


@FORK_OR_PLAIN
def test_an_edit_reloads_that_project_alone(
    workspace: Path, edit: Callable[[str, str], None], fork: bool
) -> None:
    with serving(workspace, fork=fork) as events:
        first = events.wait_for("loaded", "alpha")
        events.wait_for("loaded", "beta")
        mark = events.mark()
        edit("alpha/src/alpha/definitions.py", definitions("alpha", assets=3))
        reloaded = events.wait_for("loaded", "alpha", after=mark)

        assert counts(reloaded)["assets"] == 3 and counts(reloaded)["jobs"] == 1
        assert pid_of(reloaded) != pid_of(first) and not alive(pid_of(first))
        reloading = events.wait_for("reloading", "alpha", after=mark)
        assert reloading.reason == "src/alpha/definitions.py changed"
        beta = [e.kind for e in events.all[mark:] if e.name == "beta" and e.kind != "output"]
        assert beta == []  # (what beta printed while preloading may arrive late: not a reload)


def test_a_broken_project_keeps_its_last_good_server_until_fixed(
    workspace: Path, edit: Callable[[str, str], None]
) -> None:
    with serving(workspace, "alpha", fork=True) as events:
        first = events.wait_for("loaded", "alpha")
        mark = events.mark()
        edit(
            "alpha/src/alpha/definitions.py", definitions("alpha") + "raise RuntimeError('oops')\n"
        )
        failed = events.wait_for("error", "alpha", after=mark)

        assert failed.state is not None and failed.state.error is not None
        assert failed.state.error.kind == "import_error"
        assert "RuntimeError: oops (src/alpha/definitions.py:" in failed.state.error.message
        assert failed.state.stale and counts(failed) == counts(first)
        assert pid_of(failed) == pid_of(first) and alive(pid_of(first))
        assert failed.to_json()["stale"] is True

        mark = events.mark()
        edit("alpha/src/alpha/definitions.py", definitions("alpha", assets=2))
        fixed = events.wait_for("loaded", "alpha", after=mark)
        assert counts(fixed)["assets"] == 2 and not alive(pid_of(first))


@FORK_OR_PLAIN
def test_a_killed_server_is_restarted(workspace: Path, fork: bool) -> None:
    with serving(workspace, "beta", fork=fork) as events:
        first = events.wait_for("loaded", "beta")
        mark = events.mark()
        os.kill(pid_of(first), signal.SIGKILL)
        restarting = events.wait_for("restarting", "beta", after=mark)
        back = events.wait_for("loaded", "beta", after=mark)

        assert restarting.reason == f"pid {pid_of(first)} was killed by SIGKILL"
        assert restarting.delay is not None and restarting.delay > 0
        assert pid_of(back) != pid_of(first) and alive(pid_of(back))
        if fork:  # the fork server itself dying takes its child along; both come back
            mark = events.mark()
            os.killpg(os.getpgid(pid_of(back)), signal.SIGKILL)
            again = events.wait_for("loaded", "beta", after=mark)
            assert "ended with its fork server" in (
                events.wait_for("restarting", "beta", after=mark).reason or ""
            )
            assert alive(pid_of(again))


@FORK_OR_PLAIN
def test_the_fork_server_does_not_import_dependencies_again(
    workspace: Path, edit: Callable[[str, str], None], fork: bool
) -> None:
    with serving(workspace, "beta", fork=fork) as events:
        events.wait_for("loaded", "beta")
        # Imported by the first load, then by the warm process preloading it (fork only).
        deadline = time.monotonic() + 10
        while events.lines("beta").count(NOISY) < (2 if fork else 1):
            assert time.monotonic() < deadline, events.lines("beta")
            time.sleep(0.02)
        mark = events.mark()
        edit("beta/src/beta/definitions.py", definitions("beta", 2, imports="import wsdevnoisy"))
        assert counts(events.wait_for("loaded", "beta", after=mark))["assets"] == 2
        time.sleep(0.2)  # what the child printed reaches ws on another pipe than its answer
        assert events.lines("beta", after=mark).count(NOISY) == (0 if fork else 1)


def test_a_pyproject_change_resyncs_the_env_then_reloads(
    workspace: Path, edit: Callable[[str, str], None]
) -> None:
    pyproject = (workspace / "alpha/pyproject.toml").read_text()
    with serving(workspace, "alpha", fork=True) as events:
        first = events.wait_for("loaded", "alpha")
        mark = events.mark()
        edit(
            "alpha/pyproject.toml",
            pyproject.replace("dependencies = [", 'dependencies = ["tinydep",'),
        )
        syncing = events.wait_for("syncing", "alpha", after=mark)
        reloaded = events.wait_for("loaded", "alpha", after=mark, timeout=60)

        assert syncing.reason == "pyproject.toml changed"
        assert pid_of(reloaded) != pid_of(first)
        python = workspace / "alpha/.venv/bin/python"
        assert subprocess.run([python, "-c", "import tinydep"], check=False).returncode == 0


def test_ws_toml_changes_start_and_stop_servers(
    workspace: Path, edit: Callable[[str, str], None]
) -> None:
    config = (workspace / "ws.toml").read_text()
    with serving(workspace, fork=True) as events:
        events.wait_for("loaded", "alpha")
        events.wait_for("loaded", "beta")
        edit("ws.toml", config + '\n[[workspace.projects]]\npath = "gamma"\n')
        gamma = events.wait_for("loaded", "gamma", timeout=60)  # its env is built first
        mark = events.mark()
        edit("ws.toml", config)
        events.wait_for("stopped", "gamma", after=mark)

        assert gone(pid_of(gamma))
        assert [e.name for e in events.all[mark:] if e.kind == "stopped"] == ["gamma"]


def test_ctrl_c_stops_every_server_and_leaves_no_process(
    workspace: Path, edit: Callable[[str, str], None]
) -> None:
    command = [sys.executable, "-m", "ws", "dev", "--json"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    lines: queue.Queue[dict[str, Any]] = queue.Queue()
    seen: list[dict[str, Any]] = []
    groups: set[int] = set()  # each server's process group, read while it runs

    def wait_for(kind: str, name: str, after: int = 0) -> dict[str, Any]:
        while True:
            for line in seen[after:]:
                if line["event"] == kind and line.get("name") == name:
                    return line
            seen.append(lines.get(timeout=30))
            if seen[-1]["event"] == "loaded":
                groups.add(os.getpgid(seen[-1]["pid"]))

    with subprocess.Popen(command, cwd=workspace, env=child_env(), **pipes) as proc:  # type: ignore[call-overload]
        reader = threading.Thread(target=lambda: [lines.put(json.loads(x)) for x in proc.stdout])
        reader.start()
        try:
            wait_for("loaded", "alpha")
            wait_for("loaded", "beta")
            mark = len(seen)
            edit("alpha/src/alpha/definitions.py", definitions("alpha", assets=2))
            assert wait_for("loaded", "alpha", mark)["counts"]["assets"] == 2
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=15)
            reader.join()
            errors = proc.stderr.read()
    pids = {line["pid"] for line in seen if line.get("pid")}
    stopped = [line["name"] for line in lines.queue if line["event"] == "stopped"]

    assert code == 0, errors
    assert sorted(stopped) == ["alpha", "beta"]
    assert [pid for pid in pids if alive(pid)] == []
    assert [p for p in _processes_in(groups) if alive(p)] == []
    assert all(line["version"] == 1 for line in seen)


def _processes_in(groups: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups:  # state, ppid, pgrp
                found.append(int(entry.name))
    return found


def interpreter_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The projects ws starts an interpreter for from now on (as test_snapshot_cache counts)."""
    from ws.loading import shim as loading

    names: list[str] = []
    real = loading.load_locations

    def counting(targets: Any, **kwargs: Any) -> Any:
        names.extend(t.name for t in targets)
        return real(targets, **kwargs)

    monkeypatch.setattr(loading, "load_locations", counting)
    return names


def cache_entry(root: Path, name: str, *, timeout: float = 10) -> dict[str, Any]:
    """The project's entry in the snapshot cache file, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError, KeyError):
            entry: dict[str, Any] = json.loads((root / ".ws/snapshots.json").read_text())[
                "projects"
            ][name]
            return entry
        assert time.monotonic() < deadline, f"no cache entry for {name} in {timeout} s"
        time.sleep(0.02)


@FORK_OR_PLAIN
def test_a_listing_after_ws_dev_starts_no_interpreter(
    workspace: Path,
    edit: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
    ws,  # type: ignore[no-untyped-def]
    fork: bool,
) -> None:
    """What ws dev loaded, and the user-code error it met, are cached as `ws list defs` caches."""
    (workspace / ".ws/snapshots.json").unlink(missing_ok=True)
    with serving(workspace, fork=fork) as events:
        events.wait_for("loaded", "alpha")
        beta = events.wait_for("loaded", "beta").state
        mark = events.mark()
        edit(
            "alpha/src/alpha/definitions.py", definitions("alpha") + "raise RuntimeError('oops')\n"
        )
        alpha = events.wait_for("error", "alpha", after=mark).state
    starts = interpreter_starts(monkeypatch)
    result = ws("list", "defs", "--json", cwd=workspace)

    assert starts == [], result
    locations = {location["name"]: location for location in json.loads(result.out)["locations"]}
    assert beta is not None and Snapshot.from_json(locations["beta"]) == beta.snapshot
    assert alpha is not None and alpha.error is not None
    assert locations["alpha"]["error"] == alpha.error.to_json()
    assert alpha.error.kind == "import_error"


def blocking_definitions(gate: Path, assets: int) -> str:
    """Definitions whose import says it began (`<gate>.began`), then waits for `gate` to exist."""
    wait = (
        f"import os, time\nopen({str(gate) + '.began'!r}, 'w').close()\n"
        f"while not os.path.exists({str(gate)!r}):\n    time.sleep(0.01)\n"
    )
    return definitions("alpha", assets, imports=wait)


def wait_for_file(path: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.01)


def alpha_project(root: Path) -> Project:
    return next(p for p in read_workspace(root).projects if p.name == "alpha")


def test_a_file_saved_during_a_load_is_not_cached_as_loaded(
    workspace: Path, edit: Callable[[str, str], None], tmp_path: Path
) -> None:
    """The load's outcome is cached under the files as they were before it began: an edit made
    meanwhile (the import is held at a gate until it is made) leaves the entry stale."""
    from ws.loading.cache import SnapshotCache, source_key

    first, second = tmp_path / "first", tmp_path / "second"
    edit("alpha/src/alpha/definitions.py", blocking_definitions(first, assets=1))
    (workspace / ".ws/snapshots.json").unlink(missing_ok=True)
    with serving(workspace, "alpha", fork=True) as events:
        wait_for_file(Path(f"{first}.began"))
        before = source_key(alpha_project(workspace))
        edit("alpha/src/alpha/definitions.py", blocking_definitions(second, assets=2))
        first.touch()  # the first load ends; the reload the edit asked for waits at `second`
        assert counts(events.wait_for("loaded", "alpha"))["assets"] == 1
        entry = cache_entry(workspace, "alpha")
        wait_for_file(Path(f"{second}.began"))  # stopped during that reload
    alpha = alpha_project(workspace)

    assert entry["key"] == before != source_key(alpha)
    assert len(entry["outcome"]["snapshot"]["assets"]) == 1
    assert SnapshotCache(read_workspace(workspace)).get(alpha) is None  # a listing loads afresh
    assert cache_entry(workspace, "alpha") == entry  # the stopped reload cached nothing


# --- a local library is part of each project that uses it ------------------------------------

COMMON = 'ASSETS = ["orders"]\n'  # libs/common/src/common/__init__.py: alpha's asset keys
COMMON_INIT = "libs/common/src/common/__init__.py"
PROJECTS = ("alpha", "beta", "gamma", "delta")


@pytest.fixture(scope="module")
def with_library(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Path:
    """alpha and beta depend on libs/common by path (editable), gamma does not; delta has a copy
    of libs/common (not editable) and depends on the project gamma (editable). All four are
    listed and synced once. alpha's asset keys are `common.ASSETS`, delta's too, under `delta/`."""
    root = tmp_path_factory.mktemp("dev-library")
    common = write_project(root / "libs" / "common", "common")
    (common / "src" / "common" / "__init__.py").write_text(COMMON)
    keyed = (
        "from common import ASSETS\nfrom ws_defs import Definitions, asset\n\ndefs = Definitions("
    )
    projects = {  # name: (definitions, [tool.uv.sources])
        "alpha": (
            keyed + "assets=[asset(key=key)(lambda: 1) for key in ASSETS])\n",
            'common = { path = "../libs/common", editable = true }',
        ),
        "beta": (
            definitions("beta", imports="import common"),
            'common = { path = "../libs/common", editable = true }',
        ),
        "gamma": (definitions("gamma"), ""),
        "delta": (
            keyed + "assets=[asset(key=key, key_prefix='delta')(lambda: 1) for key in ASSETS])\n",
            'common = { path = "../libs/common" }\ngamma = { path = "../gamma", editable = true }',
        ),
    }
    for name, (code, sources) in projects.items():
        dependencies = [n for n in ("common", "gamma") if f"{n} = " in sources]
        folder = write_project(root / name, name, dependencies=dependencies)
        (folder / "src" / name / "definitions.py").write_text(code)
        if sources:
            with (folder / "pyproject.toml").open("a") as pyproject:
                pyproject.write(f"\n[tool.uv.sources]\n{sources}\n")
    write_workspace(root, [{"path": name} for name in projects])
    workspace = read_workspace(root)
    assert {
        p.name: [(lib.name, lib.editable) for lib in p.libraries] for p in workspace.projects
    } == {
        "alpha": [("common", True)],
        "beta": [("common", True)],
        "gamma": [],
        "delta": [("common", False), ("gamma", True)],
    }
    with offline(uv_offline):
        report = sync_projects(workspace, workspace.projects, jobs=2)
    assert not report.failed, report.failed
    return root


@pytest.fixture
def edit_library(with_library: Path) -> Iterator[Callable[[str, str], None]]:
    """`edit`, in the workspace with a library."""
    with editing(with_library) as write:
        yield write


def kinds(events: Events, name: str, *, after: int) -> list[str]:
    """What happened to `name` since `after`, its output left out."""
    return [e.kind for e in events.all[after:] if e.name == name and e.kind != "output"]


def keys(event: DevEvent) -> list[str]:
    assert event.state is not None and event.state.snapshot is not None, event
    return [a.key for a in event.state.snapshot.assets]


@FORK_OR_PLAIN
def test_a_library_edit_reloads_the_projects_that_use_it_alone(
    with_library: Path, edit_library: Callable[[str, str], None], fork: bool
) -> None:
    """alpha's keys come from the library: the reload sees its new code, also when forked from
    a warm process that imported the library for the first load. delta, with a copy of the
    library in its env, is re-synced instead."""
    with serving(with_library, fork=fork) as events:
        first = {name: events.wait_for("loaded", name) for name in PROJECTS}
        assert keys(first["alpha"]) == ["orders"] and keys(first["delta"]) == ["delta/orders"]
        mark = events.mark()
        edit_library(COMMON_INIT, 'ASSETS = ["orders", "refunds", "returns"]\n')
        alpha = events.wait_for("loaded", "alpha", after=mark)
        beta = events.wait_for("loaded", "beta", after=mark)
        events.wait_for("loaded", "delta", after=mark, timeout=60)

        assert keys(alpha) == ["orders", "refunds", "returns"] and counts(alpha)["assets"] == 3
        assert pid_of(alpha) != pid_of(first["alpha"]) and pid_of(beta) != pid_of(first["beta"])
        for name in ("alpha", "beta"):
            reloading = events.wait_for("reloading", name, after=mark)
            assert reloading.reason == f"{COMMON_INIT} changed"
            assert kinds(events, name, after=mark) == ["reloading", "loaded"]
        syncing = events.wait_for("syncing", "delta", after=mark)
        assert syncing.reason == f"{COMMON_INIT} changed"
        assert "reloading" not in kinds(events, "delta", after=mark)
        time.sleep(0.3)  # a reload of gamma would have begun by now
        assert kinds(events, "gamma", after=mark) == []


def test_a_library_copy_is_installed_again_when_its_code_changes(
    with_library: Path, edit_library: Callable[[str, str], None]
) -> None:
    with serving(with_library, "delta", fork=False) as events:
        events.wait_for("loaded", "delta", timeout=60)
        mark = events.mark()
        edit_library(COMMON_INIT, 'ASSETS = ["orders", "refunds"]\n')
        delta = events.wait_for("loaded", "delta", after=mark, timeout=60)

        assert events.wait_for("syncing", "delta", after=mark).reason == f"{COMMON_INIT} changed"
        assert keys(delta) == ["delta/orders", "delta/refunds"]


def test_a_project_that_is_a_library_reloads_with_the_projects_that_use_it(
    with_library: Path, edit_library: Callable[[str, str], None]
) -> None:
    with serving(with_library, fork=True) as events:
        for name in PROJECTS:
            events.wait_for("loaded", name)
        mark = events.mark()
        edit_library("gamma/src/gamma/definitions.py", definitions("gamma", assets=2))
        gamma = events.wait_for("loaded", "gamma", after=mark)
        events.wait_for("loaded", "delta", after=mark)

        assert counts(gamma)["assets"] == 2
        assert events.wait_for("reloading", "gamma", after=mark).reason == (
            "src/gamma/definitions.py changed"
        )
        assert events.wait_for("reloading", "delta", after=mark).reason == (
            "gamma/src/gamma/definitions.py changed"
        )
        time.sleep(0.3)  # a reload of alpha or beta would have begun by now
        assert kinds(events, "alpha", after=mark) == kinds(events, "beta", after=mark) == []


def test_a_library_pyproject_change_resyncs_the_projects_that_use_it(
    with_library: Path, edit_library: Callable[[str, str], None]
) -> None:
    pyproject = (with_library / "libs/common/pyproject.toml").read_text()
    with serving(with_library, fork=True) as events:
        first = {name: events.wait_for("loaded", name) for name in PROJECTS}
        mark = events.mark()
        edit_library(
            "libs/common/pyproject.toml",
            pyproject.replace("dependencies = [", 'dependencies = ["tinydep",'),
        )
        for name in ("alpha", "beta", "delta"):
            syncing = events.wait_for("syncing", name, after=mark)
            reloaded = events.wait_for("loaded", name, after=mark, timeout=60)
            assert syncing.reason == "libs/common/pyproject.toml changed"
            assert pid_of(reloaded) != pid_of(first[name])
            python = with_library / name / ".venv/bin/python"
            assert subprocess.run([python, "-c", "import tinydep"], check=False).returncode == 0
        assert kinds(events, "gamma", after=mark) == []


def test_unknown_project_is_a_usage_error(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("dev", "nosuch", "--json", cwd=workspace)
    assert result.code == 2
    assert "no project named 'nosuch'" in result.err and result.out == ""


def test_the_table_fits_the_terminal() -> None:
    from rich.console import Console

    from ws.cli.dev_cmd import _Table

    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False, color_system=None)
    table = _Table(console)
    counts = {"assets": 12, "asset_checks": 0, "jobs": 3, "schedules": 1, "sensors": 0}
    long_error = LoadError("import_error", "RuntimeError: " + "x" * 200)
    states = [
        ServerState("marketing-analytics", "loaded", "3.12.1", 43211, 41, counts),
        ServerState("finance", "error", "3.10.13", 43212, 120, counts, long_error, stale=True),
        ServerState("ops", "restarting"),
    ]
    for state in states:
        table.event(DevEvent("loaded", state.name, state))
    console.print(table)
    text = out.getvalue()

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "error (stale)" in text and "finance  import_error: RuntimeError: xxx" in text
    assert "marketing-analytics" in text and "43211" in text


@pytest.mark.parametrize("minor", ["3.8", "3.13"])
def test_the_fork_server_outlives_children_that_crash_or_hang(
    env_python: Callable[[str], Path],
    tmp_path: Path,
    minor: str,
) -> None:
    from ws.dev.processes import ServerShim

    python = env_python(minor)
    with ServerShim(target("defs_segfault", python, tmp_path)) as crashing:
        result, pid, _ = crashing.fork_load(timeout=10)
        assert result.error is not None and result.error.kind == "crashed"
        assert "was killed by SIGSEGV before answering" in result.error.message
        assert pid is not None and not alive(pid) and crashing.running
    with ServerShim(target("defs_loop", python, tmp_path)) as hanging:
        result, pid, _ = hanging.fork_load(timeout=0.5)
        assert result.error == LoadError(
            "timeout", "defs_loop.definitions did not load within 0.5 s"
        )
        assert pid is not None and not alive(pid) and hanging.running
    with ServerShim(target("defs_ok", python, tmp_path)) as good:
        result, pid, modules = good.fork_load(timeout=10)
        assert result.ok and pid is not None and alive(pid)
        assert "ws_defs" in modules and not any(m.startswith("defs_ok") for m in modules)
        assert good.preload(modules, timeout=10) == 1  # its thread count after
        assert good.child_ended(pid) is None
        good.release(pid)
        assert not alive(pid) and good.child_ended(pid) == "is not running"


def test_piped_ws_dev_prints_a_line_per_event_as_it_happens(
    workspace: Path, edit: Callable[[str, str], None]
) -> None:
    """In a CI log or behind `| tee`, a live table would show only its last frame."""
    command = [sys.executable, "-m", "ws", "dev"]
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def wait_for(text: str, after: int = 0) -> str:
        """The first line since `after` holding `text` (projects load in either order)."""
        while True:
            for line in seen[after:]:
                if text in line:
                    return line
            seen.append(lines.get(timeout=30))

    with subprocess.Popen(
        command, cwd=workspace, env=child_env(), stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(x.rstrip("\n")) for x in proc.stdout])
        reader.start()
        try:
            loaded = wait_for("alpha  loaded")
            assert "Python " in loaded and " assets" in loaded and "pid " in loaded
            wait_for("beta  loaded")
            mark = len(seen)
            edit("alpha/src/alpha/definitions.py", definitions("alpha", assets=2))
            assert "definitions.py changed" in wait_for("alpha  reloading", mark)
            assert "2 assets" in wait_for("alpha  loaded", mark)
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=15)
            reader.join()
    every = seen + list(lines.queue)
    assert code == 0
    assert any(line.startswith("alpha  stopped") for line in every)
    assert not any("\x1b[" in line for line in every)  # plain text, no terminal codes
