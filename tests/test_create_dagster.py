"""A workspace exactly as Dagster's `create-dagster` makes it (dg.toml, projects with a uv.lock and
a `.venv` that `uv sync` built): `ws sync && ws list defs` work on it with no conversion, and ws
and uv then share each `.venv`. Needs the registry: create-dagster, dagster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES

pytestmark = [pytest.mark.network, pytest.mark.slow]

DAGSTER_CONSTRAINTS = SAMPLES / "dagster-constraints.txt"  # the release line tested


def _uv(*args: str, cwd: Path | None = None) -> str:
    from uv import find_uv_bin

    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    done = subprocess.run(
        [find_uv_bin(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr  # uv reports on stderr, pins on stdout


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`create-dagster workspace acme` and two `create-dagster project`s, as a team starts.

    create-dagster pins its own version of dagster in the projects it makes, so it is taken at
    the version of the newest dg the registry has on the tested line (they move together).
    """
    tools = tmp_path_factory.mktemp("create-dagster")
    _uv("venv", "--quiet", "--python", sys.executable, str(tools / "env"))
    requirement = tools / "requirements.in"
    requirement.write_text("dagster-dg-cli\n")
    pins = _uv(
        "pip",
        "compile",
        "--quiet",
        "--no-header",
        "--no-annotate",
        str(requirement),
        "-c",
        str(DAGSTER_CONSTRAINTS),
        "--python",
        str(tools / "env" / "bin" / "python"),
    )
    version = next(
        line.split("==")[1].strip()
        for line in pins.splitlines()
        if line.startswith("dagster-dg-cli==")
    )
    _uv(
        "pip",
        "install",
        "--quiet",
        "--python",
        str(tools / "env" / "bin" / "python"),
        f"create-dagster=={version}",
    )
    create = tools / "env" / "bin" / "create-dagster"
    root = tmp_path_factory.mktemp("teams") / "acme"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for args, cwd in [
        (["workspace", "acme"], root.parent),
        (["project", "projects/marketing"], root),
        (["project", "projects/finance"], root),
    ]:
        done = subprocess.run(
            [str(create), *args],
            cwd=cwd,
            env=env,
            input="y\n" * 5,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return root


def _ws(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ws", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_ws_sync_and_list_defs_work_on_a_create_dagster_workspace_as_it_is(acme: Path) -> None:
    for name in ("marketing", "finance"):
        assert (acme / "projects" / name / "uv.lock").is_file()  # what create-dagster left
        assert (acme / "projects" / name / ".venv" / "pyvenv.cfg").is_file()
    assert not (acme / "ws.toml").exists()

    synced = _ws("sync", "--json", cwd=acme)
    listed = _ws("list", "defs", "--json", cwd=acme)
    checked = _ws("check", cwd=acme)

    assert synced.returncode == 0, synced.stderr
    statuses = {row["name"]: row["status"] for row in json.loads(synced.stdout)["projects"]}
    assert statuses == {"marketing": "updated", "finance": "updated"}  # adopted, not recreated
    assert listed.returncode == 0, listed.stderr
    locations = json.loads(listed.stdout)["locations"]
    assert [(loc["name"], loc["status"]) for loc in locations] == [
        ("marketing", "loaded"),
        ("finance", "loaded"),
    ]
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not (acme / "ws.toml").exists()


def test_ws_and_uv_share_the_env_and_neither_undoes_the_other(acme: Path) -> None:
    project = acme / "projects" / "marketing"
    assert _ws("sync", cwd=acme).returncode == 0

    uv_said = _uv("sync", "--frozen", cwd=project)  # what a dg user runs in the folder
    again = _ws("sync", "--json", cwd=acme)
    projects = json.loads(_ws("list", "projects", "--json", cwd=acme).stdout)["projects"]

    assert "Uninstalled" not in uv_said and "Installed" not in uv_said, uv_said
    assert {row["status"] for row in json.loads(again.stdout)["projects"]} == {"unchanged"}
    assert {row["env"] for row in projects} == {"ready"}
