"""The snapshot model and the workspace-wide checks, on hand-written snapshots."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ws.loading.model import Asset, LoadError, LocationResult, Snapshot, SnapshotError
from ws.loading.problems import Problem, defs_document, find_problems


def snapshot(name: str, *assets: dict[str, Any], **lists: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 1,
        "name": name,
        "module": f"{name}.definitions",
        "attribute": "defs",
        "python": "3.12.1",
        "load_ms": 41,
        "assets": list(assets),
        **lists,
    }


def an_asset(key: str, *deps: str, line: int = 1) -> dict[str, Any]:
    return {"key": key, "deps": list(deps), "source": f"src/defs/{key.replace('/', '_')}.py:{line}"}


def loaded(data: dict[str, Any]) -> LocationResult:
    return LocationResult(data["name"], Snapshot.from_json(data), None)


def test_from_json_reads_the_design_example() -> None:
    data = snapshot(
        "marketing",
        {
            "key": "raw/orders",
            "group": "default",
            "deps": [],
            "owners": [],
            "description": None,
            "source": "src/marketing/defs/orders.py:12",
        },
        asset_checks=[{"name": "not_empty", "asset": "raw/orders"}],
        jobs=[{"name": "daily", "assets": ["raw/orders"]}],
        schedules=[{"name": "nightly", "cron": "0 3 * * *", "job": "daily"}],
        sensors=[{"name": "on_file", "job": "daily"}],
        resources=[{"name": "warehouse", "type": "marketing.resources.Warehouse"}],
    )

    snap = Snapshot.from_json(data)

    assert snap.assets == (Asset("raw/orders", source="src/marketing/defs/orders.py:12"),)
    assert snap.jobs[0].assets == ("raw/orders",)
    assert snap.resources[0].type == "marketing.resources.Warehouse"
    assert Snapshot.from_json(snap.to_json()) == snap


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"version": 2}, "snapshot version 2 is not 1"),
        ({"version": None}, "snapshot version None"),
        ({"load_ms": "41"}, "snapshot.load_ms should be an integer"),
        ({"assets": [{"key": 3}]}, "snapshot.assets[0].key should be a string"),
        ({"jobs": [{"name": "j", "assets": "a"}]}, "snapshot.jobs[0].assets should be a list"),
        ({"sensors": {}}, "snapshot.sensors should be a list of objects"),
    ],
)
def test_from_json_refuses_malformed_snapshots(change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SnapshotError) as caught:
        Snapshot.from_json({**snapshot("p"), **change})
    assert fragment in str(caught.value)


def test_one_key_in_two_projects_is_a_duplicate() -> None:
    marketing = snapshot("marketing", an_asset("raw/orders", line=12))
    finance = snapshot("finance", an_asset("raw/orders", line=3))

    [problem] = find_problems([loaded(marketing), loaded(finance)])

    assert problem.kind == "duplicate_asset" and problem.key == "raw/orders"
    assert problem.projects == ("marketing", "finance")
    assert "marketing (src/defs/raw_orders.py:12)" in problem.message
    assert "finance (src/defs/raw_orders.py:3)" in problem.message


def test_dependency_nobody_defines_names_project_asset_and_file() -> None:
    marketing = snapshot("marketing", an_asset("revenue", "finance/fx_rates", line=7))
    finance = snapshot("finance", an_asset("finance/budget"))

    [problem] = find_problems([loaded(marketing), loaded(finance)])

    assert problem.kind == "missing_dependency" and problem.key == "finance/fx_rates"
    assert problem.projects == ("marketing",)
    assert "asset 'revenue' in project marketing (src/defs/revenue.py:7)" in problem.message
    assert "depends on 'finance/fx_rates', which no project defines" in problem.message


def test_dependency_on_another_project_is_fine() -> None:
    marketing = snapshot("marketing", an_asset("revenue", "finance/fx_rates"))
    finance = Snapshot.from_json(snapshot("finance", an_asset("finance/fx_rates")))

    assert find_problems([loaded(marketing), finance]) == []


def test_missing_dependency_mentions_projects_that_did_not_load() -> None:
    marketing = snapshot("marketing", an_asset("revenue", "finance/fx_rates"))
    broken = LocationResult("finance", None, LoadError("import_error", "boom"))

    [problem] = find_problems([loaded(marketing), broken])

    assert problem.message.endswith("; finance did not load")


def test_schedule_or_sensor_on_a_missing_job() -> None:
    data = snapshot(
        "ops",
        jobs=[{"name": "daily", "assets": []}],
        schedules=[{"name": "nightly", "cron": "0 3 * * *", "job": "weekly"}],
        sensors=[{"name": "on_file", "job": "daily"}],
    )

    [problem] = find_problems([loaded(data)])

    assert problem.kind == "missing_job" and problem.projects == ("ops",)
    assert "schedule 'nightly' in project ops" in problem.message
    assert "targets job 'weekly'" in problem.message


def test_problem_json_shape() -> None:
    with_key = Problem("duplicate_asset", "m", ("a", "b"), "k")
    without = Problem("missing_job", "m", ("a",))

    assert with_key.to_json() == {
        "kind": "duplicate_asset",
        "message": "m",
        "projects": ["a", "b"],
        "key": "k",
    }
    assert without.to_json() == {"kind": "missing_job", "message": "m", "projects": ["a"]}


def test_document_lists_loaded_and_failed_locations() -> None:
    error = {"kind": "timeout", "message": "finance.definitions did not load within 60 s"}
    results = [
        loaded(snapshot("marketing", an_asset("revenue", "finance/fx_rates"))),
        LocationResult("finance", None, LoadError(**error)),
    ]

    document = json.loads(json.dumps(defs_document(results)))

    assert document["version"] == 1
    first, second = document["locations"]
    assert first["status"] == "loaded" and first["name"] == "marketing"
    assert first["assets"][0]["key"] == "revenue"
    assert second == {"name": "finance", "status": "error", "error": error}
    assert [p["kind"] for p in document["problems"]] == ["missing_dependency"]
