"""`ws list defs` and `ws check` end to end: one real synced workspace, every misbehaviour in it."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from backend.samples import (
    FINANCE,
    copy_sample,
    sync,
    write_defs_project,
    write_workspace,
    ws_child,
)
from conftest import MINE, WsResult, other_python

from ws.loading import shim as ws_loading
from ws.loading.model import Asset, LocationResult, Snapshot

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]

TRACEBACK = "Traceback (most recent call last)"


# Sample folder -> (error kind, words the message must hold: the file and line where it can).
FAILING = {
    "defs_syntax": ("import_error", "(src/defs_syntax/definitions.py, line 3)"),
    "defs_raises": ("import_error", "WAREHOUSE_URL is not set (src/defs_raises/settings.py:5)"),
    "defs_exit": ("import_error", "sys.exit(3) at import (src/defs_exit/definitions.py:3)"),
    "defs_segfault": ("crashed", "src/defs_segfault/definitions.py:5"),
    "defs_none": ("no_definitions", "No Definitions object found in module defs_none.definitions"),
    "defs_two": ("multiple_definitions", "Cannot have more than one Definitions object"),
    "defs_dup_keys": ("invalid_definitions", "src/defs_dup_keys/definitions.py:9"),
    "defs_bad_schedule": ("invalid_definitions", "src/defs_bad_schedule/definitions.py:11"),
    "defs_loop": ("timeout", "defs_loop.definitions did not load within 2 s"),
}
LOADING = ["defs-ok", "finance", "strays", "defs-noisy"]
SNAPSHOT_KEYS = {
    *("version", "name", "module", "attribute", "python", "load_ms", "assets"),
    *("asset_checks", "jobs", "schedules", "sensors", "resources", "status"),
}

STRAYS = '''\
"""Loads fine, but clashes with defs-noisy on `loud` and needs a key nobody defines."""
from ws_defs import Definitions, asset


@asset
def loud():
    return []


@asset(deps=["nowhere/ledger"])
def reconciled():
    return None


defs = Definitions(assets=[loud, reconciled])
'''


@pytest.fixture(autouse=True)
def _piped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output as piped: no COLUMNS, so nothing folds; a test of a width sets COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture(autouse=True)
def _no_stale_log_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier in-process `ws -v` leaves its handler on a closed capture stream (main.py)."""
    monkeypatch.setattr(logging.getLogger("ws"), "handlers", [])


@dataclass(frozen=True)
class Synced:
    root: Path
    other: str  # the minor version finance runs on
    first: subprocess.CompletedProcess[str]  # `ws list defs --json` over everything, cold

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.first.stdout)  # type: ignore[no-any-return]

    def location(self, name: str) -> dict[str, Any]:
        return next(loc for loc in self.document["locations"] if loc["name"] == name)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Synced:
    """Every case in one workspace, synced once; `unsynced` is never synced, `gone` never was."""
    root = tmp_path_factory.mktemp("ws")
    projects = root / "projects"
    try:
        other = other_python()[0]
    except pytest.skip.Exception:
        other = MINE  # the cross-interpreter assertion skips itself, saying why
    copy_sample("defs_ok", projects / "defs_ok", owner="team-core")
    write_defs_project(projects / "finance", "finance", FINANCE, owner="team-core")
    write_defs_project(projects / "strays", "strays", STRAYS)
    for sample in ["defs_noisy", *FAILING]:
        copy_sample(sample, projects / sample)
    write_defs_project(projects / "unsynced", "unsynced", FINANCE)
    folders = ["defs_ok", "finance", "strays", "defs_noisy", *FAILING, "unsynced", "gone"]
    entries = [
        {"path": f"projects/{f}", "python": other if f == "finance" else MINE} for f in folders
    ]
    write_workspace(root, entries)
    with (root / "ws.toml").open("r+") as handle:  # the loop sample times out after 2 s, not 60
        text = handle.read().replace('name = "sample"\n', 'name = "sample"\ntimeout = 2\n', 1)
        handle.seek(0)
        handle.write(text)
    sync(root, [f.replace("_", "-") for f in folders[:-2]], uv_offline)
    return Synced(root, other, ws_child("list", "defs", "--json", cwd=root))


def flat(text: str) -> str:
    """Rich output with its line wrapping and table rules undone."""
    return " ".join(text.translate({ord(c): " " for c in "│┃━╇─"}).split())


def assert_no_traceback(*streams: str) -> None:
    for stream in streams:
        assert TRACEBACK not in stream


# --- the JSON document ------------------------------------------------------------------------


