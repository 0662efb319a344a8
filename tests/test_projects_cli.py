"""`ws init`, `ws add`, `ws remove`, `ws list projects`, and what each does with bad input."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from conftest import tree_snapshot


@pytest.fixture(autouse=True)
def _piped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output as piped: no COLUMNS, so nothing folds; a test of a width sets COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture
def workspace(tmp_path: Path, ws) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "acme"
    assert ws("init", str(root), "--name", "acme-data").code == 0
    return root


def _write_project(folder: Path, name: str, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1"\n{extra}')


def test_init_renders_a_commented_workspace(workspace: Path) -> None:
    text = (workspace / "ws.toml").read_text()
    assert 'name = "acme-data"' in text and text.startswith("# ws workspace")
    assert (workspace / "projects").is_dir()
    assert ".venv/" in (workspace / ".gitignore").read_text()
    assert ".ws/" in (workspace / ".gitignore").read_text()
    assert (workspace / "README.md").read_text().startswith("# acme-data")


def test_init_refuses_an_existing_workspace(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    before = tree_snapshot(workspace)
    result = ws("init", str(workspace))
    assert result.code == 2
    assert result.err.startswith("error: ") and "ws.toml already exists" in result.err
    assert tree_snapshot(workspace) == before


def test_init_never_overwrites_a_file(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "README.md").write_text("ours\n")
    result = ws("init", str(tmp_path))
    assert result.code == 0, result
    assert (tmp_path / "README.md").read_text() == "ours\n"
    assert "kept existing README.md" in result.out


def test_add_scaffolds_a_project_with_python_and_owner(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("add", "Marketing_ETL", "--python", "3.10", "--owner", "team-mkt", cwd=workspace)
    assert result.code == 0, result
    folder = workspace / "projects" / "Marketing_ETL"
    pyproject = (folder / "pyproject.toml").read_text()
    assert 'name = "marketing-etl"' in pyproject
    assert 'requires-python = ">=3.10"' in pyproject and 'owner = "team-mkt"' in pyproject
    assert (folder / ".python-version").read_text() == "3.10\n"
    assert (folder / "src" / "marketing_etl" / "definitions.py").is_file()
    assert (folder / "tests").is_dir()
    assert 'path = "projects/Marketing_ETL"' in (workspace / "ws.toml").read_text()
    listed = json.loads(ws("list", "projects", "--json", cwd=workspace).out)
    assert listed["version"] == 1
    row = listed["projects"][0]
    assert {k: row[k] for k in ("name", "path", "owner", "python", "python_source", "problem")} == {
        "name": "marketing-etl",
        "path": "projects/Marketing_ETL",
        "owner": "team-mkt",
        "python": "3.10",
        "python_source": "projects/Marketing_ETL/.python-version",
        "problem": None,
    }
    assert row["env"] == "missing" and row["env_reason"] == "not built yet"
    if row["interpreter"] is None:  # no 3.10 on this machine: the reason is given instead
        assert "3.10" in row["interpreter_error"]
    else:
        assert row["interpreter_version"].startswith("3.10.")
    assert listed["projects"][0]["python_source"] == "projects/Marketing_ETL/.python-version"


def test_add_registers_an_existing_folder_untouched(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    folder = workspace / "teams" / "finance"
    _write_project(folder, "finance", '[tool.ws]\nowner = "team-fin"\n')
    before = tree_snapshot(folder)
    result = ws("add", "finance", "--path", str(folder), "--python", "3.9", cwd=workspace)
    assert result.code == 0, result
    assert "Registered project finance at teams/finance" in result.out
    assert tree_snapshot(folder) == before
    text = (workspace / "ws.toml").read_text()
    assert 'path = "teams/finance"\npython = "3.9"' in text
    assert json.loads(ws("list", "projects", "--json").out)["projects"][0]["owner"] == "team-fin"


def test_add_from_a_subfolder_finds_the_workspace(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    deep = workspace / "projects"
    assert ws("add", "ops", cwd=deep).code == 0
    assert (workspace / "projects" / "ops" / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "bad name!"], "is not a valid project name"),
        (["add", "-leading"], "No such option"),
        (["add", "trailing-"], "is not a valid project name"),
        (["add", "web", "--python", "three"], "--python"),
        (["add", "web", "--path", "/"], "outside the workspace"),
        (["add", "web", "--path", ".."], "outside the workspace"),
    ],
)
def test_bad_add_changes_nothing(workspace: Path, ws, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    before = tree_snapshot(workspace)
    result = ws(*args, cwd=workspace)
    assert result.code == 2, result
    assert message in result.err
    assert "Traceback" not in result.err
    assert tree_snapshot(workspace) == before


def test_names_that_normalise_alike_clash(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "Foo_Bar", cwd=workspace).code == 0
    before = tree_snapshot(workspace)
    result = ws("add", "foo-bar", cwd=workspace)
    assert result.code == 2 and "already has a project named 'foo-bar'" in result.err
    assert tree_snapshot(workspace) == before


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            '[[workspace.projects]]\npath = "projects/a"\n\n'
            '[[workspace.projects]]\npath = "projects/a"\nname = "a-again"\n',
            "projects 'a' and 'a-again' are both the folder 'projects/a'",
        ),
        (
            '[[workspace.projects]]\npath = "projects/a"\n\n'
            '[[workspace.projects]]\npath = "projects/b"\nname = "A"\n',
            "projects 'projects/a' and 'projects/b' clash (both are 'a')",
        ),
    ],
)
def test_a_hand_edited_duplicate_names_both_entries(
    workspace: Path, ws, entries: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "a", cwd=workspace).code == 0
    assert ws("add", "b", cwd=workspace).code == 0
    config = workspace / "ws.toml"
    config.write_text(config.read_text().split("[[workspace.projects]]")[0] + entries)
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 2 and message in result.err, result.err


def test_a_folder_already_listed_is_refused(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "alpha", cwd=workspace).code == 0
    result = ws("add", "beta", "--path", str(workspace / "projects" / "alpha"), cwd=workspace)
    assert result.code == 2 and "already lists the folder 'projects/alpha'" in result.err


def test_a_symlink_out_of_the_workspace_is_refused(workspace: Path, tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere"
    _write_project(outside, "linked")
    (workspace / "projects" / "linked").symlink_to(outside)
    result = ws("add", "linked", cwd=workspace)
    assert result.code == 2 and "outside the workspace" in result.err


def test_a_name_that_disagrees_with_the_folder_says_both(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    _write_project(workspace / "projects" / "billing", "invoicing")
    result = ws("add", "billing", cwd=workspace)
    assert result.code == 2
    assert "'invoicing'" in result.err and "'billing'" in result.err


def test_a_non_empty_folder_without_pyproject_is_refused(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    folder = workspace / "projects" / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("x")
    before = tree_snapshot(workspace)
    result = ws("add", "notes", cwd=workspace)
    assert result.code == 2 and "has no pyproject.toml" in result.err
    assert tree_snapshot(workspace) == before


def _paths(root: Path) -> list[str]:
    """Every file and folder under root: compare two to prove nothing was made or left."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("1numeric", "`ws add numeric-1` or `ws add project-1numeric`"),
        ("2fa-service", "`ws add service-2fa` or `ws add project-2fa-service`"),
        ("123", "`ws add project-123`"),
        ("class", "`ws add class-project`"),
    ],
)
def test_a_name_python_cannot_import_is_refused_with_one_that_can(
    workspace: Path, ws, name: str, fix: str
) -> None:  # type: ignore[no-untyped-def]
    before = tree_snapshot(workspace), _paths(workspace)
    result = ws("add", name, cwd=workspace)
    assert result.code == 2, result
    assert result.err.startswith(f"error: project {name!r} would be the Python package ")
    assert "could never be imported or built" in result.err and f"e.g. {fix}." in result.err
    assert (tree_snapshot(workspace), _paths(workspace)) == before
    suggested = re.findall(r"`ws add ([^`]+)`", result.err)
    assert all(ws("add", *other.split(), cwd=workspace).code == 0 for other in suggested)


