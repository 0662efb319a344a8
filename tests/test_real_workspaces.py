"""Envs that stay right on the workspaces teams have: dg.toml as it is, envs uv made, uv.lock
and default groups, local libraries, a failed sync that costs nothing, edits that mean nothing.

Real envs and real uv, offline (local wheels); each test builds the small workspace it needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from backend.samples import write_defs_project, write_project, write_wheels, write_workspace
from conftest import WsResult, other_python, tree_snapshot
from uv import find_uv_bin

from ws.envs.environment import Environment, read_marker
from ws.envs.prune import prune_environments
from ws.envs.state import environment_state
from ws.envs.sync import sync_projects
from ws.loading.cache import source_key
from ws.pythons.discovery import running_interpreter
from ws.workspace.model import Workspace
from ws.workspace.ws_toml import open_workspace, read_workspace

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]

DEFS = """\
from ws_defs import Definitions, asset


@asset
def {key}():
    return 1


defs = Definitions(assets=[{key}])
"""


def _sync(
    workspace: Workspace, *names: str, reinstall: bool = False, compile_bytecode: bool = False
) -> dict[str, str]:
    projects = [workspace.project(n) for n in names] if names else list(workspace.projects)
    report = sync_projects(
        workspace, projects, jobs=2, reinstall=reinstall, compile_bytecode=compile_bytecode
    )
    return {
        r.name: r.status if r.error is None else f"{r.status}: {r.error}" for r in report.results
    }


def _python(venv: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True)


def _uv(*args: str, cwd: Path) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([find_uv_bin(), *args], cwd=cwd, env=env, check=True, capture_output=True)


def _add_dependency(pyproject: Path, dependency: str) -> None:
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace("dependencies = [\n", f'dependencies = [\n    "{dependency}",\n')
    )


# --- a dg.toml workspace, as it is ------------------------------------------------------------


def _dg_workspace(root: Path) -> Path:
    """Two dg projects (`[tool.dg.project]`) listed in a dg.toml, no ws.toml; ws-defs inside."""
    for name in ("ingest", "marts"):
        folder = write_defs_project(root / "projects" / name, name, DEFS.format(key=name))
        with (folder / "pyproject.toml").open("a") as handle:
            handle.write(
                f'\n[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{name}"\n'
            )
    (root / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n\n'
        '[[workspace.projects]]\npath = "projects/ingest"\n\n'
        '[[workspace.projects]]\npath = "projects/marts"\n'
    )
    return root


def test_a_dg_toml_workspace_is_synced_and_listed_as_it_is(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    root = _dg_workspace(tmp_path / "platform")
    before = tree_snapshot(root)

    synced: WsResult = ws("sync", "--offline", cwd=root)
    listed: WsResult = ws("list", "defs", "--json", cwd=root)

    assert synced.code == 0, synced
    assert "2 created" in synced.out
    for name in ("ingest", "marts"):
        venv = root / "projects" / name / ".venv"  # where dg and Dagster look
        assert (venv / "bin" / "python").exists() and read_marker(venv) is not None
    assert listed.code == 0, listed
    keys = {
        loc["name"]: [a["key"] for a in loc["assets"]]
        for loc in json.loads(listed.out)["locations"]
    }
    assert keys == {"ingest": ["ingest"], "marts": ["marts"]}
    assert not (root / "ws.toml").exists()  # nothing converted: dg.toml stays the source
    changed = {k for k, v in tree_snapshot(root).items() if before.get(k) != v}
    assert all(".venv/" in k or k.startswith(".ws/") for k in changed), changed


def test_only_a_named_interpreter_is_external_and_a_missing_one_fails_the_sync(
    tmp_path: Path,
) -> None:
    root = _dg_workspace(tmp_path / "platform")
    (root / "projects" / "marts" / ".env").write_text(
        "DG_PROJECT_PYTHON_EXECUTABLE=envs/gone/bin/python\n"
    )
    workspace = open_workspace(cwd=root)

    statuses = _sync(workspace)

    assert workspace.project("ingest").external_python is None
    assert statuses["ingest"] == "created"
    assert statuses["marts"].startswith("failed: marts uses the external interpreter")
    assert "envs/gone/bin/python, which does not exist" in statuses["marts"]


# --- an env uv made is taken over, never replaced ---------------------------------------------


@pytest.fixture
def one_project(tmp_path: Path) -> Workspace:
    write_project(tmp_path / "app", "app", dependencies=["tinydep"], groups={"dev": ["groupdep"]})
    write_workspace(tmp_path, [{"path": "app"}])
    return read_workspace(tmp_path)


def test_an_env_uv_made_is_adopted_in_place_and_never_pruned(one_project: Workspace) -> None:
    app = one_project.project("app")
    _uv(
        "venv", "--quiet", "--python", running_interpreter().executable, str(app.venv), cwd=app.root
    )
    inode = os.stat(app.venv).st_ino

    assert Environment(app, running_interpreter()).plan().origin == "adopted"
    assert _sync(one_project) == {"app": "updated"}

    marker = read_marker(app.venv)
    assert marker is not None and marker.origin == "adopted" and marker.ready
    assert os.stat(app.venv).st_ino == inode  # the same folder, brought to ws's state in place
    assert _python(app.venv, "import tinydep, groupdep").returncode == 0  # uv's default group too
    write_workspace(one_project.root, [])  # the project leaves the workspace
    pruned = prune_environments(read_workspace(one_project.root))
    assert app.venv in pruned.kept and app.venv.is_dir()  # ws did not create it: never deleted


def test_an_env_uv_made_keeps_its_python_while_that_meets_a_range(tmp_path: Path) -> None:
    """`create-dagster` asks `requires-python = ">=3.10,<3.15"` and `uv sync` picks a Python;
    ws keeps that one (as uv would) rather than refusing for not being the newest."""
    app = write_project(tmp_path / "app", "app", dependencies=["tinydep"])
    pyproject = app / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'version = "0.1"', 'version = "0.1"\nrequires-python = ">=3.8"'
        )
    )
    write_workspace(tmp_path, [{"path": "app"}])
    workspace = read_workspace(tmp_path)
    mine = running_interpreter()
    _uv("venv", "--quiet", "--python", mine.executable, str(app / ".venv"), cwd=app)

    assert _sync(workspace) == {"app": "updated"}
    marker = read_marker(app / ".venv")
    assert marker is not None and marker.origin == "adopted"
    assert marker.fingerprint["interpreter"]["version"] == mine.version


def test_an_env_on_another_python_is_left_alone_unless_reinstall_names_it(
    one_project: Workspace,
) -> None:
    version, python = other_python()
    app = one_project.project("app")
    _uv("venv", "--quiet", "--python", str(python), str(app.venv), cwd=app.root)
    cfg = (app.venv / "pyvenv.cfg").read_bytes()

    refused = _sync(one_project)["app"]

    assert (
        refused.startswith("failed: ") and f"made by another tool with Python {version}" in refused
    )
    assert "ws sync --reinstall app" in refused
    assert (app.venv / "pyvenv.cfg").read_bytes() == cfg  # untouched
    assert environment_state(app, running_interpreter()).state == "stale"  # it still works
    assert _sync(one_project, "app", reinstall=True) == {"app": "created"}
    marker = read_marker(app.venv)
    assert marker is not None and marker.origin == "created"


def test_an_env_changed_outside_ws_reads_stale_and_the_next_sync_repairs_it(
    one_project: Workspace,
) -> None:
    app = one_project.project("app")
    assert _sync(one_project) == {"app": "created"}
    _uv(
        "pip",
        "uninstall",
        "--quiet",
        "--python",
        str(app.venv / "bin" / "python"),
        "groupdep",
        cwd=app.root,
    )

    state = environment_state(app, running_interpreter())

    assert (state.state, state.reason) == ("stale", "changed outside ws")
    assert _sync(one_project) == {"app": "updated"}
    assert _python(app.venv, "import groupdep").returncode == 0


# --- a failed sync never costs a working env --------------------------------------------------


def test_a_failed_resolution_leaves_the_env_working_and_a_revert_is_a_no_op(
    one_project: Workspace,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    app = one_project.project("app")
    assert _sync(one_project) == {"app": "created"}
    pyproject = app.root / "pyproject.toml"
    good = pyproject.read_text()
    marker = (app.venv / "ws-env.json").read_bytes()
    _add_dependency(pyproject, "nosuchpkg>=1")

    failed: WsResult = ws("sync", cwd=one_project.root)
    listed: WsResult = ws("list", "projects", "--json", cwd=one_project.root)
    out = app.root / "ran.txt"
    ran: WsResult = ws(
        "run",
        "app",
        "--",
        "python",
        "-c",
        f"import tinydep; open({str(out)!r}, 'w').write('ok')",
        cwd=one_project.root,
    )

    assert failed.code == 1 and "nosuchpkg" in failed.err
    assert (app.venv / "ws-env.json").read_bytes() == marker  # uv installed nothing
    [row] = json.loads(listed.out)["projects"]
    assert row["env"] == "stale" and row["env_reason"].startswith("last sync failed:")
    assert "nosuchpkg" in row["env_reason"]
    assert ran.code == 0 and out.read_text() == "ok"  # used as last built
    assert "warning: app: the last sync failed" in ran.err
    pyproject.write_text(good)
    assert _sync(one_project) == {"app": "unchanged"}
    assert environment_state(app, running_interpreter()).state == "ready"


def test_a_recreation_that_fails_puts_the_working_env_back(
    tmp_path: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    """A new interpreter recreates the env; when that fails, the env that worked is back where
    it was, untouched, used with a warning, and reverting the change is a no-op."""
    version, _ = other_python()
    write_project(tmp_path / "app", "app", dependencies=["tinydep"])
    write_workspace(tmp_path, [{"path": "app"}])
    app = read_workspace(tmp_path).project("app")
    assert _sync(read_workspace(tmp_path)) == {"app": "created"}
    marker = (app.venv / "ws-env.json").read_bytes()
    files = tree_snapshot(app.venv)
    pyproject = app.root / "pyproject.toml"
    good = pyproject.read_text()
    _add_dependency(pyproject, "nosuchpkg>=1")
    write_workspace(tmp_path, [{"path": "app", "python": version}])

    failed: WsResult = ws("sync", cwd=tmp_path)
    assert failed.code == 1 and "nosuchpkg" in failed.err, failed.err
    assert "The env as it was is kept" in failed.err
    assert (app.venv / "ws-env.json").read_bytes() == marker
    assert tree_snapshot(app.venv) == files  # the same env, byte for byte
    assert sorted(p.name for p in tmp_path.joinpath("app").iterdir() if "venv" in p.name) == [
        ".venv"
    ]  # nothing left beside it
    ran: WsResult = ws("run", "app", "--", "python", "-c", "import tinydep", cwd=tmp_path)
    assert ran.code == 0 and "warning: app: the last sync failed" in ran.err

    pyproject.write_text(good)
    write_workspace(tmp_path, [{"path": "app"}])
    assert _sync(read_workspace(tmp_path)) == {"app": "unchanged"}


def test_a_recreation_cut_short_is_recovered_by_the_next_sync(tmp_path: Path) -> None:
    """ws killed mid-recreation leaves the kept env beside a half-built one: the next sync puts
    the kept one back before it builds."""
    write_project(tmp_path / "app", "app", dependencies=["tinydep"])
    write_workspace(tmp_path, [{"path": "app"}])
    app = read_workspace(tmp_path).project("app")
    assert _sync(read_workspace(tmp_path)) == {"app": "created"}
    kept = app.venv.with_name(".venv.ws-previous")
    app.venv.rename(kept)
    app.venv.mkdir()  # what virtualenv had begun
    (app.venv / "pyvenv.cfg").write_text("home = /nowhere\n")
    assert _sync(read_workspace(tmp_path), reinstall=True) == {"app": "created"}
    assert not kept.exists()
    assert _python(app.venv, "import tinydep").returncode == 0


def test_a_project_that_never_had_a_good_env_fails_as_before(tmp_path: Path) -> None:
    write_project(tmp_path / "app", "app", dependencies=["nosuchpkg>=1"])
    write_workspace(tmp_path, [{"path": "app"}])
    workspace = read_workspace(tmp_path)

    assert _sync(workspace)["app"].startswith("failed: ")
    assert environment_state(workspace.project("app"), running_interpreter()).state == "failed"


# --- the fingerprint reads meaning, not bytes -------------------------------------------------


def test_a_comment_or_a_reformat_changes_nothing_but_a_new_script_does(
    one_project: Workspace,
) -> None:
    app = one_project.project("app")
    assert _sync(one_project) == {"app": "created"}
    pyproject = app.root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text("# the team's note\n" + text.replace("\n\n", "\n\n\n").replace(" = ", "="))

    assert (
        Environment(read_workspace(one_project.root).project("app"), running_interpreter())
        .plan()
        .action
        == "none"
    )
    pyproject.write_text(text + '\n[project.scripts]\napp-hello = "app:main"\n')
    plan = Environment(
        read_workspace(one_project.root).project("app"), running_interpreter()
    ).plan()
    assert (plan.action, plan.reason) == ("update", "pyproject.toml changed")


# --- ws run where the project is --------------------------------------------------------------


def test_ws_run_runs_in_the_project_folder_here_and_by_default(
    one_project: Workspace,
    tmp_path: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    assert _sync(one_project) == {"app": "created"}
    app = one_project.project("app")
    record = tmp_path / "cwd.txt"
    where = f"import os; open({str(record)!r}, 'w').write(os.getcwd())"

    assert ws("run", "app", "--", "python", "-c", where, cwd=one_project.root).code == 0
    assert record.read_text() == str(app.root)
    assert ws("run", "--here", "app", "--", "python", "-c", where, cwd=one_project.root).code == 0
    assert record.read_text() == str(one_project.root)
    inside = app.root / "src"
    assert ws("run", "--", "python", "-c", where, cwd=inside).code == 0  # the project you stand in
    assert record.read_text() == str(app.root)
    outside: WsResult = ws("run", "--", "python", "-V", cwd=one_project.root)
    assert outside.code == 2 and "name one: `ws run NAME -- CMD`" in outside.err


def test_a_python_script_from_outside_the_env_runs_with_a_warning(
    one_project: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    # `ws run app -- pytest` where the env has no pytest: a global one runs on its own Python
    assert _sync(one_project) == {"app": "created"}
    tools = tmp_path / "tools"
    tools.mkdir()
    record = tmp_path / "ran.txt"
    (tools / "globaltool").write_text(
        f"#!{sys.executable}\nopen({str(record)!r}, 'w').write('ran')\n"
    )
    (tools / "shelltool").write_text("#!/bin/sh\nexit 0\n")
    for script in tools.iterdir():
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")

    result: WsResult = ws("run", "app", "--", "globaltool", cwd=one_project.root)
    assert result.code == 0 and record.read_text() == "ran"
    assert "warning: globaltool is not in the env" in result.err
    assert "add globaltool to the project's dependencies" in result.err
    quiet: WsResult = ws("run", "app", "--", "shelltool", cwd=one_project.root)
    assert quiet.code == 0 and quiet.err == ""  # not a Python script: nothing to say
    inside: WsResult = ws("run", "app", "--", "python", "-c", "pass", cwd=one_project.root)
    assert inside.code == 0 and inside.err == ""
    shims = tmp_path / "pyenv" / "shims"  # a pyenv shim is a shell script, for a Python's tool
    shims.mkdir(parents=True)
    (shims / "shimtool").write_text("#!/usr/bin/env bash\nexit 0\n")
    (shims / "shimtool").chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    shimmed: WsResult = ws("run", "app", "--", "shimtool", cwd=one_project.root)
    assert shimmed.code == 0 and "warning: shimtool is not in the env" in shimmed.err
    # a path is the project folder's, where the command runs, not the folder ws was called in
    (one_project.root / "app" / "bin").mkdir()
    local = one_project.root / "app" / "bin" / "tool.sh"
    local.write_text(f"#!/bin/sh\necho local > {record}\n")
    local.chmod(0o755)
    assert ws("run", "app", "--", "bin/tool.sh", cwd=one_project.root).code == 0
    assert record.read_text().strip() == "local"


def test_a_command_that_shares_a_project_name_runs_in_the_project_you_stand_in(
    tmp_path: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    write_project(tmp_path / "app", "app", dependencies=["tinydep"])
    write_project(tmp_path / "python", "python")  # a project named like the command
    write_workspace(tmp_path, [{"path": "app"}, {"path": "python"}])
    workspace = read_workspace(tmp_path)
    assert _sync(workspace, "app") == {"app": "created"}
    record = tmp_path / "which.txt"

    result = ws(
        "run",
        "--",
        "python",
        "-c",
        f"import sys; open({str(record)!r}, 'w').write(sys.prefix)",
        cwd=tmp_path / "app",
    )

    assert result.code == 0, result
    assert record.read_text() == str(tmp_path / "app" / ".venv")


# --- local libraries --------------------------------------------------------------------------


@pytest.fixture
def with_library(tmp_path: Path) -> Workspace:
    """projects/app depends on libs/common by path (editable), as teams share code."""
    write_project(tmp_path / "libs" / "common", "common")
    app = write_project(tmp_path / "projects" / "app", "app", dependencies=["common"])
    with (app / "pyproject.toml").open("a") as handle:
        handle.write(
            '\n[tool.uv.sources]\ncommon = { path = "../../libs/common", editable = true }\n'
        )
    write_workspace(tmp_path, [{"path": "projects/app"}])
    return read_workspace(tmp_path)


def test_a_library_is_part_of_the_project_that_uses_it(with_library: Workspace, ws) -> None:  # type: ignore[no-untyped-def]
    app = with_library.project("app")
    [common] = app.libraries
    assert (common.name, common.path, common.editable) == (
        "common",
        with_library.root / "libs" / "common",
        True,
    )
    assert _sync(with_library) == {"app": "created"}
    assert _python(app.venv, "import common").returncode == 0
    listed: WsResult = ws("list", "projects", "--json", cwd=with_library.root)
    assert json.loads(listed.out)["projects"][0]["libraries"] == [
        {"name": "common", "path": "libs/common", "editable": True}
    ]
    key = source_key(app)

    _add_dependency(common.path / "pyproject.toml", "tinydep")  # a new dependency of the library
    (common.path / "src" / "common" / "extra.py").write_text("X = 1\n")  # and new code

    fresh = read_workspace(with_library.root).project("app")
    plan = Environment(fresh, running_interpreter()).plan()
    assert (plan.action, plan.reason) == ("update", "library common: pyproject.toml changed")
    assert source_key(fresh) != key  # the snapshot cache sees the library's code
    assert _sync(read_workspace(with_library.root)) == {"app": "updated"}
    assert _python(app.venv, "import tinydep").returncode == 0


def test_a_missing_library_path_is_one_error_naming_the_project_file_and_path(
    with_library: Workspace,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    pyproject = with_library.root / "projects" / "app" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("../../libs/common", "../../libs/gone"))

    result: WsResult = ws("sync", cwd=with_library.root)

    assert result.code == 1
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert str(pyproject) in line and "'common'" in line
    assert str(with_library.root / "libs" / "gone") in line and "does not exist" in line


# --- a uv workspace: one lock, an env per member ----------------------------------------------


def test_a_uv_workspace_member_gets_its_own_env_from_the_workspace_lock(
    tmp_path: Path, uv_offline: dict[str, str]
) -> None:
    root = tmp_path / "mono"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    write_project(root / "packages" / "common", "common", dependencies=["tinydep"])
    app = write_project(root / "packages" / "app", "app", dependencies=["common"])
    with (app / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.uv.sources]\ncommon = { workspace = true }\n")
    links = write_wheels(tmp_path / "links-v1", {"tinydep": ["1.0"]})  # the lock pins 1.0
    env = {**os.environ, "UV_FIND_LINKS": str(links), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [find_uv_bin(), "lock", "--quiet", "--python", sys.executable],
        cwd=root,
        env=env,
        check=True,
    )
    write_workspace(root, [{"path": "packages/app"}])
    workspace = read_workspace(root)

    assert _sync(workspace) == {"app": "created"}

    venv = workspace.project("app").venv
    assert _python(venv, "import tinydep; print(tinydep.VERSION)").stdout.strip() == "1.0"
    assert _python(venv, "import common").returncode == 0  # the member it depends on
    assert [lib.name for lib in workspace.project("app").libraries] == ["common"]


# --- bytecode: made by the first load, not for every file at sync -----------------------------


def _pycs(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python*/site-packages/tinydep/__pycache__/*.pyc"))


def test_a_sync_compiles_nothing_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UV_COMPILE_BYTECODE", raising=False)
    write_project(tmp_path / "lazy", "lazy", dependencies=["tinydep"])
    eager = write_project(tmp_path / "eager", "eager", dependencies=["tinydep"])
    with (eager / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.ws]\ncompile-bytecode = true\n")
    write_workspace(tmp_path, [{"path": "lazy"}, {"path": "eager"}])
    workspace = read_workspace(tmp_path)

    assert _sync(workspace) == {"lazy": "created", "eager": "created"}

    assert _pycs(tmp_path / "lazy" / ".venv") == []  # the first import writes what it needs
    assert _pycs(tmp_path / "eager" / ".venv") != []  # images, CI, read-only envs: all of it


def test_compile_bytecode_asked_for_later_compiles_an_env_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ws
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("UV_COMPILE_BYTECODE", raising=False)
    write_project(tmp_path / "app", "app", dependencies=["tinydep"])
    write_workspace(tmp_path, [{"path": "app"}])
    venv = tmp_path / "app" / ".venv"
    assert _sync(read_workspace(tmp_path)) == {"app": "created"}
    assert _pycs(venv) == []

    # `ws sync --compile-bytecode` on an up-to-date env: an update that compiles every file
    result = ws("sync", "--compile-bytecode", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "updated" in result.out and "bytecode for every file asked for" in result.out
    assert _pycs(venv) != []
    # done once: neither asking again nor a plain sync does anything
    assert _sync(read_workspace(tmp_path), compile_bytecode=True) == {"app": "unchanged"}
    assert _sync(read_workspace(tmp_path)) == {"app": "unchanged"}
    # uv's own variable asks the same, for every project; read commands never judge bytecode
    write_project(tmp_path / "other", "other", dependencies=["tinydep"])
    write_workspace(tmp_path, [{"path": "app"}, {"path": "other"}])
    assert _sync(read_workspace(tmp_path), "other") == {"other": "created"}
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    listed = ws("list", "projects", "--json", cwd=tmp_path)
    assert {p["name"]: p["env"] for p in json.loads(listed.out)["projects"]} == {
        "app": "ready",
        "other": "ready",
    }
    assert _sync(read_workspace(tmp_path)) == {"app": "unchanged", "other": "updated"}
    assert _pycs(tmp_path / "other" / ".venv") != []
