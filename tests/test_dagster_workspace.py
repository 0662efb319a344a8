"""Dagster's workspace files without Dagster: a dg.toml workspace read as it is, and
`ws init --from` turning a dg.toml or a workspace.yaml into ws.toml. No network, no envs built
(tests/test_real_workspaces.py builds a dg.toml workspace's envs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import tree_snapshot

from ws.envs.environment import env_root
from ws.errors import ConfigError
from ws.workspace.model import Workspace
from ws.workspace.ws_toml import open_workspace, read_workspace

DG_PROJECT = """[project]
name = "{name}"
version = "0.1.0"
dependencies = ["dagster"]

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{module}"
{extra}
"""


def _dg_project(folder: Path, name: str, extra: str = "") -> Path:
    module = name.replace("-", "_")
    (folder / "src" / module).mkdir(parents=True)
    (folder / "src" / module / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text(DG_PROJECT.format(name=name, module=module, extra=extra))
    return folder


@pytest.fixture
def dg_workspace(tmp_path: Path) -> Path:
    """What `create-dagster workspace` + `create-dagster project` lay out, plus a few settings."""
    root = tmp_path / "platform"
    projects = root / "projects"
    _dg_project(projects / "ingest", "ingest")
    _dg_project(
        projects / "marts",
        "marts",
        'code_location_name = "analytics"\ncode_location_target_module = "marts.defs_main"',
    )
    (projects / "marts" / ".env").write_text(
        'DG_PROJECT_PYTHON_EXECUTABLE="../../envs/marts/bin/python"\n'
    )
    legacy = projects / "legacy"
    legacy.mkdir()
    (legacy / "pyproject.toml").write_text(
        '[project]\nname = "legacy-jobs"\nversion = "1"\n\n'
        '[tool.dagster]\nmodule_name = "legacy.repo"\ncode_location_name = "legacy"\n'
    )
    (root / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n\n'
        + "".join(
            f'[[workspace.projects]]\npath = "projects/{p}"\n\n'
            for p in ("ingest", "marts", "legacy")
        )
    )
    return root


def test_a_dg_workspace_is_read_as_it_is(dg_workspace: Path) -> None:
    workspace = open_workspace(cwd=dg_workspace / "projects" / "marts" / "src")

    assert workspace.root == dg_workspace.resolve()
    assert workspace.config_path == dg_workspace.resolve() / "dg.toml"
    ingest, marts, legacy = workspace.projects
    assert (ingest.name, ingest.module, ingest.problem) == ("ingest", "ingest.definitions", None)
    assert ingest.external_python is None  # ws builds its env, where dg looks:
    assert ingest.venv == ingest.root / ".venv"
    assert ingest.sys_path == (".",)  # Dagster imports from the project folder
    assert (marts.name, marts.module) == ("analytics", "marts.defs_main")
    assert marts.external_python == dg_workspace.resolve() / "envs" / "marts" / "bin" / "python"
    assert env_root(marts) == dg_workspace.resolve() / "envs" / "marts"  # ws run activates it
    assert (legacy.name, legacy.module, legacy.problem) == ("legacy", "legacy.repo", None)


def test_a_dg_workspace_refuses_two_projects_with_one_location_name(dg_workspace: Path) -> None:
    legacy = dg_workspace / "projects" / "legacy" / "pyproject.toml"
    legacy.write_text(legacy.read_text().replace('"legacy"', '"analytics"'))

    with pytest.raises(ConfigError) as caught:
        open_workspace(cwd=dg_workspace)

    assert str(caught.value) == (
        f"{dg_workspace.resolve() / 'dg.toml'}: projects 'projects/marts' and 'projects/legacy' "
        "clash (both are 'analytics'); give one a different code_location_name in "
        "[tool.dg.project]."
    )


def test_ws_toml_wins_over_dg_toml(dg_workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (dg_workspace / "ws.toml").write_text('[workspace]\nname = "mine"\n')

    workspace = open_workspace(cwd=dg_workspace / "projects" / "ingest")

    assert (workspace.name, workspace.projects, workspace.config_name) == ("mine", (), "ws.toml")


def test_read_commands_work_in_a_dg_workspace_and_edits_are_refused(dg_workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    listed = ws("list", "projects", "--json", cwd=dg_workspace)
    assert listed.code == 0, listed
    rows = {row["name"]: row for row in json.loads(listed.out)["projects"]}
    assert set(rows) == {"ingest", "analytics", "legacy"}
    assert {n: row["env"] for n, row in rows.items()} == {
        "ingest": "missing",  # ws sync builds it
        "analytics": "external",  # its .env names the interpreter
        "legacy": "missing",
    }

    defs = ws("list", "defs", "--json", cwd=dg_workspace)  # no env exists yet: each says so
    assert defs.code == 1, defs
    errors = {loc["name"]: loc["error"] for loc in json.loads(defs.out)["locations"]}
    assert errors["ingest"]["kind"] == "env_missing"
    assert "ws sync ingest" in errors["ingest"]["message"]
    assert "ws never builds an external one" in errors["analytics"]["message"]

    before = tree_snapshot(dg_workspace)
    added = ws("add", "other", cwd=dg_workspace)
    assert added.code == 2 and "ws init --from" in added.err
    assert tree_snapshot(dg_workspace) == before


def test_init_from_dg_toml_keeps_each_project_and_its_location_name(dg_workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("init", str(dg_workspace), "--from", str(dg_workspace / "dg.toml"))

    assert result.code == 0, result
    assert "added project analytics at projects/marts" in result.out
    workspace = read_workspace(dg_workspace)
    names = {p.path: (p.name, p.module, p.external_python) for p in workspace.projects}
    assert names == {
        "projects/ingest": ("ingest", "ingest.definitions", None),  # ws builds its env now
        "projects/marts": ("analytics", "marts.defs_main", None),
        "projects/legacy": ("legacy", "legacy.repo", None),
    }
    text = (dg_workspace / "ws.toml").read_text()
    assert text.startswith("# ws workspace") and 'name = "analytics"' in text


WORKSPACE_YAML = """
load_from:
  - python_module:
      module_name: shop.definitions
      attribute: defs
      working_directory: projects/shop
      location_name: shop_prod
  - python_file:
      relative_path: projects/scripts/jobs/nightly.py
      working_directory: projects/scripts
      executable_path: {env: SCRIPTS_PYTHON}
  - python_package:
      package_name: crm
      working_directory: projects/crm
      executable_path: projects/crm/.venv/bin/python
  - autoload_defs_module:
      module_name: web.defs
      working_directory: projects/web
  - grpc_server:
      host: localhost
      port: 4266
      location_name: remote_team
  - python_module:
      module_name: other.definitions
      working_directory: projects/shop
  - python_module:
      module_name: missing.definitions
      working_directory: projects/missing
      executable_path: {env: NOT_SET_ANYWHERE}
