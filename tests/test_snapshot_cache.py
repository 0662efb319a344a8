"""The snapshot cache: what its key covers, its file, and, end to end, the interpreters it saves."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from backend.samples import FINANCE, copy_sample, sync, write_defs_project, write_workspace
from conftest import MINE, WsResult

from ws.envs.environment import ENV_MARKER
from ws.loading import shim as ws_loading
from ws.loading.cache import CACHE_VERSION, SnapshotCache, source_key
from ws.loading.model import LoadError, LocationResult, Snapshot
from ws.workspace.model import Project, Workspace
from ws.workspace.ws_toml import read_workspace

SNAPSHOT = {
    "version": 1,
    "name": "app",
    "module": "app.definitions",
    "attribute": "defs",
    "python": "3.11.7",
    "load_ms": 3,
    "assets": [{"key": "orders", "deps": []}],
}


def loaded(snapshot: dict[str, Any]) -> LocationResult:
    return LocationResult(snapshot["name"], Snapshot.from_json(snapshot), None)


def failure(kind: str, message: str) -> LocationResult:
    return LocationResult("app", None, LoadError(kind, message))


@pytest.fixture(autouse=True)
def _no_stale_log_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier in-process `ws -v` leaves its handler on a closed capture stream (main.py)."""
    monkeypatch.setattr(logging.getLogger("ws"), "handlers", [])


def bump(path: Path) -> None:
    """A new mtime, as an editor's save gives (later than any the cache saw)."""
    later = time.time() + 10
    os.utime(path, (later, later))


# --- the key and the file, no interpreter needed --------------------------------------------------


def small_workspace(root: Path, layout: str = "src") -> Workspace:
    """One project `app` with a fake env marker; its package under src/, at the root, or a file."""
    project = root / "app"
    if layout == "src":
        (project / "src" / "app").mkdir(parents=True)
        (project / "src" / "app" / "definitions.py").write_text("defs = None\n")
    elif layout == "flat":
        (project / "app").mkdir(parents=True)
        (project / "app" / "definitions.py").write_text("defs = None\n")
    else:
        project.mkdir(parents=True)
        (project / "app.py").write_text("defs = None\n")
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')
    if layout == "module":
        with (project / "pyproject.toml").open("a") as handle:
            handle.write('\n[tool.ws]\nmodule = "app"\n')
    (project / ".venv").mkdir()
    (project / ".venv" / ENV_MARKER).write_text('{"fingerprint": 1}')
    (project / "README.md").write_text("not code\n")
    write_workspace(root, [{"path": "app"}])
    return read_workspace(root)


def app(workspace: Workspace) -> Project:
    return workspace.projects[0]


@pytest.mark.parametrize(
    ("layout", "source"),
    [("src", "src/app/definitions.py"), ("flat", "app/definitions.py"), ("module", "app.py")],
)
def test_the_key_follows_the_source_files_wherever_they_live(
    tmp_path: Path, layout: str, source: str
) -> None:
    project = app(small_workspace(tmp_path, layout))
    key = source_key(project)
    assert source_key(project) == key  # stable
    bump(project.root / "README.md")
    cache_dir = project.root / Path(source).parent / "__pycache__"
    cache_dir.mkdir(exist_ok=True)
    (cache_dir / "definitions.cpython-311.pyc").write_bytes(b"\0")
    assert source_key(project) == key  # neither docs nor bytecode count
    bump(project.root / source)
    touched = source_key(project)
    assert touched != key
    bump(project.root / "pyproject.toml")
    assert source_key(project) != touched


def test_the_key_follows_new_files_and_the_env_marker(tmp_path: Path) -> None:
    project = app(small_workspace(tmp_path))
    key = source_key(project)
    (project.root / "src" / "app" / "assets.py").write_text("")
    added = source_key(project)
    assert added != key
    (project.venv / ENV_MARKER).write_text('{"fingerprint": 2}')  # ws sync rebuilt the env
    assert source_key(project) != added