def test_json_is_the_documented_document_and_nothing_else(synced: Synced) -> None:
    assert synced.first.returncode == 1  # some failed
    assert_no_traceback(synced.first.stderr)
    document = synced.document  # stdout parses as one JSON document: nothing else went there
    assert set(document) == {"version", "locations", "problems"}
    assert document["version"] == 1
    names = [loc["name"] for loc in document["locations"]]
    expected = [*LOADING, *(s.replace("_", "-") for s in FAILING), "unsynced", "gone"]
    assert names == expected  # ws.toml order, whatever finished first


@pytest.mark.parametrize("name", LOADING)
def test_a_loaded_location_is_its_snapshot_plus_status(synced: Synced, name: str) -> None:
    location = synced.location(name)
    assert set(location) == SNAPSHOT_KEYS
    assert location["status"] == "loaded" and location["version"] == 1
    assert location["module"] == f"{name.replace('-', '_')}.definitions"
    assert location["attribute"] == "defs"
    assert isinstance(location["load_ms"], int) and 0 <= location["load_ms"] < 10_000
    assert location["python"].count(".") == 2


def test_each_project_loads_on_its_own_python(synced: Synced) -> None:
    assert synced.location("defs-ok")["python"].startswith(MINE + ".")
    if synced.other == MINE:
        pytest.skip(f"needs a second CPython besides {MINE} under ~/.pyenv/versions; none found")
    assert synced.location("finance")["python"].startswith(synced.other + ".")


def test_a_snapshot_holds_every_kind_of_definition(synced: Synced) -> None:
    ok = synced.location("defs-ok")
    assets = {a["key"]: a for a in ok["assets"]}
    assert list(assets) == ["orders", "customers", "marts/revenue", "marts/customer_count"]
    assert assets["orders"]["group"] == "sales"
    assert assets["marts/revenue"]["deps"] == ["orders", "finance/fx_rates"]
    assert assets["orders"]["source"] == "src/defs_ok/definitions.py:7"
    assert ok["asset_checks"] == [{"name": "orders_not_empty", "asset": "orders"}]
    assert [j["name"] for j in ok["jobs"]] == ["daily"]
    assert ok["schedules"] == [{"name": "nightly", "cron": "0 3 * * *", "job": "daily"}]
    assert ok["sensors"] == [{"name": "on_drop", "job": "daily"}]
    assert ok["resources"] == [{"name": "warehouse", "type": "defs_ok.resources.Warehouse"}]
    assert [a["key"] for a in synced.location("defs-noisy")["assets"]] == ["loud"]


@pytest.mark.parametrize("sample", list(FAILING))
def test_a_failed_location_is_its_error_naming_the_file(synced: Synced, sample: str) -> None:
    kind, words = FAILING[sample]
    location = synced.location(sample.replace("_", "-"))
    assert set(location) == {"name", "status", "error"}
    assert location["status"] == "error"
    assert location["error"]["kind"] == kind
    assert words in location["error"]["message"]
    assert "_shim" not in location["error"].get("traceback", "")  # user frames only


def test_a_project_never_synced_says_how_to_sync_it(synced: Synced) -> None:
    error = synced.location("unsynced")["error"]
    assert error["kind"] == "env_missing"
    assert "`ws sync unsynced`" in error["message"]


def test_a_missing_project_folder_is_reported_and_hides_nothing(synced: Synced) -> None:
    error = synced.location("gone")["error"]
    assert error["kind"] == "env_missing"
    assert "projects/gone" in error["message"] and "ws remove gone" in error["message"]
    assert all(synced.location(name)["status"] == "loaded" for name in LOADING)


def test_problems_name_the_projects_and_files(synced: Synced) -> None:
    problems = synced.document["problems"]
    assert {p["kind"] for p in problems} == {"duplicate_asset", "missing_dependency"}
    for problem in problems:
        assert set(problem) == {"kind", "message", "projects", "key"}
    [duplicate] = [p for p in problems if p["kind"] == "duplicate_asset"]
    assert duplicate["key"] == "loud" and duplicate["projects"] == ["strays", "defs-noisy"]
    assert "src/defs_noisy/definitions.py:14" in duplicate["message"]
    assert "src/strays/definitions.py:5" in duplicate["message"]
    [dangling] = [p for p in problems if p["kind"] == "missing_dependency"]
    assert dangling["key"] == "nowhere/ledger" and dangling["projects"] == ["strays"]
    assert "src/strays/definitions.py:10" in dangling["message"]
    assert "defs-syntax" in dangling["message"]  # the key may live in a project that did not load


# --- exit codes, the verdict, the tables ---------------------------------------------------------


