"""The ws_defs SDK in-process: decorators, keys, validation, snapshots, from_package."""

from __future__ import annotations

import ast
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, pyenv_pythons

import ws_defs
from ws.loading.model import Snapshot
from ws_defs import (
    Definitions,
    DefinitionsError,
    asset,
    asset_check,
    job,
    schedule,
    sensor,
)

SDK = REPO / "src" / "ws_defs"
THIS_FILE = "tests/test_ws_defs.py"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources are shown relative to the current directory (the project root under ws)."""
    monkeypatch.chdir(REPO)


def line_of(fn: object) -> int:
    return fn.__code__.co_firstlineno  # type: ignore[attr-defined, no-any-return]


@asset(group="sales", owners=["team-sales"], description="Raw orders", metadata={"rows": 3})
def orders() -> list[int]:
    return [1, 2, 3]


@asset
def customers() -> list[str]:
    """Customer master data.

    More words.
    """
    return ["ann"]


@asset(deps=[orders, "finance/fx_rates", ["finance", "budget"]], key_prefix=["marts"])
def revenue() -> int:
    return sum(orders())


@asset_check(asset=orders)
def orders_not_empty() -> bool:
    return bool(orders())


def test_decorated_functions_stay_callable() -> None:
    assert orders() == [1, 2, 3]
    assert revenue() == 6
    assert orders_not_empty() is True
    assert orders.__name__ == "orders" and orders.__wrapped__ is orders.fn  # type: ignore[attr-defined]


def test_keys_deps_and_defaults() -> None:
    assert (orders.key, customers.key, revenue.key) == ("orders", "customers", "marts/revenue")
    assert revenue.deps == ("orders", "finance/fx_rates", "finance/budget")
    assert customers.group == "default" and customers.owners == ()
    assert customers.description == "Customer master data.\n\nMore words."
    assert orders.source == f"{THIS_FILE}:{line_of(orders.fn)}"
    assert orders_not_empty.asset_key == "orders"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"key": "raw/x"}, "raw/x"),
        ({"key": ["raw", "x"]}, "raw/x"),
        ({"key_prefix": "raw"}, "raw/f"),
        ({"key_prefix": "a/b"}, "a/b/f"),
        ({"key": "x", "key_prefix": ["a"]}, "a/x"),
    ],
)
def test_key_forms(kwargs: dict[str, object], key: str) -> None:
    def f() -> None: ...

    assert asset(**kwargs)(f).key == key  # type: ignore[call-overload]


@pytest.mark.parametrize("bad", ["", "a//b", ["a/b"], 3, ["a", ""]])
def test_bad_keys_are_refused(bad: object) -> None:
    with pytest.raises(DefinitionsError, match="@asset"):
        asset(key=bad)(lambda: None)  # type: ignore[call-overload]


def test_metadata_must_be_json() -> None:
    with pytest.raises(DefinitionsError) as caught:

        @asset(metadata={"fine": [1, "a"], "when": object()})
        def loaded() -> None: ...

    message = str(caught.value)
    assert "asset 'loaded'" in message and "metadata 'when'" in message
    assert f"{THIS_FILE}:" in message


def test_snapshot_has_the_documented_shape() -> None:
    daily = job("daily", assets=[orders, revenue])
    defs = Definitions(
        assets=[orders, customers, revenue, orders],  # the same object twice counts once
        asset_checks=[orders_not_empty],
        jobs=[daily],
        schedules=[schedule("nightly", cron="0 3 * * *", job=daily)],
        sensors=[sensor("on_drop", job="daily")],
        resources={"warehouse": Path("/tmp")},
    )

    snap = defs.__ws_snapshot__()

    assert json.loads(json.dumps(snap)) == snap
    assert [a["key"] for a in snap["assets"]] == ["orders", "customers", "marts/revenue"]
    assert snap["assets"][0] == {
        "key": "orders",
        "group": "sales",
        "deps": [],
        "owners": ["team-sales"],
        "description": "Raw orders",
        "metadata": {"rows": 3},
        "source": f"{THIS_FILE}:{line_of(orders.fn)}",
    }
    assert snap["asset_checks"] == [{"name": "orders_not_empty", "asset": "orders"}]
    assert snap["jobs"] == [{"name": "daily", "assets": ["orders", "marts/revenue"]}]
    assert snap["schedules"] == [{"name": "nightly", "cron": "0 3 * * *", "job": "daily"}]
    assert snap["sensors"] == [{"name": "on_drop", "job": "daily"}]
    assert snap["resources"][0]["name"] == "warehouse"
    assert snap["resources"][0]["type"].endswith("PosixPath")
    shim_fields = {
        "version": 1,
        "name": "p",
        "module": "m",
        "attribute": "defs",
        "python": "3.8.18",
    }
    Snapshot.from_json({**shim_fields, "load_ms": 1, **snap})  # the host model reads it


@asset(key="orders")
def orders_again() -> None: ...


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        (
            {"assets": [orders, orders_again]},
            [
                "asset key 'orders' is defined twice",
                f"orders ({THIS_FILE}:{line_of(orders.fn)})",
                f"orders_again ({THIS_FILE}:{line_of(orders_again.fn)})",
            ],
        ),
        (
            {"assets": [orders], "schedules": [schedule("s", cron="@daily", job="daily")]},
            ["schedule 's' targets job 'daily', which is not in this Definitions"],
        ),
        (
            {"assets": [orders], "sensors": [sensor("s", job=job("j", assets=[orders]))]},
            ["sensor 's' targets job 'j'"],
        ),
        ({"jobs": [job("j", assets=["ghost"])]}, ["job 'j' selects asset 'ghost'"]),
        ({"asset_checks": [orders_not_empty]}, ["asset check 'orders_not_empty'", "'orders'"]),
        (
            {"assets": [orders], "jobs": [job("j", assets=[orders]), job("j", assets=[orders])]},
            ["two different jobs are named 'j'"],
        ),
        ({"assets": [lambda: None]}, ["item 0", "not made with @asset"]),
    ],
)
def test_definitions_validate_when_built(kwargs: dict[str, object], fragments: list[str]) -> None:
    with pytest.raises(DefinitionsError) as caught:
        Definitions(**kwargs)  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_cron_needs_five_fields() -> None:
    with pytest.raises(DefinitionsError, match="five fields"):
        schedule("s", cron="0 3 * *", job="j")


def test_definitions_error_is_a_value_error_the_loader_can_recognise() -> None:
    assert issubclass(DefinitionsError, ValueError)
    assert DefinitionsError.__ws_error_kind__ == "invalid_definitions"
    assert ws_defs.__version__ == "0.1.0"


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for the test; the modules imported from it are forgotten afterwards."""
    before = set(sys.modules)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_from_package_collects_a_defs_folder(importable: Path) -> None:
    shutil.copytree(SAMPLES / "defs_package" / "src" / "defs_package", importable / "defs_package")
    package_orders = importlib.import_module("defs_package.defs.orders").orders

    defs = Definitions.from_package("defs_package.defs", assets=[package_orders])
    snap = defs.__ws_snapshot__()

    keys = [a["key"] for a in snap["assets"]]
    assert keys == ["orders", "finance/fx_rates", "finance/budget", "reports/monthly"]
    assert [j["name"] for j in snap["jobs"]] == ["month_end"]
    assert [s["name"] for s in snap["schedules"]] == ["monthly"]
    assert [s["name"] for s in snap["sensors"]] == ["on_books_closed"]
    assert [c["name"] for c in snap["asset_checks"]] == ["orders_balanced"]