"""


def test_init_from_workspace_yaml(tmp_path: Path, ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "oss"
    for name in ("shop", "web"):
        _dg_project(root / "projects" / name, name)
    (root / "projects" / "scripts" / "jobs").mkdir(parents=True)  # no pyproject: an external env
    (root / "projects" / "crm").mkdir(parents=True)
    (root / "workspace.yaml").write_text(WORKSPACE_YAML)
    monkeypatch.setenv("SCRIPTS_PYTHON", "/opt/envs/scripts/bin/python")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)

    result = ws("init", str(root), "--from", str(root / "workspace.yaml"))

    assert result.code == 0, result
    assert "grpc_server 'remote_team'" in result.err and "not supported" in result.err
    assert "shares the folder 'projects/shop'" in result.err
    assert "NOT_SET_ANYWHERE" in result.err
    workspace = read_workspace(root)
    shop, scripts, crm, web = workspace.projects
    assert (shop.name, shop.module, shop.settings.attribute) == (
        "shop-prod",
        "shop.definitions",
        "defs",
    )
    assert (scripts.module, scripts.problem) == ("jobs.nightly", None)
    assert scripts.external_python == Path("/opt/envs/scripts/bin/python")
    assert crm.module == "crm"
    assert crm.external_python == crm.root / ".venv" / "bin" / "python"
    assert (web.module, web.settings.attribute) == ("web.defs", "<autoload_defs>")
    assert all(p.sys_path == (".",) for p in workspace.projects)
    text = (root / "ws.toml").read_text()
    assert 'external_python = ".venv/bin/python"' in text  # relative to the project: portable


def test_init_from_refuses_clashing_names_and_writes_nothing(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "clash"
    for name in ("a", "b"):
        _dg_project(root / name, name)
    (root / "workspace.yaml").write_text(
        "load_from:\n"
        "  - python_module: {module_name: a.definitions, working_directory: a, location_name: x}\n"
        "  - python_module: {module_name: b.definitions, working_directory: b, location_name: x}\n"
    )
    before = tree_snapshot(root)

    result = ws("init", str(root), "--from", str(root / "workspace.yaml"))

    assert result.code == 2 and "would both be project 'x'" in result.err
    assert tree_snapshot(root) == before


def test_init_from_names_a_module_only_entry_after_its_top_package(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "mkt"
    (root / "marketing").mkdir(parents=True)
    _dg_project(root / "ops", "ops-jobs")
    (root / "workspace.yaml").write_text(
        "load_from:\n"
        "  - python_module: marketing.definitions\n"
        "  - python_module: {module_name: ops_jobs.defs, working_directory: ops}\n"
    )

    result = ws("init", str(root), "--from", str(root / "workspace.yaml"))

    assert result.code == 0, result
    assert "added project marketing at ." in result.out
    assert "added project ops-jobs at ops" in result.out  # its pyproject.toml names it
    names = [(p.name, p.path) for p in read_workspace(root).projects]
    assert names == [("marketing", "."), ("ops-jobs", "ops")]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "python_module: _private.definitions",
            "entry 1 (python_module _private.definitions) has no location_name, and its "
            "module's top package '_private' is not a valid project name",
        ),
        (
            "python_module: {module_name: a.defs, location_name: my location}",
            "entry 1 (python_module a.defs) has location_name 'my location', which is not a "
            "valid project name",
        ),
    ],
)
def test_init_from_refuses_an_entry_it_cannot_name_and_writes_nothing(
    tmp_path: Path, ws, item: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "unnamed"
    root.mkdir()
    (root / "workspace.yaml").write_text(f"load_from:\n  - {item}\n")
    before = tree_snapshot(root)

    result = ws("init", str(root), "--from", str(root / "workspace.yaml"))

    assert result.code == 2, result
    assert result.err.startswith(f"error: {root / 'workspace.yaml'}: {message}")
    assert "give the entry one, e.g. `location_name: " in result.err
    assert tree_snapshot(root) == before


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("workspace.yaml", "load_from: [\n", "is not valid YAML"),
        ("workspace.yaml", "projects: []\n", "has no `load_from:` list"),
        ("dg.toml", 'directory_type = "project"\n', "is not a Dagster workspace file"),
        ("setup.cfg", "", "neither a dg.toml nor a workspace.yaml"),
    ],
)
def test_init_from_a_bad_file_says_what_is_wrong(
    tmp_path: Path, ws, name: str, text: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_text(text)

    result = ws("init", str(tmp_path / "new"), "--from", str(tmp_path / name))

    assert result.code == 2 and message in result.err, result
    assert not (tmp_path / "new").exists()


def test_external_env_is_never_deleted_by_remove(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    project = _dg_project(tmp_path / "p", "p")
    (tmp_path / "ws.toml").write_text(
        '[workspace]\nname = "w"\n\n[[workspace.projects]]\npath = "p"\nexternal_python = "/opt/p/bin/python"\n'
    )
    workspace: Workspace = read_workspace(tmp_path)
    assert workspace.projects[0].external_python == Path("/opt/p/bin/python")

    result = ws("remove", "p", "--delete-env", cwd=tmp_path)

    assert result.code == 2 and "external" in result.err
    assert project.is_dir()


def test_sync_never_builds_an_external_env_and_a_missing_one_fails(dg_workspace: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result = ws("sync", "analytics", "--json", cwd=dg_workspace)

    assert result.code == 1, result  # never exit 0 with an env missing
    [row] = json.loads(result.out)["projects"]
    assert row["status"] == "failed"
    assert "external interpreter" in row["error"] and "envs/marts/bin/python" in row["error"]
    assert not (dg_workspace / "envs").exists()
    record = dg_workspace / ".ws" / "envs.json"
    assert not record.exists() or json.loads(record.read_text())["environments"] == []


def test_run_uses_an_external_env_as_it_is(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    _dg_project(tmp_path / "p", "p")
    python = Path(sys.executable)  # the suite's own env: one ws did not build
    (tmp_path / "ws.toml").write_text(
        f'[workspace]\nname = "w"\n\n[[workspace.projects]]\npath = "p"\nexternal_python = "{python}"\n'
    )
    check = f"import sys; sys.exit(0 if sys.prefix == {sys.prefix!r} else 3)"

    result = ws("run", "p", "--", "python", "-c", check, cwd=tmp_path)

    assert result.code == 0, result
    assert not (python.parent.parent / "ws-env.json").exists()