def test_an_external_env_counts_by_its_site_packages(tmp_path: Path) -> None:
    """An env ws never builds has no marker: installing into it must still invalidate."""
    project = app(small_workspace(tmp_path))
    env = tmp_path / "dagster-env"
    site = env / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (env / "bin").mkdir()
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    external = replace(project, external_python=env / "bin" / "python")
    key = source_key(external)
    assert source_key(external) == key
    (site / "newdep-1.0.dist-info").mkdir()  # `uv pip install newdep` in that env
    bump(site)
    assert source_key(external) != key


def test_an_outcome_is_served_until_its_project_changes(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path)
    cache = SnapshotCache(workspace)
    cache.put(app(workspace), loaded(SNAPSHOT))
    cache.save()

    assert cache.path == tmp_path / ".ws" / "snapshots.json"
    document = json.loads(cache.path.read_text())
    assert document["version"] == CACHE_VERSION == 1 and list(document["projects"]) == ["app"]
    assert SnapshotCache(workspace).get(app(workspace)) == loaded(SNAPSHOT)
    bump(app(workspace).root / "src" / "app" / "definitions.py")
    assert SnapshotCache(workspace).get(app(workspace)) is None


@pytest.mark.parametrize("kind", ["timeout", "crashed", "env_missing"])
def test_a_timeout_or_crash_is_never_remembered(tmp_path: Path, kind: str) -> None:
    workspace = small_workspace(tmp_path)
    cache = SnapshotCache(workspace)
    cache.put(app(workspace), loaded(SNAPSHOT))
    cache.put(app(workspace), failure(kind, "m"))
    cache.save()
    assert SnapshotCache(workspace).get(app(workspace)) is None  # and the older snapshot is gone


def test_an_import_error_is_remembered(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path)
    error = {"kind": "import_error", "message": "SyntaxError (src/app/definitions.py, line 1)"}
    cache = SnapshotCache(workspace)
    cache.put(app(workspace), failure(**error))
    cache.save()
    assert SnapshotCache(workspace).get(app(workspace)) == failure(**error)


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"version": 2, "projects": {}}),
        json.dumps({"projects": {}}),
        json.dumps({"version": 1, "projects": []}),
        json.dumps([1]),
    ],
    ids=["corrupt", "newer", "unversioned", "bad-projects", "not-an-object"],
)
def test_a_corrupt_or_foreign_cache_file_is_ignored(tmp_path: Path, text: str) -> None:
    workspace = small_workspace(tmp_path)
    path = tmp_path / ".ws" / "snapshots.json"
    path.parent.mkdir()
    path.write_text(text.replace('"projects": {}', f'"projects": {_valid_entries(workspace)}'))
    cache = SnapshotCache(workspace)
    assert cache.get(app(workspace)) is None
    cache.put(app(workspace), loaded(SNAPSHOT))
    cache.save()
    assert json.loads(path.read_text())["version"] == CACHE_VERSION  # rewritten in this format


@pytest.mark.parametrize(
    "outcome",
    [
        {"snapshot": "not a snapshot"},
        {"snapshot": {**SNAPSHOT, "version": 99}},
        {"snapshot": {**SNAPSHOT, "name": "someone-else"}},
        {"snapshot": None, "error": {"kind": 1}},
        [],
    ],
    ids=["string", "snapshot-version", "other-project", "bad-error", "list"],
)
def test_a_malformed_entry_under_a_valid_key_is_a_miss(tmp_path: Path, outcome: Any) -> None:
    workspace = small_workspace(tmp_path)
    path = tmp_path / ".ws" / "snapshots.json"
    path.parent.mkdir()
    entry = {"key": source_key(app(workspace)), "outcome": outcome}
    path.write_text(json.dumps({"version": 1, "projects": {"app": entry}}))
    assert SnapshotCache(workspace).get(app(workspace)) is None


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path)
    (tmp_path / ".ws").write_text("a file where the folder should be")
    cache = SnapshotCache(workspace)
    cache.put(app(workspace), loaded(SNAPSHOT))
    cache.save()  # a read-only workspace still lists its definitions, only afresh each time
    assert (tmp_path / ".ws").is_file()


