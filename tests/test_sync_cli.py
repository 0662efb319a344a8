"""`ws sync` and `ws run` as users run them, faults included: Ctrl-C, a kill, two syncs at once."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from backend.samples import child_env, project_files, write_project, write_wheels, write_workspace
from conftest import WsResult, other_python

from ws.envs.environment import ENV_MARKER, read_marker

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]


def ws_child(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `ws` in a process of its own (needed for `ws run`, signals, concurrency)."""
    return subprocess.run(
        [sys.executable, "-m", "ws", *args],
        cwd=cwd,
        env=env or child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def two_pythons(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Path:
    """A workspace synced once: `here` on the running Python, `there` on another (if any)."""
    root = tmp_path_factory.mktemp("ws")
    write_project(root / "here", "here", dependencies=["tinydep"])
    write_project(root / "there", "there")
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    try:
        version = other_python()[0]
    except pytest.skip.Exception:
        version = mine
    write_workspace(root, [{"path": "here"}, {"path": "there", "python": version}])
    done = ws_child("sync", "--json", "--offline", cwd=root, env={**child_env(), **uv_offline})
    assert done.returncode == 0, done.stderr
    return root


def test_json_output_is_the_documented_document(two_pythons: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("sync", "--json", cwd=two_pythons)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["version"] == 1
    assert [p["name"] for p in document["projects"]] == ["here", "there"]
    for project in document["projects"]:
        assert set(project) == {"name", "status", "python", "seconds", "error"}
        assert project["status"] == "unchanged" and project["error"] is None
        assert isinstance(project["seconds"], float)
        assert project["python"].count(".") == 2


def test_each_project_runs_on_its_own_python(two_pythons: Path) -> None:
    version, _ = other_python()
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    here = ws_child("run", "here", "--", "python", "-c", code, cwd=two_pythons)
    there = ws_child("run", "there", "--", "python", "-c", code, cwd=two_pythons)
    assert here.returncode == 0 and there.returncode == 0, here.stderr + there.stderr
    assert here.stdout.strip() == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert there.stdout.strip() == version


def test_run_passes_the_env_and_the_exit_code(two_pythons: Path, tmp_path: Path) -> None:
    code = (
        "import os, sys, tinydep, ws_defs; "
        "print(os.environ['VIRTUAL_ENV']); print(os.getcwd()); "
        "print(sys.stdin.read()); sys.exit(7)"
    )
    command = ["python", "-c", code]
    done = subprocess.run(
        [sys.executable, "-m", "ws", "-w", str(two_pythons), "run", "here", "--", *command],
        cwd=tmp_path,
        env=child_env(),
        input="from stdin",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 7, done.stderr
    venv, cwd, stdin = done.stdout.splitlines()
    assert venv == str(two_pythons / "here" / ".venv")
    assert cwd == str(two_pythons / "here")  # the project's folder, as `hatch run` and dg do
    assert stdin == "from stdin"


@pytest.mark.skipif(sys.platform != "linux", reason="reads the command's /proc status")
def test_run_becomes_the_command(two_pythons: Path) -> None:
    # A real `ws` process exec's the command, as a shell runs its last one: the command has ws's
    # pid (signals reach it straight) and SIGPIPE at its default, as subprocess would leave it.
    script = "echo $$; grep SigIgn /proc/self/status"
    command = ["run", "here", "--", "sh", "-c", script]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ws", "-w", str(two_pythons), *command],
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    pid, ignored = out.splitlines()
    assert int(pid) == proc.pid
    assert not int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1))


def test_the_display_ends_with_a_summary(two_pythons: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("sync", "here", cwd=two_pythons)
    assert result.code == 0
    assert result.out.strip().startswith("Synced 1 project in")
    assert result.out.strip().endswith("1 unchanged.")


def _last_line_in_process(workspace: Path, script: str) -> str:
    """The last line a fresh interpreter prints running `script` in the workspace."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_an_up_to_date_sync_runs_nothing_and_imports_little(two_pythons: Path) -> None:
    script = (
        "import subprocess, sys\n"
        "def refuse(*args, **kwargs): raise AssertionError(f'ran {args}')\n"
        "subprocess.Popen = refuse\n"
        "from ws.cli.main import run\n"
        "code = run(['sync'])\n"
        "heavy = sorted({'virtualenv', 'uv', 'rich', 'tomlkit'} & set(sys.modules))\n"
        "print(code, heavy)\n"
    )
    assert _last_line_in_process(two_pythons, script) == "0 []"


def test_run_imports_little(two_pythons: Path) -> None:
    # What `ws run` adds to its command is what it imports: no Rich, no OpenSSL (hashlib), no
    # logging, no TOML editor (the in-process CLI starts the command rather than exec'ing)
    script = (
        "import sys\n"
        "from ws.cli.main import run\n"
        "code = run(['run', 'here', '--', 'python', '-c', 'pass'])\n"
        "heavy = {'virtualenv', 'uv', 'rich', 'tomlkit', 'hashlib', 'logging', 'zipfile'}\n"
        "print(code, sorted(heavy & set(sys.modules)))\n"
    )
    assert _last_line_in_process(two_pythons, script) == "0 []"


def test_run_on_a_missing_env_says_how_to_sync(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    write_project(tmp_path / "fresh", "fresh", dependencies=["tinydep"])
    write_workspace(tmp_path, [{"path": "fresh"}])
    result: WsResult = ws("run", "fresh", "--", "python", "-c", "pass", cwd=tmp_path)
    assert result.code == 1
    assert "ws sync fresh" in result.err and "not built yet" in result.err
    done = ws_child("run", "--sync", "fresh", "--", "python", "-c", "import fresh", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh" / ".venv" / ENV_MARKER).is_file()
    assert ws("sync", "nosuch", cwd=tmp_path).code == 2


def test_a_failure_is_exit_1_with_uvs_words(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    write_project(tmp_path / "good", "good")
    write_project(tmp_path / "bad", "bad", dependencies=["nosuchpkg"])
    write_workspace(tmp_path, [{"path": "good"}, {"path": "bad"}])
    result: WsResult = ws("sync", "--json", cwd=tmp_path)
    assert result.code == 1
    statuses = {p["name"]: (p["status"], p["error"]) for p in json.loads(result.out)["projects"]}
    assert statuses["good"] == ("created", None)
    assert statuses["bad"][0] == "failed" and "nosuchpkg" in statuses["bad"][1]
    plain: WsResult = ws("sync", cwd=tmp_path)
    assert plain.code == 1
    assert "error: bad: uv could not install bad" in plain.err and "nosuchpkg" in plain.err


def _wait_for(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int, timeout: float = 10) -> bool:
    """The process has ended (a zombie counts: nothing runs any more)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


class _Stalled(NamedTuple):
    root: Path
    sync: subprocess.Popen[str]
    backend: int  # the build backend's pid
    files: dict[str, bytes]  # the project's files before the sync


def _stalled_sync(tmp_path: Path) -> _Stalled:
    """`ws sync` in a session of its own, caught while its installer runs a 60 s build."""
    root = tmp_path / "ws"
    write_project(root / "app", "app", dependencies=["tinydep"])
    write_workspace(root, [{"path": "app"}])
    files = project_files(root / "app")
    started = tmp_path / "backend.pid"
    sync = subprocess.Popen(
        [sys.executable, "-m", "ws", "sync"],
        cwd=root,
        env=child_env(TINY_BACKEND_STARTED=str(started), TINY_BACKEND_SLEEP="60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return _Stalled(root, sync, int(_wait_for(started)), files)


def _ended_cleanly(stalled: _Stalled, code: int) -> None:
    """ws ended with `code` long before the build would have (a liveness bound, not a speed
    test), its installer with it, no env marked ready; the next sync completes."""
    root, sync, backend, files = stalled
    try:
        _, err = sync.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(sync.pid, signal.SIGKILL)
        os.kill(backend, signal.SIGKILL)
        sync.communicate()
        raise AssertionError("ws was still running 30 s after the signal") from None
    assert sync.returncode == code, err
    assert _gone(backend), "the build backend outlived the interrupted sync"
    marker = read_marker(root / "app" / ".venv")
    assert marker is None or not marker.ready  # never marked ready

    done = ws_child("sync", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["projects"][0]["status"] == "created"
    assert project_files(root / "app") == files


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_sync_leaves_no_marker_and_the_next_one_completes(
    tmp_path: Path, signum: int, code: int
) -> None:
    stalled = _stalled_sync(tmp_path)
    # As a terminal's Ctrl-C does: the signal goes to ws's group; the installer has its own.
    os.killpg(stalled.sync.pid, signum)
    _ended_cleanly(stalled, code)


def test_an_interrupt_another_thread_receives_still_ends_the_sync(tmp_path: Path) -> None:
    """The kernel may hand a process's signal to any of its threads; Python then only flags
    the main thread, which used to sleep until the installer finished (60 s here)."""
    stalled = _stalled_sync(tmp_path)
    pid = stalled.sync.pid
    other = next(int(t.name) for t in Path(f"/proc/{pid}/task").iterdir() if t.name != str(pid))
    # Sent to a thread's id, the signal is still the whole process's, but that thread takes it.
    os.kill(other, signal.SIGINT)
    _ended_cleanly(stalled, 130)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_more_signals_do_not_cut_the_cleanup_short(tmp_path: Path, signum: int, code: int) -> None:
    """Ctrl-C pressed again and again: one landing in the cleanup used to stop it half-way (an
    installer left running, ws waiting for it), one landing in ws's exit to kill it by the
    signal instead of ending it with 130 (143)."""
    stalled = _stalled_sync(tmp_path)
    for _ in range(20):
        with contextlib.suppress(ProcessLookupError):  # ws may be gone already
            os.killpg(stalled.sync.pid, signum)
        time.sleep(0.01)
    _ended_cleanly(stalled, code)


def test_two_syncs_at_once_take_turns(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_project(root / "app", "app", dependencies=["tinydep"])
    write_workspace(root, [{"path": "app"}])
    started = tmp_path / "backend.pid"
    first = subprocess.Popen(
        [sys.executable, "-m", "ws", "sync", "--json"],
        cwd=root,
        # Long enough for the second ws to start and find the lock taken on a busy machine.
        env=child_env(TINY_BACKEND_STARTED=str(started), TINY_BACKEND_SLEEP="4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(started)
    second = ws_child("sync", "--json", cwd=root)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert json.loads(out)["projects"][0]["status"] == "created"
    # The second waited for the first's lock, said so, then found the env already built.
    assert "another ws is building this environment; waiting" in second.stderr
    assert json.loads(second.stdout)["projects"][0]["status"] == "unchanged"
    check = ws_child("run", "app", "--", "python", "-c", "import app, tinydep", cwd=root)
    assert check.returncode == 0, check.stderr


def test_inside_a_project_only_it_is_synced_and_prune_removes_dropped_envs(
    tmp_path: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    write_project(tmp_path / "a", "a")
    write_project(tmp_path / "b", "b")
    write_workspace(tmp_path, [{"path": "a"}, {"path": "b"}])
    here: WsResult = ws("sync", "--json", cwd=tmp_path / "a")
    assert [(p["name"], p["status"]) for p in json.loads(here.out)["projects"]] == [
        ("a", "created")
    ]
    everything: WsResult = ws("sync", "--json", cwd=tmp_path)
    statuses = [(p["name"], p["status"]) for p in json.loads(everything.out)["projects"]]
    assert statuses == [("a", "unchanged"), ("b", "created")]

    write_workspace(tmp_path, [{"path": "a"}])  # b is no longer listed
    pruned: WsResult = ws("sync", "--prune", cwd=tmp_path)
    assert pruned.code == 0, pruned.err
    assert f"Pruned {tmp_path / 'b' / '.venv'}" in pruned.out
    assert not (tmp_path / "b" / ".venv").exists()
    assert (tmp_path / "b" / "pyproject.toml").exists() and (tmp_path / "a" / ".venv").exists()


def test_several_updates_at_once_in_a_fresh_process(
    tmp_path: Path, uv_offline: dict[str, str]
) -> None:
    """Reinstalls in worker threads, with no env created first: uv's lookup must not race."""
    names = ["u1", "u2", "u3"]
    for name in names:
        write_project(tmp_path / name, name)
    write_workspace(tmp_path, [{"path": name} for name in names])
    env = {**child_env(), **uv_offline}
    assert ws_child("sync", "--offline", cwd=tmp_path, env=env).returncode == 0
    for round_ in range(3):  # the race lost 5 times in 6 before the fix
        for name in names:  # a pyproject change each: an update (reinstall), not a creation
            pyproject = tmp_path / name / "pyproject.toml"
            text = re.sub(
                r'version = "[^"]*"', f'version = "0.{round_ + 2}"', pyproject.read_text()
            )
            pyproject.write_text(text)
        done = ws_child("sync", "--offline", "--json", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert [p["status"] for p in json.loads(done.stdout)["projects"]] == ["updated"] * 3


def test_a_scaffolded_project_syncs_offline_with_uvs_own_build_backend(
    tmp_path: Path, ws, uv_offline: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """`ws add` writes a uv_build backend in the range of ws's uv, which uv runs in-process: a
    new project's first sync needs no build backend from the registry (uv here is offline, with
    an empty cache of its own; the template's `dev` group, which uv installs by default, gets a
    local stand-in for pytest), and its code is importable from the env."""
    from importlib.metadata import version

    from packaging.requirements import Requirement

    assert ws("init", str(tmp_path / "w")).code == 0
    assert ws("add", "new-team", cwd=tmp_path / "w").code == 0
    project = tmp_path / "w" / "projects" / "new-team"
    text = (project / "pyproject.toml").read_text()
    assert 'build-backend = "uv_build"' in text
    requirement = Requirement(text.split("requires = [")[1].split('"')[1])
    assert requirement.name == "uv_build" and requirement.specifier.contains(version("uv"))
    links = write_wheels(tmp_path / "dev-links", {"pytest": ["8.0"]})
    monkeypatch.setenv("UV_FIND_LINKS", f"{uv_offline['UV_FIND_LINKS']},{links}")
    assert ws("sync", "--offline", cwd=tmp_path / "w").code == 0
    code = "import new_team.definitions as d, pytest; print(type(d.defs).__name__)"
    done = ws_child("run", "new-team", "--", "python", "-c", code, cwd=project)
    assert done.returncode == 0 and done.stdout.strip() == "Definitions", done.stderr