def test_a_folder_with_such_a_name_may_still_be_registered(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    """Only the scaffold's package needs the name; a project of its own says its module."""
    _write_project(workspace / "projects" / "1numeric", "1numeric", '[tool.ws]\nmodule = "n.d"\n')
    assert ws("add", "1numeric", cwd=workspace).code == 0


def test_a_suggested_path_is_the_one_given(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (workspace / "teams").mkdir()
    result = ws("add", "2fa", "--path", "2fa", cwd=workspace / "teams")
    assert result.code == 2 and "`ws add fa-2 --path 2fa`" in result.err, result


def test_add_writes_into_an_existing_empty_folder_and_never_replaces_it(
    workspace: Path, ws
) -> None:  # type: ignore[no-untyped-def]
    """The user's shell may stand in the folder: it must stay the same folder (same inode)."""
    folder = workspace / "rep2"
    folder.mkdir()
    inode = os.stat(folder).st_ino
    result = ws("add", "rep2", "--path", ".", cwd=folder)
    assert result.code == 0, result
    assert "Scaffolded project rep2 at rep2" in result.out
    assert os.stat(folder).st_ino == inode
    assert (folder / "pyproject.toml").is_file() and (folder / "src" / "rep2").is_dir()
    assert 'path = "rep2"' in (workspace / "ws.toml").read_text()
    assert not [p for p in workspace.iterdir() if p.name.startswith(".rep2")]  # no staging


def _fail_the_third_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaffold's third file is created, then writing it fails: a failure half way."""
    import builtins
    import io

    from ws.workspace import scaffold

    opened: list[str] = []

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    def failing_open(file: Path, mode: str = "r", **kw: str) -> io.TextIOBase:
        opened.append(str(file))
        if len(opened) < 3:
            return builtins.open(file, mode, **kw)
        with builtins.open(file, mode, **kw):  # created, as a real full disk leaves it
            return FullDisk()

    monkeypatch.setattr(scaffold, "open", failing_open, raising=False)


def _fail_the_ws_toml_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of the project is written; then ws.toml cannot be replaced."""

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ws.files.os.replace", broken_replace)


@pytest.mark.parametrize("fail", [_fail_the_third_file, _fail_the_ws_toml_write])
@pytest.mark.parametrize("existing", [True, False], ids=["empty-folder", "no-folder"])
def test_a_failed_add_takes_back_only_what_it_wrote(
    workspace: Path, ws, monkeypatch: pytest.MonkeyPatch, fail, existing: bool
) -> None:  # type: ignore[no-untyped-def]
    folder = workspace / "teams" / "billing"
    if existing:
        folder.mkdir(parents=True)
        inode = os.stat(folder).st_ino
    before = tree_snapshot(workspace), _paths(workspace)
    fail(monkeypatch)
    result = ws("add", "billing", "--path", str(folder), cwd=workspace)
    assert result.code == 1 and "No space left on device" in result.err, result
    assert (tree_snapshot(workspace), _paths(workspace)) == before
    if existing:
        assert os.stat(folder).st_ino == inode
    monkeypatch.undo()
    assert ws("add", "billing", "--path", str(folder), cwd=workspace).code == 0


def test_a_folder_named_otherwise_suggests_the_command_that_works(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    _write_project(workspace / "teams" / "fin", "Invoicing")
    before = tree_snapshot(workspace)
    result = ws("add", "finance", "--path", "fin", cwd=workspace / "teams")
    assert result.code == 2 and tree_snapshot(workspace) == before
    assert "names the project 'Invoicing', but you asked for 'finance'" in result.err
    assert "`ws add Invoicing --path fin`, or set [project] name to 'finance'." in result.err
    assert ws("add", "Invoicing", "--path", "fin", cwd=workspace / "teams").code == 0


def test_a_folder_named_as_a_listed_project_names_that_entry(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "billing", cwd=workspace).code == 0
    _write_project(workspace / "teams" / "fin", "billing")
    before = tree_snapshot(workspace)
    result = ws("add", "finance", "--path", "teams/fin", cwd=workspace)
    assert result.code == 2 and tree_snapshot(workspace) == before
    assert (
        "already has project 'billing' (at 'projects/billing'); set this one's [project] name "
        "to 'finance', then run `ws add finance --path teams/fin`." in result.err
    )


def test_remove_keeps_the_folder_and_deletes_only_a_marked_env(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "alpha", cwd=workspace).code == 0
    assert ws("add", "beta", cwd=workspace).code == 0
    venv = workspace / "projects" / "beta" / ".venv"
    venv.mkdir()
    result = ws("remove", "beta", "--delete-env", cwd=workspace)
    assert result.code == 2 and "ws did not build it" in result.err
    assert (venv).is_dir() and 'projects/beta"' in (workspace / "ws.toml").read_text()
    marker = {"version": 2, "origin": "created", "state": "ready", "fingerprint": {}}
    (venv / "ws-env.json").write_text(json.dumps(marker))  # what a ws build leaves
    result = ws("remove", "beta", "--delete-env", cwd=workspace)
    assert result.code == 0, result
    assert not venv.exists() and (workspace / "projects" / "beta" / "pyproject.toml").exists()
    assert 'projects/beta"' not in (workspace / "ws.toml").read_text()
    assert ws("remove", "alpha", cwd=workspace).code == 0
    assert ws("remove", "alpha", cwd=workspace).code == 2


def test_a_missing_folder_is_listed_as_missing(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "gone", cwd=workspace).code == 0
    assert ws("add", "here", cwd=workspace).code == 0
    (workspace / "projects" / "gone" / "pyproject.toml").unlink()
    for p in sorted((workspace / "projects" / "gone").rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    (workspace / "projects" / "gone").rmdir()
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 0, result
    assert "missing" in result.out and "here" in result.out
    assert "gone: project folder projects/gone is missing; restore it" in " ".join(
        result.out.split()
    )
    listed = json.loads(ws("list", "projects", "--json").out)["projects"]
    assert [(p["name"], p["problem"]) for p in listed] == [("gone", "missing"), ("here", None)]


def test_the_table_fits_the_terminal_and_never_breaks_a_path(
    workspace: Path, ws, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Too narrow for each env's reason in its cell: the reasons go under the table, whole;
    narrower still, the path that cannot fit its column goes under its row, whole."""
    path = "projects/a-team-folder-with-a-long-name"
    assert ws("add", "longish", "--path", path, cwd=workspace).code == 0
    for columns, inside in (("60", False), ("100", False), ("200", True)):
        monkeypatch.setenv("COLUMNS", columns)
        out = ws("list", "projects", cwd=workspace).out
        assert max(map(len, out.splitlines())) <= int(columns)
        assert path in out
        assert ("missing (not built yet)" in out) is inside
        assert ("longish: env missing: not built yet" in out) is not inside
        assert (f"         path: {path}" in out.splitlines()) is (columns == "60")
    monkeypatch.delenv("COLUMNS")  # piped: one row a line, each reason in its cell
    lines = ws("list", "projects", cwd=workspace).out.splitlines()
    assert lines[1].split() == ["project", "path", "owner", "python", "interpreter", "env"]
    assert lines[2].startswith(f"longish  {path}  ") and lines[2].endswith("(not built yet)")
    assert len(lines) == 3


def test_at_80_columns_every_line_fits_and_no_name_or_version_is_split(
    workspace: Path, ws, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = "teams/marketing-analytics/marketing-attribution"
    owner, request = "team-marketing-attribution", ">=3.10,<3.13"
    assert ws("add", "finance", "--owner", "team-fin", cwd=workspace).code == 0
    added = ws(
        "add", "marketing-attribution", "--path", path, "--python", request, "--owner", owner
    )
    assert added.code == 0, added
    monkeypatch.setenv("COLUMNS", "80")
    out = ws("list", "projects", cwd=workspace).out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    words = out.split()
    for whole in ("marketing-attribution", owner, request, "team-fin", "finance"):
        assert whole in words or f"owner: {whole}" in out, whole
    # the path folds only after a slash: its pieces, in order, each whole
    pieces = [p for p in re.split(r"(?<=/)", path) if p]
    assert all(any(p in line for line in lines) for p in pieces)
    header = next(i for i, line in enumerate(lines) if line.startswith("project "))
    title = "".join(line.strip() for line in lines[:header])  # folded, if at all, at "/"
    assert title.replace(" ", "") == f"acme-data({workspace})"


def test_a_toml_syntax_error_names_line_and_column(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (workspace / "ws.toml").write_text('[workspace]\nname = "x"\npython = 3.12.1\n')
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 2
    assert "ws.toml" in result.err and "line 3, column" in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_an_unknown_key_is_named_with_its_table(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (workspace / "ws.toml").write_text(
        '[workspace]\nname = "x"\n\n[[workspace.projects]]\npath = "a"\npyhton = "3.9"\n'
    )
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 2
    assert "unknown key 'pyhton' in [[workspace.projects]] path = 'a'" in result.err


def test_no_workspace_says_how_to_make_one(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("list", "projects", cwd=tmp_path)
    assert result.code == 2
    assert "no ws.toml found" in result.err and "ws init" in result.err


def test_verbose_shows_the_traceback(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("--verbose", "list", "projects", cwd=tmp_path)
    assert result.code == 2 and "Traceback" in result.err and "error: no ws.toml" in result.err


def test_an_os_error_or_a_bug_is_one_error_line(
    workspace: Path, tmp_path: Path, ws, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a-file").write_text("")
    result = ws("init", str(tmp_path / "a-file" / "sub"))
    assert result.code == 1 and result.err.startswith("error: [Errno 20] Not a directory")
    assert "Traceback" not in result.err
    # A bug in ws (the one fake: an exception ws does not expect) says so, in one line.
    from ws.envs import status as ws_status

    def buggy(projects: object) -> None:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(ws_status, "project_statuses", buggy)
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.startswith("error: unexpected ZeroDivisionError: oops; this is a bug in ws")
    assert "Traceback" in ws("--verbose", "list", "projects", cwd=workspace).err


def test_workspace_option_and_env_var(
    workspace: Path, tmp_path: Path, ws, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    assert ws("-w", str(workspace), "add", "alpha", cwd=tmp_path).code == 0
    monkeypatch.setenv("WS_WORKSPACE", str(workspace))
    assert (
        json.loads(ws("list", "projects", "--json", cwd=tmp_path).out)["projects"][0]["name"]
        == "alpha"
    )
    monkeypatch.setenv("WS_WORKSPACE", str(tmp_path))
    result = ws("list", "projects", cwd=tmp_path)
    assert result.code == 2 and "has no ws.toml" in result.err


def test_every_command_explains_itself(ws) -> None:  # type: ignore[no-untyped-def]
    for command in (["init"], ["add"], ["remove"], ["list", "projects"]):
        result = ws(*command, "--help")
        assert result.code == 0
        assert "Usage: ws" in result.out and len(result.out.splitlines()) > 5


def test_version(ws) -> None:  # type: ignore[no-untyped-def]
    from ws import __version__

    assert ws("--version").out == f"ws {__version__}\n"


def test_python_m_ws_runs_the_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ws", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("ws ")
    env = {k: v for k, v in os.environ.items() if k != "WS_WORKSPACE"}
    done = subprocess.run(
        [sys.executable, "-m", "ws", "list", "projects"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and done.stderr.startswith("error: no ws.toml found")


def test_a_broken_project_is_listed_with_its_error_and_hides_no_other(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "good", cwd=workspace).code == 0
    assert ws("add", "bad", cwd=workspace).code == 0
    with (workspace / "projects" / "bad" / "pyproject.toml").open("a") as handle:
        handle.write("garbage = [\n")
    result = ws("list", "projects", cwd=workspace)
    assert result.code == 0, result
    assert "bad (invalid)" in result.out and "good" in result.out
    assert "bad: " in result.out and "pyproject.toml is not valid TOML" in result.out
    rows = json.loads(ws("list", "projects", "--json").out)["projects"]
    assert [(r["name"], r["problem"] is None) for r in rows] == [("good", True), ("bad", False)]


# --- a new user's first hour: errors that lead somewhere --------------------------------------


def test_a_misspelt_project_name_suggests_the_close_ones(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "sales", cwd=workspace).code == 0
    result = ws("run", "salse", "--", "python", "-V", cwd=workspace)
    assert result.code == 2
    assert "did you mean sales?" in result.err and "ws add salse" not in result.err
    unknown = ws("run", "zzz", "--", "python", "-V", cwd=workspace)
    assert "add it with `ws add zzz`" in unknown.err  # nothing close: the add it may need


def test_workspace_option_takes_the_ws_toml_itself(workspace: Path, ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = ws("-w", str(workspace / "ws.toml"), "list", "projects", "--json", cwd=tmp_path)
    assert result.code == 0, result


def test_a_path_outside_the_workspace_names_the_flag_and_the_folder(  # type: ignore[no-untyped-def]
    workspace: Path, ws, tmp_path: Path
) -> None:
    before = tree_snapshot(workspace)
    result = ws("add", "x", "--path", str(tmp_path / "outside"), cwd=workspace)
    assert result.code == 2
    assert (
        f"--path {tmp_path / 'outside'}" in result.err and "ws.toml: project path" not in result.err
    )
    assert tree_snapshot(workspace) == before


def test_the_examples_take_the_python_asked_for_and_the_readme_names_no_other_project(  # type: ignore[no-untyped-def]
    tmp_path: Path, ws
) -> None:
    result = ws("init", str(tmp_path / "w"), "--example", "--python", "3.9")
    assert result.code == 0, result
    for name in ("marketing", "finance"):
        assert (tmp_path / "w" / "projects" / name / ".python-version").read_text().strip() == "3.9"
    assert "pypi.org/project/ws" not in (tmp_path / "w" / "README.md").read_text()


def test_a_project_without_a_request_says_it_gets_the_default(workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("add", "plain", cwd=workspace).code == 0
    result = ws("list", "projects", cwd=workspace)
    own = ".".join(map(str, sys.version_info[:3]))
    assert f"default ({own}, ws's own)" in result.out
    assert "(running ws)" not in result.out