def test_a_save_keeps_what_another_process_wrote_meanwhile(tmp_path: Path) -> None:
    """`ws dev` and a listing both write the file: each merges its own projects into it."""
    workspace = small_workspace(tmp_path)
    other = replace(app(workspace), name="other")
    listing, dev = SnapshotCache(workspace), SnapshotCache(workspace)  # both read it empty
    dev.put(other, loaded({**SNAPSHOT, "name": "other"}))
    dev.save()
    listing.put(app(workspace), loaded(SNAPSHOT))
    listing.save()
    fresh = SnapshotCache(workspace)
    assert fresh.get(app(workspace)) is not None and fresh.get(other) is not None
    dev.put(other, failure("timeout", "m"))
    dev.save()  # forgets what it changed, keeps the rest
    assert json.loads(fresh.path.read_text())["projects"].keys() == {"app"}


def test_threads_sharing_one_cache_lose_no_entry(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path)
    cache = SnapshotCache(workspace)
    projects = [replace(app(workspace), name=f"p{i}") for i in range(16)]

    def store(project: Project) -> None:
        cache.put(project, loaded({**SNAPSHOT, "name": project.name}))
        cache.save()

    threads = [threading.Thread(target=store, args=(p,)) for p in projects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = SnapshotCache(workspace)
    assert all(fresh.get(p) is not None for p in projects)


def test_nothing_is_written_when_nothing_was_loaded(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path)
    SnapshotCache(workspace).save()
    assert not (tmp_path / ".ws").exists()


def _valid_entries(workspace: Workspace) -> str:
    entry = {"key": source_key(app(workspace)), "outcome": {"snapshot": SNAPSHOT, "error": None}}
    return json.dumps({"app": entry})


# --- end to end: a real workspace, the interpreters counted -------------------------------------


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Path:
    """good and other load, broken has a syntax error, crashy segfaults; all synced once."""
    root = tmp_path_factory.mktemp("ws")
    write_defs_project(root / "good", "good", FINANCE)
    write_defs_project(root / "other", "other", FINANCE)
    copy_sample("defs_syntax", root / "broken")
    copy_sample("defs_segfault", root / "crashy")
    write_workspace(
        root, [{"path": p, "python": MINE} for p in ["good", "other", "broken", "crashy"]]
    )
    sync(root, ["good", "other", "defs-syntax", "defs-segfault"], uv_offline)
    return root


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, synced: Path) -> Iterator[list[str]]:
    """The projects each run started an interpreter for, flattened; the cache starts empty."""
    names: list[str] = []
    real = ws_loading.load_locations

    def counting(targets: Any, **kwargs: Any) -> Any:
        names.extend(t.name for t in targets)
        return real(targets, **kwargs)

    monkeypatch.setattr(ws_loading, "load_locations", counting)
    (synced / ".ws" / "snapshots.json").unlink(missing_ok=True)
    yield names


CACHEABLE = ["good", "other", "defs-syntax"]