def test_from_package_does_not_hide_import_errors(importable: Path) -> None:
    defs = importable / "brokenpkg" / "defs"
    (defs / "sub").mkdir(parents=True)
    (importable / "brokenpkg" / "__init__.py").write_text("")
    (defs / "__init__.py").write_text("")
    (defs / "sub" / "__init__.py").write_text("import not_installed_anywhere\n")

    with pytest.raises(ModuleNotFoundError, match="not_installed_anywhere"):
        Definitions.from_package("brokenpkg.defs")


def test_from_package_walks_as_pkgutil_does(importable: Path) -> None:
    """Depth first, by file name; folders without __init__, and __pycache__, are not walked."""
    code = "from ws_defs import asset\n\n@asset(key_prefix={prefix!r})\ndef x():\n    return 1\n"
    files = ["__init__", "b", "a/__init__", "a/z", "a/y/__init__", "a/y/q", "c1", "c", "_private"]
    for file in [*files, "ns/m", "__pycache__/m"]:
        path = importable / "walked" / f"{file}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code.format(prefix=file.removesuffix("__init__").strip("/") or "root"))

    prefixes = [a.key.removesuffix("/x") for a in Definitions.from_package("walked").assets]
    assert prefixes == ["root", "_private", "a", "a/y", "a/y/q", "a/z", "b", "c", "c1"]


def test_sdk_parses_on_the_oldest_python_and_imports_only_stdlib() -> None:
    minors = [v for v in pyenv_pythons() if tuple(map(int, v.split("."))) >= (3, 8)]
    if not minors:
        pytest.skip("no CPython 3.8+ under ~/.pyenv/versions")
    oldest = pyenv_pythons()[min(minors, key=lambda v: tuple(map(int, v.split("."))))]
    files = sorted(SDK.glob("*.py"))
    check = "import ast, sys\nfor p in sys.argv[1:]: ast.parse(open(p).read(), p)"
    subprocess.run([oldest, "-I", "-c", check, *files], check=True)

    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "ws_defs" or top in sys.stdlib_module_names, f"{path}: {name}"
