"""ws as users get it: built into a wheel, installed into a fresh venv, run as a console script."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def installed_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding ws installed from its wheel; its dependencies come from the test env."""
    import virtualenv
    from uv import find_uv_bin

    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            dist,
            REPO,
        ],
        check=True,
    )
    (wheel,) = dist.glob("ws-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ws/_template/workspace/ws.toml" in names
    assert "ws/_template/project/src/__import_name__/definitions.py" in names
    assert "ws_defs/__init__.py" in names
    shim = {f"ws/_shim/{p.name}" for p in (REPO / "src" / "ws" / "_shim").glob("*.py")}
    assert shim <= set(names), shim - set(names)  # the loader and every sibling it imports

    venv = tmp_path_factory.mktemp("venv") / "env"
    virtualenv.cli_run(
        [str(venv), "--no-seed", "--quiet", "-p", sys.executable], setup_logging=False
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            find_uv_bin(),
            "pip",
            "install",
            "-q",
            "--offline",
            "--no-deps",
            "--python",
            python,
            wheel,
        ],
        check=True,
    )
    # The test env's site-packages supplies typer, rich and the rest. A path line in a .pth does not
    # run that folder's own .pth files, so the editable install of the source tree stays out.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_ws_init_from_the_installed_wheel(installed_ws: Path, tmp_path: Path) -> None:
    python = installed_ws / "bin" / "python"
    where = subprocess.run(
        [
            python,
            "-c",
            "import ws.workspace.scaffold as s; print(s.__file__); print(s.template_root())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(installed_ws) in line for line in where), (
        where
    )  # the wheel's, not the checkout's

    done = subprocess.run(
        [installed_ws / "bin" / "ws", "init", "demo", "--name", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "ws.toml").is_file()
    done = subprocess.run(
        [installed_ws / "bin" / "ws", "add", "sales", "--owner", "team-sales"],
        cwd=tmp_path / "demo",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (
        tmp_path / "demo" / "projects" / "sales" / "src" / "sales" / "defs" / "example.py"
    ).is_file()
    listed = subprocess.run(
        [installed_ws / "bin" / "ws", "list", "projects", "--json"],
        cwd=tmp_path / "demo" / "projects" / "sales",
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"name": "sales"' in listed.stdout
