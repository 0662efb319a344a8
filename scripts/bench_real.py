"""Section "real" (issue "Real dependencies, real speed", item 3): ws on Dagster projects with real
dependencies, against what a dg user runs instead. Needs the package registry the first time.

The workspace is laid out as dg lays one out: a `dg.toml` listing N projects (N = 3 and 5; quick:
3), each a hatchling package with `[tool.dg.project] root_module`, dagster and pandas pinned, a
`definitions.py` building a `dagster.Definitions` of three pandas assets, and a `uv.lock`. The
projects alternate between two Pythons (`.python-version`; quick: one). The projects and their
locks (`uv lock`) are written once, with a uv cache of the bench's own primed beside them
(`uv sync --frozen` and `uv pip install -e .` once per project), in a folder later runs reuse:
`$XDG_CACHE_HOME/ws-bench/real/` (default `~/.cache`; the harness's scratch is deleted after
each run). Every timed command runs offline (UV_OFFLINE=1) on that warm cache.

Each contender has a copy of the workspace, and its envs (`<project>/.venv`, where dg looks) and
the projects' own `__pycache__` are deleted before every cold round (untimed); ws's snapshot
cache (`<workspace>/.ws`) goes with them. In turn, round after round:
  ws      `ws sync`, then `ws list defs` (ws's loader writes the bytecode of what it imports)
  uv      in each project: `uv sync --frozen`, then `python -c "import <root_module>.definitions"`
  uv pip  in each project: `uv venv` + `uv pip install -e .`
Cold sync is `ws sync` against the uv parts; time to first listing is sync + listing against
sync + import. Then, on ws's workspace: a no-op `ws sync` and a cached `ws list defs` against
`ws --version`, and the disk each side's N envs take after their first listing (`du`, counting
hardlinks once; uv hardlinks from its cache, so files shared with it count, once).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bench
from bench import WS, Report, Row, rounds, timed

# What `uv pip compile` picks for `dagster>=1.13,<1.14` (tests/samples/dagster-constraints.txt)
# and `pandas` on both Pythons; pinned, so that every run installs the same.
DAGSTER = "1.13.29"
PANDAS = "3.1.1"
# The two newest CPython under ~/.pyenv/versions that dagster and pandas both support.
PYTHONS = ("3.13", "3.12")
SIZES = (3, 5)
QUICK_SIZES = (3,)
TEMPLATE_VERSION = 1  # bump when the projects change in a way their text does not show
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ws-bench" / "real"
Projects = dict[str, tuple[str, str]]  # project name: (Python request, interpreter path)
UV_SYNC = "uv sync --frozen, seq."
UV_PIP = "uv venv + uv pip install -e ., seq."

DEFINITIONS = """\
import dagster as dg
import pandas as pd


@dg.asset
def orders() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "amount": [10.0, 20.5, 7.25]})


