"""`ws ui`: Dagster's webserver over a workspace of two Dagster projects (one that loads, one
that Dagster rejects at import), each in the env `ws sync` built; checked through the
webserver's GraphQL API against `ws list defs`, then stopped with SIGINT, leaving no process.
Needs dagster and dagster-webserver from the registry."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; the tests read YAML back
from conftest import SAMPLES

from ws.deploy.tool_env import TESTED_DAGSTER

CONSTRAINTS = SAMPLES / "dagster-constraints.txt"
PROJECTS = ("dagster_classic", "dagster_import_error")
WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename
      ... on RepositoryLocation { repositories { assetNodes { assetKey { path } } } }
      ... on PythonError { message } } } } } }
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


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def ui(workspace: Path) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """`ws ui` running until its locations have loaded; stopped with SIGINT by the test."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ws", "ui", "--port", str(port)],
        cwd=workspace,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Dagster UI: "):
                break
        assert lines and lines[-1] == f"Dagster UI: http://127.0.0.1:{port}\n", lines
        yield proc, port, lines
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
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
        e["python_module"]["location_name"]: e["python_module"] for e in document["load_from"]
    }
    assert entries["dagster-classic"]["module_name"] == "dagster_classic.definitions"
    assert entries["dagster-classic"]["executable_path"] == str(
        workspace / "dagster_classic" / ".venv" / "bin" / "python"
    )

    located = {entry["name"]: entry for entry in _loaded_entries(port)}
    assert sorted(located) == ["dagster-classic", "dagster-import-error"]
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
