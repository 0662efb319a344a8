"""`ws ui`: Dagster's webserver over a workspace of two Dagster projects (one that loads, one
that Dagster rejects at import) and a ws-defs project (served by the bridge location, its asset
depending on a Dagster project's), each in the env `ws sync` built; checked through the
webserver's GraphQL API against `ws list defs`, then stopped with SIGINT, leaving no process.
Needs dagster and dagster-webserver from the registry."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; the tests read YAML back
from backend.samples import write_defs_project
from conftest import SAMPLES

from ws.deploy.tool_env import TESTED_DAGSTER

CONSTRAINTS = SAMPLES / "dagster-constraints.txt"
PROJECTS = ("dagster_classic", "dagster_import_error")
WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename
      ... on RepositoryLocation { repositories { assetNodes {
          assetKey { path } groupName owners { ... on TeamAssetOwner { team } }
          dependencyKeys { path } } } }
      ... on PythonError { message } } } } } }
"""
BOARD_PACK = """\
from ws_defs import Definitions, asset


@asset(deps=["revenue"], group="board-reports", owners=["finance"])
def board_pack():
    \"\"\"The monthly pack, built on the shop's revenue.\"\"\"


defs = Definitions(assets=[board_pack])
"""


def test_the_tool_env_follows_the_tested_release_line() -> None:
    lines = CONSTRAINTS.read_text().splitlines()
    assert f"dagster{TESTED_DAGSTER}" in lines