@dg.asset
def order_totals(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.agg({"amount": ["sum", "mean"]})


@dg.asset(deps=[order_totals])
def report() -> None:
    pd.Timestamp.now()


defs = dg.Definitions(assets=[orders, order_totals, report])
"""


@dataclass(frozen=True)
class Uv:
    """uv's binary and the environment every timed command runs in: offline, the bench's cache."""

    binary: str
    cache: Path

    def env(self, **extra: str) -> dict[str, str]:
        return bench.ws_env(
            UV_CACHE_DIR=str(self.cache), UV_PYTHON_DOWNLOADS="never", UV_OFFLINE="1", **extra
        )


def bench_real(report: Report, runs: int, scratch: Path) -> None:
    from uv import find_uv_bin  # the uv that ws itself runs

    uv = Uv(find_uv_bin(), CACHE / "uv-cache")
    quick = bench.settings.quick
    sizes = QUICK_SIZES if quick else SIZES
    requests = PYTHONS[:1] if quick else PYTHONS
    pythons = [bench.run([WS, "python", "find", r], env=uv.env()).strip() for r in requests]
    names = [f"p{i:02d}" for i in range(1, max(sizes) + 1)]
    assign = {
        name: (requests[i % len(requests)], pythons[i % len(pythons)])
        for i, name in enumerate(names)
    }
    template = _template(assign, uv)
    env = uv.env(WS_CACHE_DIR=str(scratch / "ws-cache"))
    for index, count in enumerate(sizes):
        root = scratch / f"real-{count}"
        chosen = {name: assign[name] for name in names[:count]}
        _bench_size(report, runs, root, template, chosen, uv, env, 1 if index == 0 else 0)
    report.note(
        f"real: a dg.toml workspace of N Dagster projects (dagster=={DAGSTER}, pandas=={PANDAS},"
        f" each with a uv.lock) on {' and '.join(pythons)}, in turn; uv's cache warm,"
        f" every command offline. ws runs {bench.CPUS} jobs (the CPU count); uv runs in each"
        " project folder in turn, with `--python` naming the interpreter ws picks for the"
        " project's .python-version. Cold = envs, the projects' __pycache__ and ws's snapshot"
        " cache deleted before each round. First listing = sync + `ws list defs` against"
        " `uv sync --frozen` + `python -c 'import <root_module>.definitions'` per project; both"
        " write the bytecode of what they import. Disk rows are MiB, not seconds (`du -sc`,"
        " one round)."
    )
    report.note(
        "real: the second-workspace row (ws's bytecode store warm) is not measured: ws has no"
        " bytecode store yet, so a second workspace compiles everything again, as the first did."
    )


def _bench_size(
    report: Report,
    runs: int,
    root: Path,
    template: Path,
    projects: Projects,
    uv: Uv,
    env: dict[str, str],
    warmup: int,
) -> None:
    count = len(projects)
    sides = {name: _copy_workspace(template, root / name, projects) for name in ("ws", "uv", "pip")}
    ws_sync: list[float] = []  # the sync part of each cold round, warm-up included
    uv_sync: list[float] = []
    ws_list, uv_list, pip = rounds(
        [
            _ws_cold(sides["ws"], projects, env, ws_sync),
            _uv_cold(sides["uv"], projects, uv, uv_sync),
            _uv_pip_cold(sides["pip"], projects, uv),
        ],
        runs,
        warmup,
    )
    ws_sync, uv_sync = ws_sync[warmup:], uv_sync[warmup:]
    label = f"real, {count} projects:"
    goal, limit = ("<= 0.7x", 0.7) if count == 5 else ("", None)
    report.add(Row(f"{label} ws sync, cold", ws_sync, uv_sync, UV_SYNC, goal, max_ratio=limit))
    report.add(Row(f"{label} ws sync, cold", ws_sync, pip, UV_PIP))
    goal, limit = ("<= 1.0x", 1.0) if count == 5 else ("", None)
    what = f"{label} first listing (ws sync + ws list defs)"
    report.add(Row(what, ws_list, uv_list, f"{UV_SYNC} + import each", goal, max_ratio=limit))
    _check_listing(sides["ws"], env, count)
    disk = [_mib(sides[name], projects) for name in ("ws", "uv")]
    against = "uv sync --frozen envs after the imports, MiB"
    report.add(
        Row(f"{label} disk of the envs after first listing, MiB", disk[:1], disk[1:], against)
    )
    version = bench.version_command(env)
    for command, state in ((["sync"], "no-op"), (["list", "defs"], "cached")):
        a, b = bench.paired(
            lambda c=command: timed([WS, *c], cwd=sides["ws"], env=env), version, runs
        )
        report.add(Row(f"{label} ws {' '.join(command)}, {state}", a, b, "ws --version"))


def _ws_cold(
    root: Path, projects: Projects, env: dict[str, str], sync_times: list[float]
) -> Callable[[], float]:
    """`ws sync` + `ws list defs` from nothing; the sync part goes to `sync_times`."""

    def once() -> float:
        _clean(root, projects)
        sync = timed([WS, "sync"], cwd=root, env=env)
        sync_times.append(sync)
        return sync + timed([WS, "list", "defs"], cwd=root, env=env)

    return once


def _uv_cold(
    root: Path, projects: Projects, uv: Uv, sync_times: list[float]
) -> Callable[[], float]:
    """In each project: `uv sync --frozen`, then import its definitions (writing bytecode)."""

    def once() -> float:
        _clean(root, projects)
        sync = imports = 0.0
        for name, (_, python) in projects.items():
            folder = root / "projects" / name
            command = [uv.binary, "sync", "--frozen", "--python", python]
            sync += timed(command, cwd=folder, env=uv.env())
            command = [str(folder / ".venv" / "bin" / "python"), "-c", f"import {name}.definitions"]
            imports += timed(command, cwd=folder, env=uv.env())
        sync_times.append(sync)
        return sync + imports

    return once


def _uv_pip_cold(root: Path, projects: Projects, uv: Uv) -> Callable[[], float]:
    """In each project: `uv venv` + `uv pip install -e .` (uv resolves the pins itself)."""

    def build() -> None:
        for name, (_, python) in projects.items():
            folder = root / "projects" / name
            _check([uv.binary, "venv", "--quiet", "--python", python, ".venv"], folder, uv.env())
            pip = [uv.binary, "pip", "install", "--quiet", "--python", ".venv/bin/python"]
            _check([*pip, "-e", "."], folder, uv.env())

    def once() -> float:
        _clean(root, projects)
        return timed(build)

    return once


def _template(projects: Projects, uv: Uv) -> Path:
    """The projects with their locks, written once (`uv lock`, from the registry), then reused.

    Its folder is named by what it holds, so a changed pin, Python or file makes a new one. The
    uv cache is primed beside it, online, in the same step: later runs need no registry.
    """
    files = {name: _project_files(name, request) for name, (request, _) in projects.items()}
    pythons = {name: python for name, (_, python) in projects.items()}
    text = json.dumps([TEMPLATE_VERSION, files, pythons], sort_keys=True)
    folder = CACHE / "templates" / hashlib.sha256(text.encode()).hexdigest()[:16]
    if (folder / "projects").is_dir():
        return folder
    print(f"  real: writing the projects and their locks in {folder} (needs the registry)")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    online = {k: v for k, v in uv.env().items() if k != "UV_OFFLINE"}
    for name, written in files.items():
        project = partial / "projects" / name
        for rel, content in written.items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text(content)
        python = pythons[name]
        _check([uv.binary, "lock", "--quiet", "--python", python], project, online)
        _check([uv.binary, "sync", "--frozen", "--quiet", "--python", python], project, online)
        shutil.rmtree(project / ".venv")
        _check([uv.binary, "venv", "--quiet", "--python", python, ".venv"], project, online)
        pip = [uv.binary, "pip", "install", "--quiet", "--python", ".venv/bin/python", "-e", "."]
        _check(pip, project, online)  # fills the index pages `uv pip install` reads offline
        shutil.rmtree(project / ".venv")
    partial.rename(folder)
    return folder


def _project_files(name: str, request: str) -> dict[str, str]:
    pyproject = f"""\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.12,<3.14"
dependencies = ["dagster=={DAGSTER}", "pandas=={PANDAS}"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{name}"
"""
    return {
        "pyproject.toml": pyproject,
        ".python-version": f"{request}\n",
        f"src/{name}/__init__.py": "",
        f"src/{name}/definitions.py": DEFINITIONS,
    }


def _copy_workspace(template: Path, root: Path, projects: Projects) -> Path:
    text = 'directory_type = "workspace"\n\n[workspace]\n'
    for name in projects:
        shutil.copytree(template / "projects" / name, root / "projects" / name)
        text += f'\n[[workspace.projects]]\npath = "projects/{name}"\n'
    (root / "dg.toml").write_text(text)
    return root


def _clean(root: Path, projects: Projects) -> None:
    """Envs, the projects' own bytecode and ws's snapshot cache gone: a cold start."""
    shutil.rmtree(root / ".ws", ignore_errors=True)
    for name in projects:
        folder = root / "projects" / name
        shutil.rmtree(folder / ".venv", ignore_errors=True)
        for cache in (folder / "src").rglob("__pycache__"):
            shutil.rmtree(cache)


def _mib(root: Path, projects: Projects) -> float:
    """What the envs take on disk, a file hardlinked into several counted once (one `du`)."""
    envs = [str(root / "projects" / name / ".venv") for name in projects]
    total = bench.run(["du", "-sck", *envs], env=bench.ws_env()).splitlines()[-1]
    return int(total.split()[0]) / 1024


def _check_listing(root: Path, env: dict[str, str], count: int) -> None:
    """The cold listing loaded every project (from its cache now): else the times mean nothing."""
    listed = json.loads(bench.run([WS, "list", "defs", "--json"], env=env, cwd=root))
    loaded = [loc["name"] for loc in listed["locations"] if loc["status"] == "loaded"]
    assets = sum(len(loc.get("assets", [])) for loc in listed["locations"])
    if len(loaded) != count:
        raise SystemExit(f"bench: ws list defs loaded {loaded} of {count} projects in {root}")
    print(f"  real: ws list defs loaded {count} projects, {assets} assets", flush=True)


def _check(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
