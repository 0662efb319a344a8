"""Dagster projects as they are: ws reads them through Dagster's API, each in its env, and reports
what `dg list defs` reports. Needs dagster from the registry: one env per test session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import virtualenv
from conftest import SAMPLES

from ws.loading.model import LoadTarget, LocationResult
from ws.loading.shim import load_location

pytestmark = pytest.mark.network

DG_PROJECTS = ("dagster_classic", "dagster_defs_folder")
OTHER_SAMPLES = ("dagster_import_error", "dagster_two")
DAGSTER_CONSTRAINTS = SAMPLES / "dagster-constraints.txt"  # the release line tested


@pytest.fixture(scope="session")
def dagster_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of the samples (bytecode never lands in the repository), laid out as a dg.toml
    workspace of the two good projects."""
    root = tmp_path_factory.mktemp("dagster-samples")
    for sample in DG_PROJECTS + OTHER_SAMPLES:
        shutil.copytree(SAMPLES / sample, root / sample)
    (root / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n'
        + "".join(f'\n[[workspace.projects]]\npath = "{p}"\n' for p in DG_PROJECTS)
    )
    return root


@pytest.fixture(scope="session")
def dagster_python(tmp_path_factory: pytest.TempPathFactory, dagster_samples: Path) -> Path:
    """One env for the session: dagster and dg from the registry, the samples on its path."""
    from uv import find_uv_bin

    env = tmp_path_factory.mktemp("dagster-env")
    virtualenv.cli_run([str(env), "--no-seed", "--quiet", "-p", sys.executable])
    python = env / "bin" / "python"
    install = ["pip", "install", "--quiet", "--compile-bytecode", "-c", str(DAGSTER_CONSTRAINTS)]
    install += ["dagster", "dagster-dg-cli"]
    subprocess.run(
        [find_uv_bin(), *install, "--python", str(python)],
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    site_packages = next(env.glob("lib/python*/site-packages"))
    paths = [str(dagster_samples / s / "src") for s in DG_PROJECTS + OTHER_SAMPLES]
    (site_packages / "ws_dagster_samples.pth").write_text("\n".join(paths) + "\n")
    for project in DG_PROJECTS:  # the env dg itself uses for a project (see dagster_workspace)
        (dagster_samples / project / ".env").write_text(f"DG_PROJECT_PYTHON_EXECUTABLE={python}\n")
    return python


def _load(python: Path, root: Path, module: str, attribute: str | None = None) -> LocationResult:
    target = LoadTarget(
        root.name, python, root, module, attribute, sys_path=(".",), env=python.parent.parent
    )
    return load_location(target, timeout=120)


def _dg_list_defs(python: Path, project: Path) -> dict[str, Any]:
    dg = python.parent / "dg"
    done = subprocess.run(
        [str(dg), "list", "defs", "--json"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _dg_view(document: dict[str, Any]) -> dict[str, Any]:
    def owner(o: dict[str, str]) -> str:
        return f"team:{o['team']}" if "team" in o else o["email"]

    return {
        "assets": {
            a["asset_key"]: (
                a.get("group_name"),
                sorted(a["dependency_keys"]),
                sorted(owner(o) for o in a.get("owners", [])),
                sorted(a.get("kinds", [])),
                a.get("description"),
            )
            for a in document.get("assets", [])
        },
        "checks": sorted((c["asset_key"], c["name"]) for c in document.get("asset_checks", [])),
        "jobs": sorted(j["name"] for j in document.get("jobs", [])),
        "schedules": sorted((s["name"], s["cron_schedule"]) for s in document.get("schedules", [])),
        "sensors": sorted(s["name"] for s in document.get("sensors", [])),
        "resources": sorted(r["name"] for r in document.get("resources", [])),
    }


def _ws_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "assets": {
            a["key"]: (a["group"], a["deps"], sorted(a["owners"]), a["kinds"], a["description"])
            for a in snapshot["assets"]
        },
        "checks": sorted((c["asset"], c["name"]) for c in snapshot["asset_checks"]),
        "jobs": sorted(j["name"] for j in snapshot["jobs"]),
        "schedules": sorted((s["name"], s["cron"]) for s in snapshot["schedules"]),
        "sensors": sorted(s["name"] for s in snapshot["sensors"]),
        "resources": sorted(r["name"] for r in snapshot["resources"]),
    }


@pytest.mark.parametrize("project", DG_PROJECTS)
def test_ws_reports_what_dg_list_defs_reports(
    project: str, dagster_python: Path, dagster_samples: Path
) -> None:
    root = dagster_samples / project
    expected = _dg_view(_dg_list_defs(dagster_python, root))

    result = _load(dagster_python, root, f"{project}.definitions")

    assert result.ok, result.error
    assert result.snapshot is not None
    assert _ws_view(result.snapshot.to_json()) == expected
    assert expected["assets"] and expected["jobs"] and expected["schedules"]


def test_classic_project_details(dagster_python: Path, dagster_samples: Path) -> None:
    result = _load(
        dagster_python, dagster_samples / "dagster_classic", "dagster_classic.definitions"
    )

    assert result.snapshot is not None, result.error
    snap = result.snapshot.to_json()
    assert snap["attribute"] == "defs"
    revenue = next(a for a in snap["assets"] if a["key"] == "revenue")
    assert revenue["source"] == "src/dagster_classic/assets.py:14"
    assert revenue["owners"] == ["team:analytics"] and revenue["kinds"] == ["sql"]
    assert {"name": "daily", "assets": ["raw/customers", "raw/orders", "revenue"]} in snap["jobs"]
    assert snap["schedules"] == [{"name": "nightly", "cron": "0 3 * * *", "job": "daily"}]
    assert snap["sensors"] == [{"name": "on_new_file", "job": "housekeeping"}]
    assert {"name": "warehouse", "type": "dagster_classic.resources.Warehouse"} in snap["resources"]


def test_defs_folder_project_loads_through_its_definitions_function(
    dagster_python: Path, dagster_samples: Path
) -> None:
    result = _load(
        dagster_python, dagster_samples / "dagster_defs_folder", "dagster_defs_folder.definitions"
    )

    assert result.snapshot is not None, result.error
    assert result.snapshot.attribute == "defs"
    events = result.snapshot.to_json()["assets"][0]
    assert events["key"] == "web/events"
    assert events["source"] == "src/dagster_defs_folder/defs/ingest/events.py:4"


def test_import_error_shows_the_users_frame_and_hides_dagsters(
    dagster_python: Path, dagster_samples: Path
) -> None:
    root = dagster_samples / "dagster_import_error"

    result = _load(dagster_python, root, "dagster_import_error.definitions")

    assert result.error is not None
    assert result.error.kind == "import_error"
    message, traceback = result.error.message, result.error.traceback
    assert message.startswith("dagster._core.errors.DagsterInvalidDefinitionError: ")
    assert message.endswith("(src/dagster_import_error/assets.py:4)")
    assert 'assets.py", line 4' in traceback
    assert "dagster frames hidden]" in traceback
    assert "site-packages/dagster" not in traceback


@pytest.mark.parametrize(
    ("module", "words", "names"),
    [
        ("definitions", "Definitions object defined at module scope", "`defs` and `more_defs`"),
        (
            "functions",
            "function decorated with @definitions defined at module scope",
            "`defs` and `other_defs`",
        ),
    ],
)
def test_more_than_one_is_refused_in_dagsters_words(
    module: str, words: str, names: str, dagster_python: Path, dagster_samples: Path
) -> None:
    result = _load(dagster_python, dagster_samples / "dagster_two", f"dagster_two.{module}")

    assert result.error is not None
    assert result.error.kind == "multiple_definitions"
    assert f"Cannot have more than one {words}: found {names}" in result.error.message


def test_named_attribute_picks_one(dagster_python: Path, dagster_samples: Path) -> None:
    result = _load(
        dagster_python, dagster_samples / "dagster_two", "dagster_two.functions", "other_defs"
    )

    assert result.ok and result.snapshot is not None, result.error
    assert result.snapshot.attribute == "other_defs"


def test_a_dg_workspace_lists_and_checks_as_it_is(
    dagster_python: Path,
    dagster_samples: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    listed = ws("list", "defs", "--json", cwd=dagster_samples)

    assert listed.code == 0, listed
    document = json.loads(listed.out)
    assert [loc["name"] for loc in document["locations"]] == [
        "dagster-classic",
        "dagster-defs-folder",
    ]
    for location, project in zip(document["locations"], DG_PROJECTS, strict=True):
        expected = _dg_view(_dg_list_defs(dagster_python, dagster_samples / project))
        assert _ws_view(location) == expected
    assert document["problems"] == []
    checked = ws("check", cwd=dagster_samples / "dagster_classic" / "src")
    assert checked.code == 0, checked
    assert "1 location loaded, 0 failed, 0 problems" in checked.out
    states = json.loads(ws("list", "projects", "--json", cwd=dagster_samples).out)["projects"]
    assert {row["env"] for row in states} == {"external"}
    assert not any(name.split(".")[0] == "dagster" for name in sys.modules)  # ws never imports it


def test_workspace_yaml_converts_and_loads(
    dagster_python: Path,
    dagster_samples: Path,
    tmp_path: Path,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    for project in DG_PROJECTS:
        shutil.copytree(dagster_samples / project, tmp_path / project)
    (tmp_path / "workspace.yaml").write_text(
        "load_from:\n"
        "  - python_module:\n"
        "      module_name: dagster_classic.definitions\n"
        "      working_directory: dagster_classic/src\n"
        "      location_name: classic\n"
        f"      executable_path: {dagster_python}\n"
        "  - autoload_defs_module:\n"
        "      module_name: dagster_defs_folder.defs\n"
        "      working_directory: dagster_defs_folder/src\n"
        "      location_name: web\n"
        f"      executable_path: {dagster_python}\n"
        "  - grpc_server: {host: localhost, port: 4000, location_name: remote}\n"
    )
    assert ws("init", str(tmp_path), "--from", str(tmp_path / "workspace.yaml")).code == 0

    listed = ws("list", "defs", "--json", cwd=tmp_path)

    assert listed.code == 0, listed
    classic, web = json.loads(listed.out)["locations"]
    assert (classic["name"], web["name"]) == ("classic", "web")
    assert classic["assets"][0]["source"].startswith("dagster_classic/")  # from working_directory
    assert [a["key"] for a in web["assets"]] == ["web/events", "web/sessions"]
    assert web["attribute"] == "<autoload_defs>"
