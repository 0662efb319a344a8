"""`ws python list` and `ws python find`, run in-process on a fake machine (see test_pythons)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from backend.machines import MINE, REAL, FakeMachine, real_pyenv


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeMachine:
    monkeypatch.delenv("COLUMNS", raising=False)  # piped: one row a line, however long the paths
    monkeypatch.chdir(tmp_path)  # no ws.toml above
    return FakeMachine(tmp_path / "machine", monkeypatch)


def _workspace(root: Path, projects: dict[str, str | None]) -> Path:
    """A hand-made workspace: project name -> its `python` in ws.toml (None: none given)."""
    lines = ['[workspace]\nname = "acme"\n']
    for name, python in projects.items():
        folder = root / "projects" / name
        folder.mkdir(parents=True)
        (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1"\n')
        lines.append(f'[[workspace.projects]]\npath = "projects/{name}"\n')
        if python:
            lines.append(f'python = "{python}"\n')
    (root / "ws.toml").write_text("".join(lines))
    return root


def test_list_json_is_one_document_on_stdout(machine: FakeMachine, ws) -> None:  # type: ignore[no-untyped-def]
    exe = machine.wrapper(machine.bin / "python3")
    result = ws("python", "list", "--json")
    assert result.code == 0, result
    document = json.loads(result.out)  # nothing else on stdout
    assert document["version"] == 1
    first = document["interpreters"][0]
    assert first == {
        "version": MINE,
        "implementation": "CPython",
        "architecture": first["architecture"],
        "executable": str(exe),
        "source": "PATH",
        "supported": True,
        "reason": None,
        "projects": [],
    }
    assert document["interpreters"][-1]["source"] == "running"


def test_list_table_dims_unsupported_with_the_reason(machine: FakeMachine, ws) -> None:  # type: ignore[no-untyped-def]
    old = machine.link(machine.pyenv_root / "versions/3.6.15/bin/python3", real_pyenv("3.6"))
    exe = machine.wrapper(machine.bin / "python3")
    result = ws("python", "list")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["Version", "Implementation", "Path", "Source", "Note"]
    assert any(line.split()[:4] == [MINE, "CPython", str(exe), "PATH"] for line in lines)
    row = next(line for line in lines if str(old) in line)
    assert "pyenv" in row and "unsupported: ws needs Python 3.8 or newer" in row
    assert "Projects" not in result.out  # outside a workspace: no such column


def test_list_fits_a_narrow_terminal_with_the_note_under_its_row(  # type: ignore[no-untyped-def]
    machine: FakeMachine, ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = machine.link(machine.pyenv_root / "versions/3.6.15/bin/python3", real_pyenv("3.6"))
    exe = machine.wrapper(machine.bin / "python3")
    width = len("Version  Implementation  ") + max(len(str(old)), len(str(exe))) + 10
    monkeypatch.setenv("COLUMNS", str(width))
    lines = ws("python", "list").out.splitlines()
    assert lines[0].split() == ["Version", "Implementation", "Path", "Source"]
    path_column = lines[0].index("Path")
    row = next(i for i, line in enumerate(lines) if str(old) in line)  # paths stay whole
    assert lines[row + 1] == " " * path_column + "unsupported: ws needs Python 3.8 or newer"


def test_list_shows_which_projects_use_each(machine: FakeMachine, ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exe = machine.wrapper(machine.bin / "python3")
    root = _workspace(tmp_path / "acme", {"finance": MINE, "marketing": None, "nowhere": "3.1"})
    result = ws("python", "list", "--json", cwd=root)
    assert result.code == 0, result
    users = {i["executable"]: i["projects"] for i in json.loads(result.out)["interpreters"]}
    assert users[str(exe)] == ["finance"]
    running = next(e for e in users if Path(e).resolve() == Path(REAL))
    assert users[running] == ["marketing"]  # no request: the interpreter running ws
    table = ws("python", "list", cwd=root)
    assert "Projects" in table.out and "finance" in table.out


def test_at_80_columns_every_line_fits_and_no_name_or_version_is_split(  # type: ignore[no-untyped-def]
    machine: FakeMachine, ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = machine.link(machine.pyenv_root / "versions/3.6.15/bin/python3", real_pyenv("3.6"))
    exe = machine.wrapper(machine.pyenv_root / "versions" / MINE / "bin" / "python3")
    names = ["finance", "marketing-attribution", "team-marketing-attribution-reports"]
    root = _workspace(tmp_path / "acme", dict.fromkeys(names, MINE))
    monkeypatch.setenv("COLUMNS", "80")
    result = ws("python", "list", cwd=root)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert all(len(line) <= 80 for line in lines), result.out
    assert lines[0].split()[:2] == ["Version", "Implementation"]
    words = result.out.replace(",", " ").split()
    assert all(name in words for name in names) and MINE in words and "3.6.15" in words
    assert "unsupported: ws needs Python 3.8 or newer" in " ".join(words)
    for path in (old, exe):  # folded, if at all, after a "/": each piece whole
        pieces = [piece for piece in re.split(r"(?<=/)", str(path)) if 0 < len(piece) <= 40]
        assert all(any(piece in line for line in lines) for piece in pieces), path


def test_list_survives_a_broken_workspace(machine: FakeMachine, ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ws.toml").write_text("[workspace\n")
    result = ws("python", "list", "--json", cwd=tmp_path)
    assert result.code == 0, result
    assert json.loads(result.out)["interpreters"]
    assert result.err.startswith("warning: not showing which projects use each interpreter")


def test_find_prints_the_newest_match(machine: FakeMachine, ws) -> None:  # type: ignore[no-untyped-def]
    exe = machine.wrapper(machine.bin / "python3")
    result = ws("python", "find", MINE.rsplit(".", 1)[0])
    assert (result.code, result.out) == (0, f"{exe}\n")


def test_find_without_a_match_exits_1_naming_what_was_found(machine: FakeMachine, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("python", "find", "3.99")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("error: no Python interpreter matches '3.99' (`ws python find`)")
    assert f"found: {MINE} (running)" in result.err
    assert "uv python install 3.99" in " ".join(result.err.split())


def test_find_rejects_a_bad_request_with_exit_2(machine: FakeMachine, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("python", "find", "three")
    assert result.code == 2 and result.out == ""
    assert "error: `ws python find`: 'three' is not a Python request" in result.err


@pytest.mark.parametrize("command", ["list", "find"])
def test_help_says_it_changes_nothing(command: str, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("python", command, "--help")
    assert result.code == 0
    assert "Changes nothing" in result.out
