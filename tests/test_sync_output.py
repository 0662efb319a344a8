"""What `ws sync` prints while it works, as a user sees it in a terminal, a CI log or a script.

Every test runs `ws` in a process of its own with the streams it assumes: pipes, or a
pseudo-terminal for stderr (the live display), COLUMNS and TERM set, NO_COLOR unset unless the
test sets it. Results go to stdout a line per project as it finishes; progress to stderr.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from backend.samples import child_env, write_project, write_workspace

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]

_ESCAPE = re.compile(r"\x1b\[")
_SLOW = 4.0  # seconds the slow project's build takes


def _environment(**extra: str) -> dict[str, str]:
    env = child_env(**{"COLUMNS": "80", "TERM": "xterm-256color", **extra})
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if name not in extra:
            env.pop(name, None)
    return env


def _workspace(root: Path, *, slow: bool = False, broken: bool = False) -> Path:
    """`fast` (a dependency to resolve), and `slow`, whose build takes _SLOW seconds."""
    write_project(root / "fast", "fast", dependencies=["tinydep"])
    write_project(root / "slow", "slow")
    if slow:
        (root / "slow" / "_backend" / "sleep").write_text(str(_SLOW))
    entries = [{"path": "fast"}, {"path": "slow"}]
    if broken:
        write_project(root / "bad", "bad", dependencies=["nosuchpkg"])
        entries.append({"path": "bad"})
    return write_workspace(root, entries)


def _ws(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ws", *args],
        cwd=cwd,
        env=_environment(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _on_terminal(*args: str, cwd: Path, **extra: str) -> tuple[int, str, str]:
    """`ws` with stderr on a pseudo-terminal (80 columns) and stdout on a pipe: (code, out,
    what the terminal got)."""
    main, side = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ws", *args],
        cwd=cwd,
        env=_environment(**extra),
        stdout=subprocess.PIPE,
        stderr=side,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    os.close(side)
    screen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other side closed: ws has exited
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(main)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    return proc.wait(timeout=30), out, screen.decode("utf-8", "replace")


def _result_lines(out: str) -> dict[str, str]:
    """The per-project lines of a sync's stdout, by project."""
    lines = [line for line in out.splitlines() if line and not line.startswith("Synced ")]
    return {line.split()[0]: line for line in lines}


def test_piped_each_project_is_printed_when_it_finishes(tmp_path: Path) -> None:
    """A CI log shows the fast project while the slow one still builds, then the slow one."""
    root = _workspace(tmp_path / "ws", slow=True)
    seen: list[tuple[float, str, bool]] = []  # (when, line, ws still running)
    err: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "ws", "sync", "--jobs", "2"],
        cwd=root,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        reader = threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True)
        reader.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append((time.monotonic(), line.rstrip("\n"), proc.poll() is None))
        assert proc.wait(timeout=60) == 0, "".join(err)
        reader.join(10)
    by_name = {line.split()[0]: (when, running) for when, line, running in seen}
    assert set(by_name) == {"fast", "slow", "Synced"}
    fast_at, fast_while_running = by_name["fast"]
    slow_at, _ = by_name["slow"]
    assert fast_while_running, "the fast project's line came only once ws had exited"
    assert slow_at - fast_at > _SLOW / 2, "the fast project's line waited for the slow one"
    [fast] = [line for _, line, _ in seen if line.startswith("fast")]
    assert fast.split()[2:4] == ["created", fast.split()[3]] and fast.endswith("new")
    assert not _ESCAPE.search("".join(line for _, line, _ in seen))  # piped: no styles
    # progress on the piped stderr: plain lines, uv's own phases among them
    progress = "".join(err)
    assert "fast: creating the env" in progress
    assert re.search(r"^fast: Resolved \d+ packages? in", progress, re.MULTILINE), progress
    assert re.search(r"^slow: Installed \d+ packages? in", progress, re.MULTILINE), progress
    assert not _ESCAPE.search(progress)