def listing(ws, root: Path, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result: WsResult = ws("list", "defs", "--json", *args, cwd=root)
    document: dict[str, Any] = json.loads(result.out)
    return document


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_a_warm_run_starts_no_interpreter(synced: Path, starts: list[str], ws) -> None:  # type: ignore[no-untyped-def]
    cold = listing(ws, synced, *CACHEABLE)
    assert sorted(starts) == sorted(CACHEABLE)
    starts.clear()
    warm = listing(ws, synced, *CACHEABLE)
    assert starts == []
    assert warm == cold
    assert warm["locations"][2]["error"]["kind"] == "import_error"  # remembered too


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_the_cache_is_served_even_when_the_interpreter_could_not_run(
    synced: Path,
    starts: list[str],
    ws,  # type: ignore[no-untyped-def]
) -> None:
    listing(ws, synced, "good")
    python = synced / "good" / ".venv" / "bin" / "python"
    real = python.with_name("python.real")
    python.rename(real)
    python.write_text("#!/bin/sh\nexit 97\n")
    python.chmod(0o755)
    try:
        served = listing(ws, synced, "good")
        afresh = listing(ws, synced, "good", "--no-cache")
    finally:
        python.unlink()
        real.rename(python)
    assert served["locations"][0]["status"] == "loaded"
    assert afresh["locations"][0]["error"]["kind"] == "crashed"
    assert "exited with code 97" in afresh["locations"][0]["error"]["message"]


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
@pytest.mark.parametrize(
    "touched", ["src/good/definitions.py", "pyproject.toml", "src/good/new.py"]
)
def test_a_changed_source_reloads_that_project_only(
    synced: Path,
    starts: list[str],
    ws,  # type: ignore[no-untyped-def]
    touched: str,
) -> None:
    listing(ws, synced, *CACHEABLE)
    starts.clear()
    path = synced / "good" / touched
    created = not path.exists()
    path.touch()
    bump(path)
    try:
        listing(ws, synced, *CACHEABLE)
    finally:
        if created:
            path.unlink()
    assert starts == ["good"]


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_a_rebuilt_env_reloads_its_project(synced: Path, starts: list[str], ws) -> None:  # type: ignore[no-untyped-def]
    listing(ws, synced, *CACHEABLE)
    starts.clear()
    marker = synced / "other" / ".venv" / ENV_MARKER
    saved = marker.read_bytes()
    marker.write_bytes(saved + b" ")  # what `ws sync` leaves when the fingerprint changes
    try:
        listing(ws, synced, *CACHEABLE)
    finally:
        marker.write_bytes(saved)
    assert starts == ["other"]


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_no_cache_reloads_everything_and_refreshes_the_file(
    synced: Path,
    starts: list[str],
    ws,  # type: ignore[no-untyped-def]
) -> None:
    listing(ws, synced, *CACHEABLE)
    starts.clear()
    listing(ws, synced, *CACHEABLE, "--no-cache")
    assert sorted(starts) == sorted(CACHEABLE)
    starts.clear()
    listing(ws, synced, *CACHEABLE)
    assert starts == []  # what --no-cache loaded is the new cache


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_crashes_and_timeouts_are_loaded_again_every_time(
    synced: Path,
    starts: list[str],
    ws,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(2):
        document = listing(ws, synced, "defs-segfault")
        assert document["locations"][0]["error"]["kind"] == "crashed"
    assert starts == ["defs-segfault", "defs-segfault"]
    listing(ws, synced, "good")
    starts.clear()
    timed_out = listing(ws, synced, "good", "--no-cache", "--timeout", "0.001")
    assert timed_out["locations"][0]["error"]["kind"] == "timeout"
    assert listing(ws, synced, "good")["locations"][0]["status"] == "loaded"
    assert starts == ["good", "good"]  # the timeout replaced the cached snapshot, not kept it
    entries = json.loads((synced / ".ws" / "snapshots.json").read_text())["projects"]
    assert "defs-segfault" not in entries


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
@pytest.mark.parametrize("text", ["{garbage", '{"version": 0, "projects": {}}'])
def test_a_broken_cache_file_means_a_cold_run(
    synced: Path,
    starts: list[str],
    ws,  # type: ignore[no-untyped-def]
    text: str,
) -> None:
    cache = synced / ".ws" / "snapshots.json"
    cache.write_text(text)
    document = listing(ws, synced, "good", "other")
    assert [loc["status"] for loc in document["locations"]] == ["loaded", "loaded"]
    assert sorted(starts) == ["good", "other"]
    assert json.loads(cache.read_text())["version"] == CACHE_VERSION


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_an_unwritable_cache_still_lists(synced: Path, starts: list[str], ws) -> None:  # type: ignore[no-untyped-def]
    folder = synced / ".ws"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("a file where the cache folder should be")
    try:
        result: WsResult = ws("list", "defs", "good", cwd=synced)
    finally:
        folder.unlink()
    assert result.code == 0 and "Traceback" not in result.err
    assert "good  good.definitions:defs" in result.out
