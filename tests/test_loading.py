"""The host side of the loader: real venvs on real interpreters, one sample project per case."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import pyenv_pythons, target

from ws.loading.model import LoadError, LoadTarget, LocationResult
from ws.loading.problems import defs_document
from ws.loading.shim import ShimProcess, load_location, load_locations

PYTHONS = pyenv_pythons()
MINORS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
# Misbehaving samples run on the newest interpreter; the good one runs on every one.
NEWEST = max((v for v in PYTHONS if v in MINORS), key=lambda v: int(v.split(".")[1]), default="")


@pytest.mark.parametrize("minor", MINORS)
def test_good_sample_loads_on_every_python(
    minor: str, env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    result = load_location(target("defs_ok", env_python(minor), tmp_path), timeout=30)

    assert result.ok, result.error
    assert result.snapshot is not None
    snap = result.snapshot
    assert (snap.name, snap.module, snap.attribute) == ("defs-ok", "defs_ok.definitions", "defs")
    assert snap.python.startswith(minor + ".")
    assert isinstance(snap.load_ms, int) and 0 <= snap.load_ms < 5000
    assets = {a.key: a for a in snap.assets}
    assert list(assets) == ["orders", "customers", "marts/revenue", "marts/customer_count"]
    assert assets["orders"].source == "src/defs_ok/definitions.py:7"
    assert assets["orders"].metadata == {"rows": 3}
    assert assets["marts/revenue"].deps == ("orders", "finance/fx_rates")
    assert [(s.name, s.job) for s in snap.schedules] == [("nightly", "daily")]
    assert snap.resources[0].type == "defs_ok.resources.Warehouse"


def test_environment_sees_ws_defs_but_not_ws(env_python: Callable[[str], Path]) -> None:
    python = env_python(NEWEST)
    assert subprocess.run([python, "-I", "-c", "import ws_defs"], check=False).returncode == 0
    assert subprocess.run([python, "-I", "-c", "import ws"], capture_output=True).returncode == 1


MISBEHAVING = [
    ("defs_syntax", "import_error", ["SyntaxError", "(src/defs_syntax/definitions.py, line 3)"]),
    (
        "defs_missing_dep",
        "import_error",
        ["ModuleNotFoundError: No module named 'pandas' (src/defs_missing_dep/definitions.py:2)"],
    ),
    (
        "defs_raises",
        "import_error",
        ["RuntimeError: WAREHOUSE_URL is not set (src/defs_raises/settings.py:5)"],
    ),
    (
        "defs_exit",
        "import_error",
        ["module called sys.exit(3) at import (src/defs_exit/definitions.py:3)"],
    ),
    ("defs_os_exit", "crashed", ["process exited with code 0 before answering", "defs_os_exit"]),
    (
        "defs_segfault",
        "crashed",
        ["killed by SIGSEGV", "src/defs_segfault/definitions.py:5", "about to read address 0"],
    ),
    (
        "defs_none",
        "no_definitions",
        ["No Definitions object found in module defs_none.definitions"],
    ),
    (
        "defs_two",
        "multiple_definitions",
        [
            "Cannot have more than one Definitions object defined at module scope",
            "`defs` and `more_defs`",
            "src/defs_two/definitions.py",
        ],
    ),
    (
        "defs_dup_keys",
        "invalid_definitions",
        [
            "'orders' is defined twice",
            "orders (src/defs_dup_keys/definitions.py:4)",
            "orders_again (src/defs_dup_keys/definitions.py:9)",
        ],
    ),
    (
        "defs_bad_schedule",
        "invalid_definitions",
        ["schedule 'nightly' targets job 'daily'", "src/defs_bad_schedule/definitions.py:11"],
    ),
    (
        "defs_bad_metadata",
        "invalid_definitions",
        ["asset 'orders' (src/defs_bad_metadata/definitions.py:6)", "metadata 'loaded_at'"],
    ),
]


@pytest.mark.parametrize(
    ("sample", "kind", "fragments"), MISBEHAVING, ids=[m[0] for m in MISBEHAVING]
)
def test_misbehaving_sample_is_reported(
    sample: str,
    kind: str,
    fragments: list[str],
    env_python: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    result = load_location(target(sample, env_python(NEWEST), tmp_path), timeout=30)

    assert not result.ok and result.snapshot is None
    assert result.error is not None
    assert result.error.kind == kind, result.error
    for fragment in fragments:
        assert fragment in result.error.message
    assert "_shim" not in (result.error.traceback or "")  # no frame of the shim package


@pytest.mark.parametrize("sample", ["defs_noisy", "defs_stdin", "defs_package"])
def test_awkward_sample_still_loads(
    sample: str, env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    result = load_location(target(sample, env_python(NEWEST), tmp_path), timeout=30)
    assert result.ok, result.error


def test_load_locations_keeps_going_past_every_failure(
    env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    python = env_python(NEWEST)
    samples = ["defs_ok", "defs_loop", *(s for s, _, _ in MISBEHAVING), "defs_package"]
    done: list[str] = []

    started = time.monotonic()
    results = load_locations(
        [target(s, python, tmp_path) for s in samples],
        jobs=4,
        timeout=2,
        on_done=lambda r: done.append(r.name),
    )
    elapsed = time.monotonic() - started

    assert [r.name for r in results] == [s.replace("_", "-") for s in samples]
    assert sorted(done) == sorted(r.name for r in results)
    assert results[0].ok and results[-1].ok
    assert all(not r.ok for r in results[1:-1])
    loop = results[1].error
    assert loop is not None and loop.kind == "timeout"
    assert "defs_loop.definitions did not load within 2 s" in loop.message
    assert "src/defs_loop/definitions.py:4" in loop.message  # from the shim's stack dump
    assert elapsed < 10


def test_timeout_ends_the_whole_process_group(
    env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    loop = target("defs_loop", env_python(NEWEST), tmp_path)
    shim = ShimProcess(loop)
    shim.start()
    pid = shim.pid
    assert pid is not None

    result = shim.load(timeout=0.5)

    assert result.error is not None and result.error.kind == "timeout"
    assert not shim.running
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_missing_interpreter_is_env_missing(tmp_path: Path) -> None:
    gone = LoadTarget(
        "finance", tmp_path / ".venv/bin/python", tmp_path, "finance.definitions", env=tmp_path
    )

    result = load_location(gone)

    assert result.error is not None and result.error.kind == "env_missing"
    assert "ws sync finance" in result.error.message
    assert str(gone.python) in result.error.message


def test_shim_process_serves_reloads(env_python: Callable[[str], Path], tmp_path: Path) -> None:
    project = tmp_path / "live"
    (project / "src" / "live").mkdir(parents=True)
    (project / "src" / "live" / "__init__.py").write_text("")
    defs_file = project / "src" / "live" / "definitions.py"
    lines: list[str] = []
    python = env_python(NEWEST)
    live = LoadTarget(
        "live", python, project, "live.definitions", sys_path=("src",), env=python.parent.parent
    )

    def write(body: str) -> None:
        defs_file.write_text(f"from ws_defs import Definitions, asset\n{body}\n")
        os.utime(defs_file, (time.time() + 5, time.time() + 5))  # a new mtime: no stale bytecode

    with ShimProcess(live, on_output=lines.append) as shim:
        assert shim.ping()
        write("print('hello from user code')\n@asset\ndef a(): ...\ndefs = Definitions(assets=[a])")
        first = shim.load(timeout=10)
        write("raise RuntimeError('half-edited')")
        broken = shim.load(timeout=10)
        write("@asset\ndef b(): ...\ndefs = Definitions(assets=[b])")
        second = shim.load(timeout=10)
        assert shim.ping()

    assert not shim.running and not shim.ping()
    assert first.snapshot is not None and first.snapshot.assets[0].key == "a"
    assert broken.error is not None and "half-edited" in broken.error.message
    assert second.snapshot is not None and second.snapshot.assets[0].key == "b"
    assert "hello from user code" in lines


def test_workspace_document_names_cross_project_problems(
    env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    python = env_python(NEWEST)
    samples = ["defs_ok", "defs_package", "defs_syntax"]
    results = load_locations([target(s, python, tmp_path) for s in samples], jobs=3, timeout=30)

    document = json.loads(json.dumps(defs_document(results)))

    assert document["version"] == 1
    assert [loc["status"] for loc in document["locations"]] == ["loaded", "loaded", "error"]
    assert document["locations"][2]["error"]["kind"] == "import_error"
    [problem] = document["problems"]  # finance/* deps are defined by defs-package
    assert problem["kind"] == "duplicate_asset" and problem["key"] == "orders"
    assert problem["projects"] == ["defs-ok", "defs-package"]
    assert "src/defs_ok/definitions.py:7" in problem["message"]
    assert "src/defs_package/defs/orders.py:4" in problem["message"]


def test_results_are_frozen_values() -> None:
    result = LocationResult("p", None, LoadError("timeout", "m"))
    assert not result.ok
    with pytest.raises(AttributeError):
        result.name = "q"  # type: ignore[misc]


def test_a_same_second_same_size_edit_is_never_served_stale(
    env_python: Callable[[str], Path], tmp_path: Path
) -> None:
    """CPython trusts a .pyc by whole-second mtime and size; the shim compiles project code afresh."""
    project = tmp_path / "quick"
    package = project / "src" / "quick"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    defs_file = package / "definitions.py"
    python = env_python(NEWEST)
    quick = LoadTarget(
        "quick", python, project, "quick.definitions", sys_path=("src",), env=python.parent.parent
    )
    stamp = int(time.time())

    def write(key: str) -> None:
        defs_file.write_text(
            f"from ws_defs import Definitions, asset\n@asset(key='{key}')\ndef a(): ...\ndefs = Definitions(assets=[a])\n"
        )
        os.utime(defs_file, (stamp, stamp))  # the same second, and the same size, both times

    write("one")
    first = load_location(quick, timeout=10)
    write("two")
    second = load_location(quick, timeout=10)
    assert first.snapshot is not None and first.snapshot.assets[0].key == "one"
    assert second.snapshot is not None and second.snapshot.assets[0].key == "two"
    assert not list(project.rglob("__pycache__"))  # and nothing was written into the project