def test_on_a_terminal_progress_is_live_on_stderr_and_results_on_stdout(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", slow=True)
    code, out, screen = _on_terminal("sync", cwd=root)
    assert code == 0, screen
    assert set(_result_lines(out)) == {"fast", "slow"}
    assert not _ESCAPE.search(out)  # stdout is a pipe here: plain, even with a terminal beside it
    assert "\x1b[2K" in screen or "\x1b[1A" in screen  # redrawn in place
    assert "creating the env" in screen
    assert re.search(r"Resolved \d+ packages? in", screen) or "installing" in screen
    assert "slow: " not in screen  # no plain lines on a live terminal
    for line in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "\n").splitlines():
        assert len(line) <= 80, line


@pytest.mark.parametrize(
    ("args", "extra"),
    [((), {"TERM": "dumb"}), ((), {"NO_COLOR": "1"}), (("--color", "never"), {})],
    ids=["TERM=dumb", "NO_COLOR", "--color never"],
)
def test_dumb_terminals_and_no_colour_get_plain_lines(
    tmp_path: Path, args: tuple[str, ...], extra: dict[str, str]
) -> None:
    root = _workspace(tmp_path / "ws")
    code, out, screen = _on_terminal(*args, "sync", cwd=root, **extra)
    assert code == 0, screen
    assert set(_result_lines(out)) == {"fast", "slow"}
    assert not _ESCAPE.search(screen), repr(screen)
    assert "fast: creating the env" in screen
    assert re.search(r"fast: Installed \d+ packages? in", screen), screen


@pytest.mark.parametrize(
    "args", [("-q", "sync"), ("sync", "--quiet"), ("sync", "--no-progress")], ids=" ".join
)
def test_quiet_and_no_progress_print_results_only(tmp_path: Path, args: tuple[str, str]) -> None:
    # global options go before the command or after it, as uv takes its own
    root = _workspace(tmp_path / "ws")
    code, out, screen = _on_terminal(*args, cwd=root)
    assert code == 0, screen
    assert set(_result_lines(out)) == {"fast", "slow"}
    assert out.splitlines()[-1].startswith("Synced 2 projects in")
    assert screen.strip() == ""


def test_json_is_silent_on_stderr_unless_something_fails(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    code, out, screen = _on_terminal("sync", "--json", cwd=root)
    assert code == 0 and screen.strip() == ""
    assert {p["status"] for p in json.loads(out)["projects"]} == {"created"}

    broken = _workspace(tmp_path / "broken", broken=True)
    done = _ws("sync", "--json", cwd=broken)
    assert done.returncode == 1
    assert [p["status"] for p in json.loads(done.stdout)["projects"]] == [
        "created",
        "created",
        "failed",
    ]
    [error] = done.stderr.splitlines()[:1]
    assert error.startswith("error: bad: uv could not install bad"), done.stderr
    assert "nosuchpkg" in done.stderr and "DEBUG" not in done.stderr


def test_colour_always_styles_piped_results_and_never_does_not(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    styled = _ws("--color", "always", "sync", cwd=root)
    assert styled.returncode == 0, styled.stderr
    assert "\x1b[32mcreated" in styled.stdout
    (root / "fast" / "pyproject.toml").write_text(
        (root / "fast" / "pyproject.toml").read_text().replace("tinydep", "tinydep>=2")
    )
    plain = _ws("--color", "never", "sync", cwd=root)
    assert plain.returncode == 0, plain.stderr
    assert not _ESCAPE.search(plain.stdout + plain.stderr)
    assert "updated" in _result_lines(plain.stdout)["fast"]


def test_a_bad_colour_is_a_usage_error(tmp_path: Path) -> None:
    done = _ws("--color", "sometimes", "sync", cwd=tmp_path)
    assert done.returncode == 2
    assert "sometimes" in done.stderr and "auto" in done.stderr


def test_run_sync_keeps_stdout_for_the_command(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    done = _ws("run", "--sync", "fast", "--", "python", "-c", "print('hello')", cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello\n"
    assert "fast" in done.stderr and "created" in done.stderr
