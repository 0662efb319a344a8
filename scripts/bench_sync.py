"""Section "sync" (issue 4): cold `ws sync` of N projects against the two usual ways, and a no-op.

The contenders build the same projects (tiny stdlib backend; each depends on ws-defs and on one
local wheel) on the same interpreter, offline:
  ws     `ws sync` (virtualenv API + `uv pip install`, CPU-count jobs)
  (a)    `python -m venv` + `pip install -e`, one project after the other
  (b)    `uv venv` + `uv pip install -e`, one project after the other
Cold means no env folder: each contender's envs are deleted before every run (untimed). uv's cache
(ws and (b) share it) is warm after the warm-up round; pip keeps its default cache. (a) takes
~4 s a project, so it runs in the first 3 rounds only: its ratio is over those pairs.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import bench
from bench import WS, Offline, Report, Row, rounds, timed

SIZES = (1, 4, 8)
QUICK_SIZES = (1, 4)
NOOP_SIZE = 50
PIP_RUNS = 3
UV_LABEL = "(b) uv venv + uv pip install -e, seq."
PIP_LABEL = "(a) python -m venv + pip install -e, seq."


def bench_sync(report: Report, runs: int, scratch: Path) -> None:
    sources = bench.offline_sources(scratch)
    python = sources.interpreter()
    sizes = QUICK_SIZES if bench.settings.quick else SIZES
    for index, count in enumerate(sizes):
        root = scratch / f"cold-{count}"
        projects = bench.write_workspace(root, count, sources.request)
        contenders = [
            _ws_cold(root, projects, sources),
            _uv_cold(projects, python, sources),
            _pip_cold(projects, python, sources),
        ]
        # One warm-up round (all three, first size only) fills uv's and pip's caches.
        ws, uv, pip = rounds(contenders, runs, 1 if index == 0 else 0, upto=[runs, runs, PIP_RUNS])
        goal, limit = ("<= 1.2x", 1.2) if count == 1 else ("< 1x (faster)", 1.0)
        what = f"ws sync, cold, {count} project{'s' if count > 1 else ''}"
        report.add(Row(what, ws, uv, UV_LABEL, goal, max_ratio=limit))
        what = f"{what} (rounds 1-{len(pip)})"
        report.add(Row(what, ws[: len(pip)], pip, PIP_LABEL, "<= 0.2x (5x faster)", max_ratio=0.2))
    _floor(report, runs, scratch, python)
    _noop(report, runs, scratch, sources)
    report.note(
        "sync: every contender builds the same projects (tiny stdlib PEP 660 backend, deps ws-defs"
        f" + one local wheel) on {python}, offline (UV_OFFLINE=1 + UV_FIND_LINKS; pip --no-index"
        " --find-links). Cold = env folders deleted before each run; uv's cache, shared by ws and"
        f" (b), is warm; pip uses its default cache. ws runs {bench.CPUS} jobs (the CPU count);"
        " neither ws nor (b) compiles bytecode at sync (the first import writes it). (a) is timed"
        f" in the first {PIP_RUNS} rounds only."
    )


def _floor(report: Report, runs: int, scratch: Path, python: str) -> None:
    """What a cold 1-project `ws sync` cannot avoid before uv runs, measured in the same rounds:
    ws's own start (`ws --version`), and virtualenv's part inside ws (importing it and creating
    one env, timed inside an interpreter that has imported ws's CLI, as `ws sync` has), beside
    `uv venv` and a bare interpreter start."""
    from uv import find_uv_bin

    target = scratch / "floor-venv"
    interpreter = str(bench.BIN / "python")
    inside = (
        "import time, ws.cli.main, ws.envs.sync\n"
        "start = time.perf_counter()\n"
        "import virtualenv\n"
        f"virtualenv.cli_run([{str(target)!r}, '--no-seed', '--quiet', '-p', {python!r}],"
        " setup_logging=False)\n"
        "print(time.perf_counter() - start)\n"
    )

    def virtualenv_part() -> float:
        shutil.rmtree(target, ignore_errors=True)
        return float(bench.run([interpreter, "-c", inside], env=bench.ws_env()))

    def fresh(command: list[str]) -> Callable[[], float]:
        def once() -> float:
            shutil.rmtree(target, ignore_errors=True)
            return timed(command, env=bench.ws_env())

        return once

    version, virtualenv, bare, uv_venv = rounds(
        [
            bench.version_command(),
            virtualenv_part,
            fresh([interpreter, "-c", "pass"]),
            fresh([find_uv_bin(), "venv", "--quiet", "-p", python, str(target)]),
        ],
        runs,
    )
    report.add(Row("floor: ws --version (interpreter, Typer, ws's CLI)", version))
    report.add(Row("floor: python -c pass", bare))
    what = "floor: import virtualenv + create one env, inside ws"
    report.add(Row(what, virtualenv, uv_venv, "uv venv (whole command)", ""))


def _noop(report: Report, runs: int, scratch: Path, sources: Offline) -> None:
    root = scratch / f"noop-{NOOP_SIZE}"
    bench.write_workspace(root, NOOP_SIZE, sources.request)
    env = sources.env(root)
    first = timed([WS, "sync"], env=env)  # builds them all: once, for the record
    report.add(Row(f"ws sync, cold, {NOOP_SIZE} projects (1 run)", [first]))
    a, b = bench.paired(lambda: timed([WS, "sync"], env=env), bench.version_command(env), runs)
    what = f"ws sync, no-op, {NOOP_SIZE} projects"
    report.add(Row(what, a, b, "ws --version", "<= 2x", max_ratio=2.0))
    # `ws run` in a workspace of NOOP_SIZE: what a user's every command pays on top of ws's start
    project = root / "projects" / "p01"
    run = [WS, "run", "p01", "--", "python", "-c", "pass"]
    from uv import find_uv_bin  # the uv that ws itself runs

    uv_run = [find_uv_bin(), "run", "--no-sync", "python", "-c", "pass"]
    a, b, c = rounds(
        [
            lambda: timed(run, env=env),
            bench.version_command(env),
            lambda: timed(uv_run, cwd=project, env=env),
        ],
        runs,
    )
    what = "ws run NAME -- python -c pass"
    report.add(Row(what, a, b, "ws --version", "<= +0.05 s", max_extra=0.05))
    report.add(Row(what, a, c, "uv run --no-sync python -c pass (in the project)", ""))


def _ws_cold(root: Path, projects: list[Path], sources: Offline) -> Callable[[], float]:
    env = sources.env(root)

    def once() -> float:
        _remove(projects, ".venv")
        return timed([WS, "sync"], env=env)

    return once


def _uv_cold(projects: list[Path], python: str, sources: Offline) -> Callable[[], float]:
    from uv import find_uv_bin  # the uv that ws itself runs

    uv, env = find_uv_bin(), sources.env()

    def build() -> None:
        for project in projects:
            venv = project / ".venv-uv"
            _check([uv, "venv", "--quiet", "--python", python, str(venv)], env)
            pip = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
            _check([*pip, "-e", str(project)], env)

    def once() -> float:
        _remove(projects, ".venv-uv")
        return timed(build)

    return once


def _pip_cold(projects: list[Path], python: str, sources: Offline) -> Callable[[], float]:
    env = sources.env()
    offline = ["--no-index", "--find-links", str(sources.links)]

    def build() -> None:
        for project in projects:
            venv = project / ".venv-pip"
            _check([python, "-m", "venv", str(venv)], env)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *offline]
            _check([*pip, "-e", str(project)], env)

    def once() -> float:
        _remove(projects, ".venv-pip")
        return timed(build)

    return once


def _remove(projects: list[Path], folder: str) -> None:
    for project in projects:
        shutil.rmtree(project / folder, ignore_errors=True)


def _check(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