def _ws(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ws", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of the two samples in a ws.toml workspace, their envs built by `ws sync` on the
    tested dagster release line."""
    root = tmp_path_factory.mktemp("ui")
    text = '[workspace]\nname = "ui"\n'
    for sample in PROJECTS:
        shutil.copytree(SAMPLES / sample, root / sample)
        text += f'\n[[workspace.projects]]\npath = "{sample}"\n'
    write_defs_project(root / "board", "board", BOARD_PACK)
    text += '\n[[workspace.projects]]\npath = "board"\n'
    (root / "ws.toml").write_text(text)
    env = {**os.environ, "UV_CONSTRAINT": str(CONSTRAINTS)}
    done = _ws("sync", cwd=root, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _graphql(port: int, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]  # type: ignore[no-any-return]


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    """After a failed test: ws and everything below it, Dagster's own session included (a
    failing test must not leave webservers running for the rest of the suite)."""
    if proc.poll() is None:
        for pid in [proc.pid, *_descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    proc.wait()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_ui(workspace: Path, port: int) -> subprocess.Popen[str]:
    """`ws ui` in a session of its own, its stdout piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "ws", "ui", "--port", str(port)],
        cwd=workspace,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _lines_until_ready(proc: subprocess.Popen[str]) -> list[str]:
    """What `ws ui` printed, up to and including its `Dagster UI: URL` line (or its end)."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Dagster UI: "):
            break
    return lines


@pytest.fixture(scope="module")
def ui(workspace: Path) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """`ws ui` running until its locations have loaded; stopped with SIGINT by the test."""
    port = _free_port()
    proc = _start_ui(workspace, port)
    lines: list[str] = []
    try:
        lines += _lines_until_ready(proc)
        assert lines and lines[-1] == f"Dagster UI: http://127.0.0.1:{port}\n", lines
        yield proc, port, lines
    finally:
        _kill_tree(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _loaded_entries(port: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while True:
        entries = _graphql(port, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
        if all(entry["loadStatus"] == "LOADED" for entry in entries) or time.monotonic() > deadline:
            return entries  # type: ignore[no-any-return]
        time.sleep(0.5)


@pytest.mark.network
@pytest.mark.slow
def test_ui_serves_each_location_from_its_env_and_stops_every_process(
    workspace: Path, ui: tuple[subprocess.Popen[str], int, list[str]]
) -> None:
    proc, port, _ = ui
    document = yaml.safe_load((workspace / ".ws" / "workspace.yaml").read_text())
    entries = {
        entry["location_name"]: entry
        for item in document["load_from"]
        for entry in item.values()  # python_module, or python_file for the bridge
    }
    assert entries["dagster-classic"]["module_name"] == "dagster_classic.definitions"
    assert entries["ws-defs"]["relative_path"].endswith("/.ws/bridge/ws_defs_bridge.py")
    assert entries["dagster-classic"]["executable_path"] == str(
        workspace / "dagster_classic" / ".venv" / "bin" / "python"
    )

    located = {entry["name"]: entry for entry in _loaded_entries(port)}
    assert sorted(located) == ["dagster-classic", "dagster-import-error", "ws-defs"]
    assert all(entry["loadStatus"] == "LOADED" for entry in located.values())
    good = located["dagster-classic"]["locationOrLoadError"]
    assert good["__typename"] == "RepositoryLocation"
    keys = {
        "/".join(node["assetKey"]["path"])
        for repository in good["repositories"]
        for node in repository["assetNodes"]
    }
    listed = json.loads(_ws("list", "defs", "--json", cwd=workspace).stdout)
    by_name = {location["name"]: location for location in listed["locations"]}
    assert keys == {asset["key"] for asset in by_name["dagster-classic"]["assets"]}
    broken = located["dagster-import-error"]["locationOrLoadError"]
    assert broken["__typename"] == "PythonError"
    assert by_name["dagster-import-error"]["status"] == "error"
    # the bridge: the ws-defs project's assets as listed, the edge into dagster-classic drawn
    bridge = located["ws-defs"]["locationOrLoadError"]
    assert bridge["__typename"] == "RepositoryLocation", bridge
    nodes = {
        "/".join(n["assetKey"]["path"]): n for r in bridge["repositories"] for n in r["assetNodes"]
    }
    node = nodes[by_name["board"]["assets"][0]["key"]]  # (its dep shows there too, as a stub)
    assert [d["path"] for d in node["dependencyKeys"]] == [["revenue"]]
    assert node["groupName"] == "board_reports" and node["owners"] == [{"team": "finance"}]

    below = _descendants(proc.pid)
    assert len(below) >= 4  # dagster dev, webserver, daemon, code servers
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(60) == 0
    assert [pid for pid in below if _alive(pid)] == []


@pytest.mark.network
@pytest.mark.slow
def test_a_second_ui_builds_nothing(
    workspace: Path, ui: tuple[subprocess.Popen[str], int, list[str]]
) -> None:
    _, _, lines = ui
    assert any(line.startswith("building ") for line in lines)  # the first run built it
    marker = json.loads((workspace / ".ws" / "ui-env" / "ws-ui-env.json").read_text())
    assert marker["version"] == 1
    assert marker["requirement"].startswith(">=1.13,<=1.13.")  # the projects' line, no newer
    from ws.deploy.tool_env import ensure_tool_env, tool_env
    from ws.deploy.ui import plan_ui
    from ws.workspace.ws_toml import open_workspace

    opened = open_workspace(workspace, cwd=workspace)
    plan = plan_ui(opened, opened.projects)
    assert ensure_tool_env(tool_env(opened, plan.locations)) is False


def test_ws_defs_projects_are_served_by_the_bridge_location(
    tmp_path: Path, uv_offline: dict[str, str]
) -> None:
    """Offline: the plan takes a built ws-defs project into the bridge (an unbuilt one is left
    out naming `ws sync`), and the workspace.yaml runs the bridge module in the tool env."""
    from backend.samples import sync

    from ws.deploy.bridge import write_bridge
    from ws.deploy.ui import plan_ui, workspace_document
    from ws.loading.locations import load_project_locations
    from ws.workspace.ws_toml import open_workspace

    write_defs_project(tmp_path / "board", "board", BOARD_PACK)
    write_defs_project(tmp_path / "later", "later", BOARD_PACK.replace("board_pack", "later"))
    (tmp_path / "ws.toml").write_text(
        '[workspace]\nname = "b"\n\n[[workspace.projects]]\npath = "board"\n'
        '\n[[workspace.projects]]\npath = "later"\n'
    )
    sync(tmp_path, ["board"], uv_offline)
    opened = open_workspace(tmp_path, cwd=tmp_path)
    plan = plan_ui(opened, opened.projects)
    assert [p.name for p in plan.bridged] == ["board"] and plan.locations == ()
    [left] = plan.left
    assert left.name == "later" and "ws sync later" in left.reason

    results = load_project_locations(opened, list(plan.bridged), jobs=1, timeout=60)
    bridge = write_bridge(plan.bridge_folder, results)
    assert bridge.projects == ("board",)
    served = json.loads((plan.bridge_folder / "snapshots.json").read_text())
    [asset] = served["projects"][0]["assets"]
    assert asset["key"] == "board_pack" and asset["deps"] == ["revenue"]
    assert (plan.bridge_folder / "ws_defs_bridge.py").read_text().startswith('"""The bridge')
    python = tmp_path / ".ws" / "ui-env" / "bin" / "python"
    [entry] = workspace_document(plan.locations, bridge, python)["load_from"]
    assert entry == {
        "python_file": {
            "relative_path": str(plan.bridge_folder / "ws_defs_bridge.py"),
            "working_directory": str(plan.bridge_folder),
            "executable_path": str(python),
            "location_name": "ws-defs",
        }
    }


