"""The loader shim on its own: its wire protocol, spoken with bare interpreters, and its imports."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SAMPLES, pyenv_pythons

from ws.loading.shim import SHIM_PATH
from ws.process import clean_env

SHIM_FILES = sorted(SHIM_PATH.parent.glob("*.py"))  # loader.py and its siblings: the same rules
PYTHONS = pyenv_pythons()
SUPPORTED = sorted(
    (v for v in PYTHONS if (3, 8) <= tuple(map(int, v.split("."))) < (4, 0)),
    key=lambda v: tuple(map(int, v.split("."))),
)


def oldest_python() -> Path:
    if not SUPPORTED:
        pytest.skip("no CPython 3.8+ under ~/.pyenv/versions")
    return PYTHONS[SUPPORTED[0]]


@pytest.fixture(scope="module")
def ws_defs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sdk")
    shutil.copytree(REPO / "src" / "ws_defs", folder / "ws_defs")
    return folder


def converse(
    root: Path, requests: list[Any], python: Path | None = None
) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """One-shot use: every request on stdin, then EOF; every stdout line must be a JSON answer."""
    lines = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)
    proc = subprocess.run(
        [str(python or oldest_python()), "-I", str(SHIM_PATH)],
        input=lines,
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return [json.loads(line) for line in proc.stdout.splitlines()], proc


def load(sample: str, sdk: Path, **extra: Any) -> dict[str, Any]:
    request = {"id": 1, "op": "load", "name": sample, "module": f"{sample}.definitions"}
    return {**request, "attribute": None, "sys_path": ["src", str(sdk)], **extra}


def copy(sample: str, where: Path) -> Path:
    return Path(shutil.copytree(SAMPLES / sample, where / sample))


def imported_names(path: Path) -> tuple[set[str], set[str]]:
    """Top-level names of a file's absolute imports, and the siblings it imports relatively."""
    absolute: set[str] = set()
    relative: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            absolute.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 1, f"{path}: only siblings, `from . import x`"
            relative.update([node.module] if node.module else [a.name for a in node.names])
    return absolute, relative


def test_shim_parses_on_the_oldest_python() -> None:
    check = "import ast, sys\nfor p in sys.argv[1:]: ast.parse(open(p).read(), p)"
    subprocess.run([oldest_python(), "-I", "-c", check, *SHIM_FILES], check=True)


def test_shim_imports_only_the_standard_library_and_its_siblings() -> None:
    names: set[str] = set()
    for path in SHIM_FILES:
        absolute, relative = imported_names(path)
        if path.name == "dagster_reader.py":  # read Dagster's objects, only when there are some
            absolute.discard("dagster")
        names |= absolute
        assert relative <= {p.stem for p in SHIM_FILES} - {"__init__", "loader"}, path

    assert names <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)
    assert not names & {"ws", "ws_defs", "dagster"}
    # ... and each of them exists on the oldest interpreter too.
    imports = "; ".join(f"import {name}" for name in sorted(names))
    subprocess.run([oldest_python(), "-I", "-c", imports], check=True)


def test_one_shot_conversation(tmp_path: Path, ws_defs_dir: Path) -> None:
    root = copy("defs_ok", tmp_path)
    requests = [
        {"id": 7, "op": "ping"},
        load("defs_ok", ws_defs_dir, id=8),
        {"id": 9, "op": "fly"},
        "this is not json",
    ]

    answers, proc = converse(root, requests)

    assert proc.returncode == 0
    assert [a["id"] for a in answers] == [7, 8, 9, None]
    assert answers[0] == {"id": 7, "ok": True}
    assert answers[1]["ok"] and answers[1]["snapshot"]["attribute"] == "defs"
    assert [a["error"]["kind"] for a in answers[2:]] == ["bad_request", "bad_request"]


def test_user_output_never_reaches_the_channel(tmp_path: Path, ws_defs_dir: Path) -> None:
    answers, proc = converse(copy("defs_noisy", tmp_path), [load("defs_noisy", ws_defs_dir)])

    assert len(proc.stdout.splitlines()) == 1 and answers[0]["ok"]
    assert "python-level noise" in proc.stderr and "fd-level noise" in proc.stderr


def test_reading_stdin_does_not_eat_the_next_request(tmp_path: Path, ws_defs_dir: Path) -> None:
    root = copy("defs_stdin", tmp_path)

    answers, _ = converse(root, [load("defs_stdin", ws_defs_dir), {"id": 2, "op": "ping"}])

    assert answers[0]["ok"] and answers[1] == {"id": 2, "ok": True}


def test_attribute_picks_one_of_several(tmp_path: Path, ws_defs_dir: Path) -> None:
    root = copy("defs_two", tmp_path)
    requests = [
        load("defs_two", ws_defs_dir, attribute="more_defs"),
        load("defs_two", ws_defs_dir, id=2, attribute="nope"),
        load("defs_two", ws_defs_dir, id=3, attribute="first"),
    ]

    picked, missing, not_defs = converse(root, requests)[0]

    assert picked["snapshot"]["attribute"] == "more_defs" and picked["snapshot"]["assets"] == []
    assert missing["error"]["kind"] == "no_definitions"
    assert "defs_two.definitions" in missing["error"]["message"]
    assert "`nope`" in missing["error"]["message"]
    assert not_defs["error"]["kind"] == "no_definitions"
    assert "not a Definitions object" in not_defs["error"]["message"]


