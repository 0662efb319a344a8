"""Section "ui" (issue "From a laptop to a deployment", Speed): `ws ui` until the UI answers with
every location loaded, against `dg dev` on the same dg.toml workspace and against `dagster dev
-w` with a hand-written workspace.yaml. Needs the package registry (dagster, dagster-webserver,
dagster-dg-cli).

The workspace is the dagster section's: a `dg.toml` of two projects (the tests' samples
`dagster_classic` and `dagster_defs_folder`), each with its own `.venv` (dagster, dg and
dagster-webserver on the tested release line, bytecode compiled; built untimed) for dg and
dagster; ws has a copy of the projects whose envs `ws sync` builds, untimed, on the same
interpreter (a `.python-version` in each copy: for `>=3.9` ws takes the newest installed). ws's tool env
(`.ws/ui-env`) is built by an untimed first `ws ui`. Each timed run starts the command on a free
port, polls the webserver's GraphQL `workspaceOrError` every 0.1 s until both locations are
`LOADED`, and stops the whole process group (SIGINT, then SIGKILL after 20 s) untimed. The three
contenders run in turn, round after round. Goal (the issue's): not slower than `dg dev`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import bench
from bench import WS, Report, Row, rounds
from bench_dagster import PROJECTS, _write_workspace

_LOAD_TIMEOUT = 300.0
_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def bench_ui(report: Report, runs: int, scratch: Path) -> None:
    root = scratch / "dagster-workspace"
    venvs = _write_workspace(root)
    for venv in venvs:  # dg dev and dagster dev need the webserver where they run
        _install(venv, "dagster-webserver")
    # ws's own copy, its envs built by `ws sync` (which would make the others' envs exact to
    # their projects, dropping the webserver and dg that dg dev and dagster dev run from)
    ws_root = scratch / "ws-workspace"
    shutil.copytree(root, ws_root, ignore=shutil.ignore_patterns(".venv"))
    for name in PROJECTS:  # the others' interpreter: ws would take the newest for >=3.9
        version = f"{sys.version_info.major}.{sys.version_info.minor}\n"
        (ws_root / "projects" / name / ".python-version").write_text(version)
    env = bench.ws_env(ws_root, WS_CACHE_DIR=str(scratch / "ws-cache"))
    env.pop("DAGSTER_HOME", None)  # ws ui's own: .ws/dagster-home, kept between runs
    bench.run([WS, "sync"], env=env)
    first = venvs[0] / "bin"
    workspace_yaml = _hand_written(root, venvs)
    home = scratch / "dagster-home"  # kept between runs too, as ws ui's is
    home.mkdir()
    dagster_env = {**env, "DAGSTER_HOME": str(home)}

    def ws_ui(port: int) -> list[str]:
        return [WS, "ui", "--port", str(port)]

    def dg_dev(port: int) -> list[str]:
        return [str(first / "dg"), "dev", "--port", str(port)]

    def dagster_dev(port: int) -> list[str]:
        return [str(first / "dagster"), "dev", "-w", str(workspace_yaml), "--port", str(port)]

    _until_loaded(ws_ui, ws_root, env)  # untimed: builds the tool env once
    ws_times, dg_times, dagster_times = rounds(
        [
            lambda: _until_loaded(ws_ui, ws_root, env),
            lambda: _until_loaded(dg_dev, root, dagster_env),
            lambda: _until_loaded(dagster_dev, root, dagster_env),
        ],
        runs,
    )
    what = f"ws ui until {len(PROJECTS)} locations loaded"
    report.add(Row(what, ws_times, dg_times, "dg dev", "<= 1x", max_ratio=1.0))
    report.add(Row(what, ws_times, dagster_times, "dagster dev -w workspace.yaml", ""))
    report.note(
        "ui: the dagster section's dg.toml workspace (2 projects, each .venv with dagster,"
        " dagster-webserver and dg); each command timed from its start until the webserver's"
        " GraphQL says every location LOADED (polled every 0.1 s), then stopped untimed. ws ui's"
        " tool env was built by an untimed first run; every code server and webserver runs on"
        f" Python {sys.version_info.major}.{sys.version_info.minor}."
    )


def _install(venv: Path, *requirements: str) -> None:
    from uv import find_uv_bin

    python = str(venv / "bin" / "python")
    constraints = bench.REPO / "tests" / "samples" / "dagster-constraints.txt"
    install = ["pip", "install", "--quiet", "--compile-bytecode", "--python", python]
    subprocess.run(
        [find_uv_bin(), *install, "-c", str(constraints), *requirements],
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        check=True,
    )


def _hand_written(root: Path, venvs: Sequence[Path]) -> Path:
    """What a team writes for `dagster dev -w`: a python_module entry per project, in its env."""
    modules = {
        "dagster_classic": "python_module:\n      module_name: dagster_classic.definitions",
        "dagster_defs_folder": "python_module:\n      module_name: dagster_defs_folder.definitions",
    }
    text = "load_from:\n"
    for name, venv in zip(PROJECTS, venvs, strict=True):
        text += f"  - {modules[name]}\n"
        text += f"      working_directory: {root / 'projects' / name}\n"
        text += f"      executable_path: {venv / 'bin' / 'python'}\n"
        text += f"      location_name: {name.replace('_', '-')}\n"
    path = root / "hand-written-workspace.yaml"
    path.write_text(text)
    return path


def _until_loaded(command: object, cwd: Path, env: dict[str, str]) -> float:
    """Seconds from start until every location is LOADED; the process group stopped after."""
    port = _free_port()
    argv = command(port)  # type: ignore[operator]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = start + _LOAD_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"bench: {' '.join(argv)} ended with {proc.returncode}")
            if _all_loaded(port):
                return time.perf_counter() - start
            if time.perf_counter() > deadline:
                raise SystemExit(f"bench: {' '.join(argv)} did not load in {_LOAD_TIMEOUT:g} s")
            time.sleep(0.1)
    finally:
        _stop(proc)


def _all_loaded(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": _QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            data = json.loads(response.read())["data"]["workspaceOrError"]
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
        return False
    entries = data.get("locationEntries") or []
    return len(entries) == len(PROJECTS) and all(e["loadStatus"] == "LOADED" for e in entries)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