def test_check_fails_on_the_whole_workspace_with_a_one_line_verdict(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("check", cwd=synced.root)
    assert result.code == 1
    assert result.out.rstrip().splitlines()[-1] == "4 locations loaded, 11 failed, 2 problems"
    assert_no_traceback(result.out, result.err)
    out = flat(result.out)
    for sample, (kind, _) in FAILING.items():
        assert f"{sample.replace('_', '-')} {kind}:" in out
    assert "problem: asset key 'loud' is defined in 2 projects" in out


def test_check_passes_on_a_clean_subset(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    by_name: WsResult = ws("check", "defs-ok", "finance", cwd=synced.root)
    assert by_name.code == 0, by_name.out
    assert by_name.out.strip() == "2 locations loaded, 0 failed, 0 problems"
    by_owner: WsResult = ws("check", "--owner", "team-core", "--json", cwd=synced.root)
    assert by_owner.code == 0
    document = json.loads(by_owner.out)
    assert [loc["name"] for loc in document["locations"]] == ["defs-ok", "finance"]
    assert document["problems"] == []


def test_check_fails_on_problems_alone(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("check", "defs-ok", "finance", "strays", cwd=synced.root)
    assert result.code == 1
    assert result.out.rstrip().splitlines()[-1] == "3 locations loaded, 0 failed, 2 problems"
    listed: WsResult = ws("list", "defs", "defs-ok", "finance", "strays", cwd=synced.root)
    assert listed.code == 0  # listing fails only when a location failed


def test_list_defs_shows_every_location_and_failures_in_place(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("list", "defs", cwd=synced.root)
    assert result.code == 1
    assert_no_traceback(result.out, result.err)
    out = flat(result.out)
    for name in LOADING:
        assert f"{name} {name.replace('-', '_')}.definitions:defs Python" in out
    assert "asset orders group sales; deps -" in out
    assert "asset marts/revenue group default; deps orders, finance/fx_rates" in out
    assert "schedule nightly 0 3 * * * -> daily" in out
    assert "resource warehouse defs_ok.resources.Warehouse" in out
    for sample, (kind, _) in FAILING.items():
        assert f"{sample.replace('_', '-')} {kind}:" in out
    assert "unsynced env_missing:" in out and "gone env_missing:" in out
    # in place: each failure sits between the locations around it, in ws.toml order
    assert out.index("defs-noisy defs_noisy") < out.index("defs-syntax import_error")
    assert out.index("defs-loop timeout") < out.index("unsynced env_missing")


def test_user_output_never_reaches_ws_output(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    # Its own timeout: the workspace's 2 s is for defs-loop, and megabytes of output take longer
    # than that on a loaded machine (this test is about where output goes, not about speed).
    result: WsResult = ws(
        "list", "defs", "defs-noisy", "--json", "--no-cache", "--timeout", "60", cwd=synced.root
    )
    assert result.code == 0, result.out
    assert json.loads(result.out)["locations"][0]["status"] == "loaded"
    assert "noise" not in result.out and "noise" not in result.err


def test_headers_stay_on_one_line_and_crash_details_sit_under_their_location(
    synced: Synced,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    result: WsResult = ws("list", "defs", "finance", "defs-segfault", cwd=synced.root)
    lines = [line.rstrip() for line in result.out.splitlines()]
    [header] = [line for line in lines if line.startswith("finance  ")]
    assert header.startswith("finance  finance.definitions:defs  Python ") and "ms" in header
    assert any(line.startswith("defs-segfault  crashed: process was killed") for line in lines)
    assert "    about to read address 0" in lines  # the stderr tail, indented under it
    assert "    Fatal Python error: Segmentation fault" in lines


def _one_asset_location(key: str, deps: list[str]) -> LocationResult:
    asset = Asset(key, "g", tuple(deps))
    return LocationResult("p", Snapshot("p", "p.definitions", "defs", MINE, 3, (asset,)), None)


def test_rows_fit_the_terminal_names_whole_details_continuing_under_themselves() -> None:
    from ws.cli.defs_cmd import _report

    deps = [f"upstream/table_{i}" for i in range(6)]
    location = _one_asset_location("marts/a_rather_long_asset_key", deps)
    lines = _report([location], [], 60).splitlines()
    indent = len("  asset     marts/a_rather_long_asset_key  ")
    assert lines[1].startswith("  asset     marts/a_rather_long_asset_key  group g; deps")
    assert all(len(line) <= 60 for line in lines[1:])
    assert all(line.startswith(" " * indent + "upstream/") for line in lines[2:])
    assert " ".join(" ".join(lines[1:]).split()).endswith("deps " + ", ".join(deps))


def test_details_a_long_name_leaves_no_room_for_go_under_its_row() -> None:
    from ws.cli.defs_cmd import _report

    key = "marts/a_key_so_long_that_its_details_have_no_room_beside_it"
    lines = _report([_one_asset_location(key, ["orders"])], [], 80).splitlines()
    assert lines[1] == f"  asset     {key}"
    assert lines[2] == " " * 12 + "group g; deps orders"
    assert _report([_one_asset_location(key, ["orders"])], [], None).splitlines()[1] == (
        f"  asset     {key}  group g; deps orders"  # piped: one row a line
    )


@pytest.mark.parametrize("command", [("list", "defs"), ("check",)])
def test_at_80_columns_every_line_fits_and_no_name_or_version_is_split(
    synced: Synced, ws, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    result: WsResult = ws(*command, cwd=synced.root)
    lines = result.out.splitlines()
    assert all(len(line) <= 80 for line in lines), result.out
    words = {word.strip(",;") for word in result.out.split()}
    locations = synced.document["locations"]
    failed = [loc["name"] for loc in locations if loc["status"] != "loaded"]
    assert set(failed) <= words
    if command == ("list", "defs"):
        loaded = [loc for loc in locations if loc["status"] == "loaded"]
        assert {loc["name"] for loc in loaded} | {loc["python"] for loc in loaded} <= words
        assert {a["key"] for loc in loaded for a in loc["assets"]} <= words
    else:
        assert lines[-1] == "4 locations loaded, 11 failed, 2 problems"
        assert "problem: asset key 'loud' is defined in 2 projects" in " ".join(result.out.split())


def test_a_crash_report_shows_no_frame_of_ws(synced: Synced) -> None:
    message = synced.location("defs-segfault")["error"]["message"]
    assert "_shim" not in message and "<frozen importlib" not in message
    assert "frames of ws's loader and importlib hidden" in message
    assert "src/defs_segfault/definitions.py" in message  # the user's own frame stays


# --- selection --------------------------------------------------------------------------------


def test_inside_a_project_folder_only_that_project_is_loaded(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    inside = synced.root / "projects" / "finance" / "src" / "finance"
    result: WsResult = ws("check", "--json", cwd=inside)
    assert result.code == 0, result.out
    assert [loc["name"] for loc in json.loads(result.out)["locations"]] == ["finance"]


def test_a_subset_is_checked_against_what_is_known_of_the_rest(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    # defs-ok depends on finance's keys: finance, known from the cache, counts without loading.
    assert ws("list", "defs", "finance", "defs-ok", cwd=synced.root).code == 0
    inside: WsResult = ws("check", "--json", cwd=synced.root / "projects" / "defs_ok")
    assert inside.code == 0, inside.out
    document = json.loads(inside.out)
    assert [loc["name"] for loc in document["locations"]] == ["defs-ok"]
    assert document["problems"] == []
    # strays' clash with defs-noisy is found without loading defs-noisy
    strays: WsResult = ws("check", "strays", "--json", cwd=synced.root)
    assert strays.code == 1
    problems = {p["kind"]: p for p in json.loads(strays.out)["problems"]}
    assert set(problems) == {"duplicate_asset", "missing_dependency"}
    assert problems["duplicate_asset"]["projects"] == ["strays", "defs-noisy"]


def test_a_subset_check_loads_what_it_needs_and_a_listing_says_what_it_did_not(
    synced: Synced,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    cache = synced.root / ".ws" / "snapshots.json"
    saved = cache.read_bytes()
    try:
        cache.unlink()
        listed: WsResult = ws("list", "defs", "defs-ok", "--json", cwd=synced.root)
        cache.unlink()
        checked: WsResult = ws("check", "defs-ok", "--json", cwd=synced.root)
    finally:
        cache.write_bytes(saved)
    # A listing loads only what was asked: the keys defs-ok takes from finance cannot be seen.
    messages = [p["message"] for p in json.loads(listed.out)["problems"]]
    assert len(messages) == 2 and all("finance" in m and "did not load" in m for m in messages)
    # A verdict must not depend on the cache: finance is loaded too, and all is well.
    assert checked.code == 0, checked.out
    document = json.loads(checked.out)
    assert [loc["name"] for loc in document["locations"]] == ["defs-ok"]
    assert document["problems"] == []


def test_an_unknown_name_is_a_usage_error(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("list", "defs", "nosuch", cwd=synced.root)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error: no project named 'nosuch'")
    both: WsResult = ws("check", "finance", "--owner", "team-core", cwd=synced.root)
    assert both.code == 2 and "not both" in both.err


def test_a_project_folder_gone_after_sync_is_reported_while_others_load(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    folder = synced.root / "projects" / "strays"
    hidden = folder.with_name("strays-away")
    folder.rename(hidden)
    try:
        result: WsResult = ws("list", "defs", "--json", "--owner", "team-core", cwd=synced.root)
        assert result.code == 0
        everything: WsResult = ws(
            "list", "defs", "--json", "defs-ok", "finance", "strays", cwd=synced.root
        )
    finally:
        hidden.rename(folder)
    assert everything.code == 1
    locations = json.loads(everything.out)["locations"]
    assert [loc["status"] for loc in locations] == ["loaded", "loaded", "error"]
    assert "projects/strays is missing" in locations[2]["error"]["message"]


# --- timeout and jobs -------------------------------------------------------------------------


def test_the_timeout_comes_from_the_flag_over_ws_toml(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    # ws.toml says 2 s (the whole-workspace run above shows it); the flag wins.
    started = time.monotonic()
    result: WsResult = ws(
        "list", "defs", "defs-loop", "--timeout", "0.5", "--json", cwd=synced.root
    )
    elapsed = time.monotonic() - started
    assert result.code == 1
    error = json.loads(result.out)["locations"][0]["error"]
    assert error["kind"] == "timeout"
    assert "did not load within 0.5 s (src/defs_loop/definitions.py:4)" in error["message"] or (
        "did not load within 0.5 s, src/defs_loop/definitions.py:4" in error["message"]
    )
    assert elapsed < 5


@pytest.mark.parametrize(
    ("option", "words"),
    [("--timeout=0", "--timeout must be a positive"), ("--jobs=0", "--jobs must be 1 or more")],
)
def test_bad_numbers_are_usage_errors(synced: Synced, ws, option: str, words: str) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("check", "finance", option, cwd=synced.root)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"error: {words}")


def test_jobs_bounds_the_parallel_loads(
    synced: Synced, ws, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    jobs: list[int] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()
    real_many, real_one = ws_loading.load_locations, ws_loading.load_location

    def many(targets: Any, **kwargs: Any) -> Any:
        jobs.append(kwargs["jobs"])
        return real_many(targets, **kwargs)

    def one(target: Any, **kwargs: Any) -> Any:
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(0.2)  # long enough for a second worker to overlap, were there one
        try:
            return real_one(target, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(ws_loading, "load_locations", many)
    monkeypatch.setattr(ws_loading, "load_location", one)
    names = ["defs-ok", "finance", "strays"]
    one_at_a_time: WsResult = ws(
        "list", "defs", *names, "--jobs", "1", "--no-cache", cwd=synced.root
    )
    assert one_at_a_time.code == 0 and jobs == [1] and running[1] == 1
    running[1] = 0
    three: WsResult = ws("list", "defs", *names, "--jobs", "3", "--no-cache", cwd=synced.root)
    assert three.code == 0 and jobs == [1, 3] and running[1] > 1


def test_an_empty_workspace_says_how_to_add_a_project(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ws.toml").write_text('[workspace]\nname = "empty"\n')
    listed: WsResult = ws("list", "defs", cwd=tmp_path)
    assert listed.code == 0 and listed.out == ""
    assert "lists no projects yet" in listed.err and "ws add NAME" in listed.err
    checked: WsResult = ws("check", "--json", cwd=tmp_path)
    assert json.loads(checked.out) == {"version": 1, "locations": [], "problems": []}


def test_verbose_shows_the_users_frames_of_a_failed_import(synced: Synced, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("-v", "list", "defs", "defs-raises", "--no-cache", cwd=synced.root)

    assert result.code == 1
    assert TRACEBACK in result.out
    assert "src/defs_raises/settings.py" in result.out  # where the user's code raised
    assert "_shim" not in result.out  # ws's loader stays out of it
    quiet: WsResult = ws("list", "defs", "defs-raises", "--no-cache", cwd=synced.root)
    assert TRACEBACK not in quiet.out


def test_an_invalid_pyproject_is_its_own_problem_not_a_missing_env(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    write_defs_project(tmp_path / "broken", "broken", "defs = None\n")
    (tmp_path / "broken" / "pyproject.toml").write_text('[project]\nname = "broken"\nversion = \n')
    write_workspace(tmp_path, [{"path": "broken"}])

    result: WsResult = ws("list", "defs", "--json", cwd=tmp_path)

    [location] = json.loads(result.out)["locations"]
    assert location["error"]["kind"] == "invalid_project"
    assert "pyproject.toml is not valid TOML" in location["error"]["message"]
    assert "line 3" in location["error"]["message"]  # tomllib's own position