def test_missing_module_points_at_the_setting(tmp_path: Path, ws_defs_dir: Path) -> None:
    request = load("nowhere", ws_defs_dir)

    [answer], _ = converse(tmp_path, [request])

    assert answer["error"]["kind"] == "import_error"
    assert "No module named 'nowhere'" in answer["error"]["message"]
    assert "[tool.ws] module" in answer["error"]["message"]


def test_traceback_keeps_user_frames_only(tmp_path: Path, ws_defs_dir: Path) -> None:
    [answer], _ = converse(copy("defs_raises", tmp_path), [load("defs_raises", ws_defs_dir)])

    tb = answer["error"]["traceback"]
    assert 'settings.py", line 5, in warehouse_url' in tb
    assert str(SHIM_PATH.parent) not in tb and "importlib" not in tb  # no file of the shim's


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_definitions_are_recognised_by_duck_typing(tmp_path: Path) -> None:
    """No ws_defs in sight: any object whose type answers __ws_snapshot__ will do."""
    root = write_project(
        tmp_path,
        {
            "duck/__init__.py": "",
            "duck/definitions.py": (
                "class Defs:\n"
                "    def __ws_snapshot__(self):\n"
                "        return {'assets': [{'key': 'quack'}]}\n"
                "defs = Defs()\n"
            ),
        },
    )

    [answer], _ = converse(root, [load("duck", tmp_path / "none")])

    assert answer["snapshot"]["assets"] == [{"key": "quack"}]
    assert answer["snapshot"]["version"] == 1


def test_bad_snapshots_are_invalid_definitions(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "odd/__init__.py": "",
            "odd/raising.py": (
                "class Defs:\n"
                "    def __ws_snapshot__(self):\n"
                "        raise KeyError('boom')\n"
                "defs = Defs()\n"
            ),
            "odd/unjsonable.py": (
                "class Defs:\n"
                "    def __ws_snapshot__(self):\n"
                "        return {'assets': {1, 2}}\n"
                "defs = Defs()\n"
            ),
        },
    )
    requests = [
        load("odd", tmp_path, module="odd.raising"),
        load("odd", tmp_path, id=2, module="odd.unjsonable"),
    ]

    raising, unjsonable = converse(root, requests)[0]

    assert raising["error"]["kind"] == "invalid_definitions"
    assert "KeyError: 'boom' (src/odd/raising.py:3)" in raising["error"]["message"]
    assert unjsonable["error"]["kind"] == "invalid_definitions"
    assert "not JSON-serialisable" in unjsonable["error"]["message"]


def test_dagster_objects_take_the_dagster_path(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "dagster_lookalike/__init__.py": "class Definitions:\n    pass\n",
            "dg_proj/__init__.py": "",
            "dg_proj/definitions.py": (
                "from dagster_lookalike import Definitions\ndefs = Definitions()\n"
            ),
        },
    )

    [answer], _ = converse(root, [load("dg_proj", tmp_path)])

    # Read through Dagster's API (ws/_shim/dagster_reader.py), which the lookalike lacks.
    assert answer["error"]["kind"] == "invalid_definitions"
    assert "has no attribute 'get_repository_def'" in answer["error"]["message"]


@pytest.mark.parametrize("minor", SUPPORTED)
def test_siblings_never_meet_the_projects_modules_of_the_same_names(
    tmp_path: Path, minor: str
) -> None:
    """A project may have its own `errors` or `load`: the shim's files are `_ws_shim.*`. A plain
    load imports neither `errors` (only after a failure) nor `fork_server`."""
    stems = sorted(p.stem for p in SHIM_FILES if p.stem != "__init__")
    owners = ", ".join(f"{stem!r}: {stem}.OWNER" for stem in stems)
    files = {f"{stem}.py": "OWNER = 'project'\n" for stem in stems}
    files["same/__init__.py"] = ""
    files["same/definitions.py"] = (
        f"import sys\nimport {', '.join(stems)}\n"
        "class Defs:\n"
        "    def __ws_snapshot__(self):\n"
        "        shim = sorted(m for m in sys.modules if m.startswith('_ws_shim'))\n"
        f"        return {{'assets': [], 'owners': {{{owners}}}, 'shim': shim}}\n"
        "defs = Defs()\n"
    )
    files["same/broken.py"] = "import errors, load\nraise ValueError('broken on purpose')\n"
    root = write_project(tmp_path, files)
    requests = [
        load("same", tmp_path),
        load("same", tmp_path, id=2, module="same.broken"),
        load("same", tmp_path, id=3),
    ]

    (first, broken, again), _ = converse(root, requests, PYTHONS[minor])

    assert first["snapshot"]["owners"] == dict.fromkeys(stems, "project")
    assert first["snapshot"]["shim"] == ["_ws_shim", "_ws_shim.definitions", "_ws_shim.load"]
    assert broken["error"]["kind"] == "import_error"
    assert broken["error"]["message"] == "ValueError: broken on purpose (src/same/broken.py:2)"
    assert again["snapshot"]["owners"] == first["snapshot"]["owners"]
    assert "_ws_shim.errors" in again["snapshot"]["shim"]  # kept: never forgotten like project code
