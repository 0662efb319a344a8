"""ws.envs and ws.defs_wheel without building envs: fingerprints, state, locks, the ws-defs wheel."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest
from backend.samples import write_project, write_workspace

from ws.envs import defs_wheel
from ws.envs.build import relevant_lines
from ws.envs.environment import Environment, Plan
from ws.envs.locks import Cancelled, env_lock
from ws.envs.prune import delete_environment, prune_environments, record_envs
from ws.envs.running import activated_environ
from ws.envs.state import EnvState, clear_failure, environment_state, record_failure
from ws.pythons.discovery import Interpreter
from ws.pythons.requests import resolve_python
from ws.workspace.model import Project
from ws.workspace.ws_toml import read_workspace


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_project(tmp_path / "app", "app", dependencies=["tinydep"], tool_groups=[])
    write_workspace(tmp_path, [{"path": "app"}])
    return read_workspace(tmp_path).project("app")


def fake_build(project: Project, interpreter: Interpreter) -> Environment:
    """Lay out what a build leaves (pyvenv.cfg, bin/python, the marker) without building."""
    env = Environment(project, interpreter)
    (project.venv / "bin").mkdir(parents=True)
    (project.venv / "pyvenv.cfg").write_text("home = /usr\n")
    env.python.write_text("")
    env.write_marker("created", ready=True, fingerprint=env.fingerprint())
    return env


def test_an_env_never_built_is_missing(project: Project) -> None:
    running = resolve_python(None)
    assert Environment(project, running).plan() == Plan("create", "new")
    assert environment_state(project, running) == EnvState("missing", "not built yet")


def test_same_fingerprint_means_nothing_to_do(project: Project) -> None:
    env = fake_build(project, resolve_python(None))
    assert env.plan() == Plan("none")
    assert environment_state(project, env.interpreter) == EnvState("ready")


def test_what_changed_decides_between_update_and_recreate(project: Project) -> None:
    running = resolve_python(None)
    fake_build(project, running)
    newer = dataclasses.replace(running, version="3.99.0", executable="/opt/python3.99")
    assert Environment(project, newer).plan() == Plan(
        "create", f"interpreter {running.version} -> 3.99.0"
    )
    assert environment_state(project, newer) == EnvState(
        "stale", f"interpreter {running.version} -> 3.99.0"
    )
    (project.root / "uv.lock").write_text("version = 1\n")
    assert Environment(project, running).plan() == Plan("update", "uv.lock changed")
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.ws]\ngroups = ["dev"]\n')
    changed = read_workspace(project.root.parent).project("app")
    # [tool.ws] is not what the project installs: only its groups count, under their own name
    assert Environment(changed, running).plan() == Plan(
        "update", "uv.lock changed, [tool.ws] groups changed"
    )


def test_one_interpreter_under_another_name_keeps_its_env(project: Project, tmp_path: Path) -> None:
    # `pyenv exec` or an activated shell puts `python3` first on PATH where `python` was found
    running = resolve_python(None)
    fake_build(project, running)
    alias = tmp_path / "alias" / "python3"
    alias.parent.mkdir()
    alias.symlink_to(running.executable)
    same = dataclasses.replace(running, executable=str(alias))
    assert Environment(project, same).plan() == Plan("none")
    other = tmp_path / "other-python"
    other.write_text("")  # another file with the same version is another interpreter
    moved = dataclasses.replace(running, executable=str(other))
    assert Environment(project, moved).plan().action == "create"


def test_an_unfinished_build_is_redone(project: Project) -> None:
    env = fake_build(project, resolve_python(None))
    env.write_marker("created", ready=False, fingerprint={})  # what an interrupted build leaves
    assert env.plan() == Plan("create", "the last build did not finish")
    assert environment_state(project, env.interpreter) == EnvState(
        "failed", "the last build did not finish"
    )


def test_a_marker_of_another_format_or_a_lost_python_means_recreate(project: Project) -> None:
    env = fake_build(project, resolve_python(None))
    env.python.unlink()
    assert env.plan() == Plan("create", "its python is missing")
    env.python.write_text("")
    env.marker.write_text(json.dumps({"version": 99, "fingerprint": {}}))
    assert env.plan() == Plan("create", "built by another version of ws")


def test_a_failed_sync_is_remembered_until_the_next_success(project: Project) -> None:
    running = resolve_python(None)
    record_failure(project.venv, "uv could not install app:\n  error: nope")
    assert environment_state(project, running) == EnvState("failed", "uv could not install app:")
    clear_failure(project.venv)
    assert environment_state(project, running).state == "missing"


def test_an_interrupted_delete_leaves_no_half_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "module.py").write_text("")
    real_rmtree = shutil.rmtree

    def interrupted(path: Path, *args: object, **kwargs: object) -> None:
        if not kwargs.get("ignore_errors"):
            raise KeyboardInterrupt  # Ctrl-C in the middle of deleting
        real_rmtree(path, ignore_errors=True)

    monkeypatch.setattr(shutil, "rmtree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        delete_environment(venv)
    assert not venv.exists() and (tmp_path / ".venv.ws-deleting").is_dir()
    monkeypatch.undo()
    venv.mkdir()  # built again; deleting it also clears what the interrupted delete left
    delete_environment(venv)
    assert sorted(tmp_path.iterdir()) == []


def test_prune_clears_what_an_interrupted_delete_left(project: Project) -> None:
    # `ws remove --delete-env` interrupted: the entry is gone, the env's record stays for prune
    workspace = read_workspace(project.root.parent)
    record_envs(workspace, [project])
    left = project.venv.with_name(".venv.ws-deleting")
    (left / "lib").mkdir(parents=True)
    prune_environments(workspace)
    assert not left.exists()


def test_a_second_holder_waits_for_the_lock(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with env_lock(venv, on_wait=lambda: None):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    waits: list[float] = []
    threading.Timer(0.3, release.set).start()
    start = time.monotonic()
    with env_lock(venv, on_wait=lambda: waits.append(time.monotonic())):
        got = time.monotonic()
    thread.join()
    assert len(waits) == 1 and got - start >= 0.25


def test_a_cancelled_wait_gives_up(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    cancel = threading.Event()
    with (
        env_lock(venv, on_wait=lambda: None),
        pytest.raises(Cancelled),
        env_lock(venv, on_wait=cancel.set, cancel=cancel),
    ):
        pass


def test_only_the_relevant_lines_of_a_long_message_are_kept() -> None:
    noise = [f"Resolved line {i}" for i in range(50)]
    message = "\n".join([*noise, "error: it broke", *[f"  detail {i}" for i in range(30)]])
    lines = relevant_lines(message).splitlines()
    assert lines[0].strip() == "error: it broke"
    assert len(lines) == 13 and lines[-1].strip() == "..."
    assert relevant_lines("") == "  (uv said nothing)"


def test_the_ws_defs_wheel_is_valid_and_built_once() -> None:
    wheel = defs_wheel.defs_wheel()
    package = defs_wheel.defs_package()
    assert wheel.name == f"ws_defs-{package.version}-py3-none-any.whl"
    assert list(wheel.parent.iterdir()) == [wheel]  # a find-links folder of its own
    stamp = wheel.stat().st_mtime_ns
    assert defs_wheel.defs_wheel() == wheel and wheel.stat().st_mtime_ns == stamp
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"ws_defs-{package.version}.dist-info"
        assert "ws_defs/__init__.py" in names
        metadata = archive.read(f"{info}/METADATA").decode()
        assert "Name: ws-defs" in metadata and f"Version: {package.version}" in metadata
        assert "Root-Is-Purelib: true" in archive.read(f"{info}/WHEEL").decode()
        record = archive.read(f"{info}/RECORD").decode().splitlines()
        assert sorted(line.split(",")[0] for line in record) == sorted(names)
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if path.endswith("RECORD"):
                continue
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode() and int(size) == len(data)


def test_the_wheel_bytes_do_not_depend_on_when_it_was_built() -> None:
    package = defs_wheel.defs_package()
    first = defs_wheel._wheel_bytes(package)
    time.sleep(0.01)
    assert defs_wheel._wheel_bytes(package) == first


def test_the_activated_environment_looks_like_bin_activate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONHOME", "/elsewhere")
    monkeypatch.setenv("PATH", "/usr/bin")
    env = activated_environ(tmp_path / ".venv")
    assert "PYTHONHOME" not in env
    assert env["VIRTUAL_ENV"] == str(tmp_path / ".venv")
    assert env["PATH"] == f"{tmp_path / '.venv' / 'bin'}:/usr/bin"