ASSETS_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on RepositoryLocation {
        repositories { assetNodes { assetKey { path } } } } } } } } }
"""


def _keys_by_location(port: int) -> dict[str, set[str]]:
    entries = _graphql(port, ASSETS_QUERY)["workspaceOrError"]["locationEntries"]
    found: dict[str, set[str]] = {}
    for entry in entries:
        location = entry["locationOrLoadError"] or {}
        found[entry["name"]] = {
            "/".join(node["assetKey"]["path"])
            for repository in location.get("repositories", [])
            for node in repository["assetNodes"]
        }
    return found


def _until(check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, KeyError, TypeError):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.5)


@pytest.mark.network
@pytest.mark.slow
def test_dev_ui_reloads_the_location_a_save_changed(workspace: Path) -> None:
    """`ws dev --ui`: a new asset saved in a Dagster project and in a ws-defs project shows in
    the webserver without a restart; Ctrl-C stops ws dev's servers and Dagster's."""
    port = _free_port()
    assets = workspace / "dagster_classic" / "src" / "dagster_classic" / "assets.py"
    defs = workspace / "dagster_classic" / "src" / "dagster_classic" / "definitions.py"
    board = workspace / "board" / "src" / "board" / "definitions.py"
    originals = {path: path.read_text() for path in (assets, defs, board)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ws", "dev", "--ui", "--json", "--port", str(port)],
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []  # stdout: every line must be one JSON event
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()

    class Events:
        def __iter__(self) -> Iterator[dict[str, Any]]:
            return iter([json.loads(line) for line in list(lines)])

    events = Events()
    try:
        _until(lambda: any(e["event"] == "ui" for e in events), 300)
        [ready] = [e for e in events if e["event"] == "ui"]
        assert ready["url"] == f"http://127.0.0.1:{port}"
        before = _until(lambda: (k := _keys_by_location(port)) and "ws-defs" in k and k)
        assert "fresh" not in before["dagster-classic"]

        loads = sum(1 for e in events if e["event"] == "loaded")
        assets.write_text(originals[assets] + "\n\n@dg.asset\ndef fresh() -> None: ...\n")
        text = originals[defs].replace("revenue_report\n", "revenue_report, fresh\n", 1)
        defs.write_text(text.replace("revenue_report]", "revenue_report, fresh]"))
        _until(lambda: sum(1 for e in events if e["event"] == "loaded") > loads)
        _until(lambda: "fresh" in _keys_by_location(port)["dagster-classic"])

        appendix = "@asset\ndef appendix():\n    pass\n\n\ndefs = Definitions(assets=[board_pack, appendix])"
        board.write_text(
            originals[board].replace("defs = Definitions(assets=[board_pack])", appendix)
        )
        _until(lambda: "appendix" in _keys_by_location(port)["ws-defs"])
        assert not [e for e in events if e["event"] == "ui_error"], events

        below = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(90) == 0, proc.stderr.read() if proc.stderr else ""
        assert [pid for pid in below if _alive(pid)] == []
    finally:
        for path, text in originals.items():
            path.write_text(text)
        _kill_tree(proc)
        reader.join(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.network
@pytest.mark.slow
def test_ui_killed_outright_leaves_no_dagster_process(workspace: Path) -> None:
    """SIGKILL gives ws no chance to stop Dagster's session; the kernel's parent-death signal
    does: dagster dev gets SIGINT and shuts down the webserver, the daemon and the code servers."""
    if sys.platform != "linux":
        pytest.skip("the parent-death signal is Linux's")
    proc = _start_ui(workspace, _free_port())
    try:
        _lines_until_ready(proc)
        below = _descendants(proc.pid)
        assert below, "dagster dev did not start"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _until(lambda: not [pid for pid in below if _alive(pid)], 60)
    finally:
        _kill_tree(proc)
        if proc.stdout is not None:
            proc.stdout.close()
