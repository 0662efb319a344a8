"""Section "dagster" (issue 7): a Dagster workspace read as it is, ws against Dagster's own `dg`.

The workspace is what `create-dagster` lays out: a `dg.toml` listing two projects (the tests'
samples `dagster_classic` and `dagster_defs_folder`, the latter in the `create-dagster project`
layout), each with its own `.venv` built by `uv pip install --compile-bytecode -e <project>
dagster-dg-cli` (untimed; needs the package registry). No ws.toml: ws reads the dg.toml and loads
each project through the project's own `.venv`, as `dg` does.
  - `ws check --no-cache` against `dg check defs` (workspace root: dg starts a code server per
    project and checks them),
  - `ws list defs --no-cache` (whole workspace) against `dg list defs` run in each project with
    that project's env activated, one after the other (dg lists one project at a time),
  - warm: `ws check` / `ws list defs` from the snapshot cache against `ws --version`.
Goals (the issue's): cold at most 0.2x (5 times faster), warm at the speed of `ws --version`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bench
from bench import REPO, WS, Report, Row, paired, timed

PROJECTS = ("dagster_classic", "dagster_defs_folder")


def bench_dagster(report: Report, runs: int, scratch: Path) -> None:
    root = scratch / "dagster-workspace"
    venvs = _write_workspace(root)
    env = bench.ws_env(root, WS_CACHE_DIR=str(scratch / "ws-cache"))
    dg = str(venvs[0] / "bin" / "dg")

    a, b = paired(
        lambda: timed([WS, "check", "--no-cache"], env=env),
        lambda: timed([dg, "check", "defs"], cwd=root, env=env),
        runs,
    )
    what = "ws check --no-cache, 2 Dagster projects"
    report.add(Row(what, a, b, "dg check defs", "<= 0.2x", max_ratio=0.2))

    a, b = paired(
        lambda: timed([WS, "list", "defs", "--no-cache"], env=env),
        lambda: _dg_list_each(root, venvs, env),
        runs,
    )
    what = "ws list defs --no-cache, 2 Dagster projects"
    against = "dg list defs in each project"
    report.add(Row(what, a, b, against, "<= 0.2x", max_ratio=0.2))

    version = bench.version_command(env)
    for command in (["check"], ["list", "defs"]):
        bench.run([WS, *command], env=env)  # fills the cache
        a, b = paired(lambda c=command: timed([WS, *c], env=env), version, runs)
        what = f"ws {' '.join(command)} (cached), 2 Dagster projects"
        report.add(Row(what, a, b, "ws --version", "<= 1.3x", max_ratio=1.3))
    report.note(
        "dagster: a dg.toml workspace of two projects (tests/samples/dagster_classic and"
        " dagster_defs_folder), each with its own .venv (dagster + dagster-dg-cli, bytecode"
        " compiled, built untimed); ws reads it without a ws.toml. Cold = `--no-cache`; dg has no"
        " cache. `dg list defs` runs once per project, in the project's activated env."
    )


def _write_workspace(root: Path) -> list[Path]:
    text = 'directory_type = "workspace"\n\n[workspace]\n'
    venvs = []
    for name in PROJECTS:
        folder = root / "projects" / name
        shutil.copytree(REPO / "tests" / "samples" / name, folder)
        text += f'\n[[workspace.projects]]\npath = "projects/{name}"\n'
        venvs.append(_build_env(folder))
    (root / "dg.toml").write_text(text)
    return venvs


def _build_env(project: Path) -> Path:
    """The project's `.venv`, as `uv sync` would make it, with dg in it."""
    import virtualenv
    from uv import find_uv_bin

    venv = project / ".venv"
    virtualenv.cli_run([str(venv), "--no-seed", "--quiet", "-p", sys.executable])
    python = str(venv / "bin" / "python")
    install = ["pip", "install", "--quiet", "--compile-bytecode", "--python", python]
    install += ["-c", str(REPO / "tests" / "samples" / "dagster-constraints.txt")]  # tested line
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [find_uv_bin(), *install, "-e", str(project), "dagster-dg-cli"], env=env, check=True
    )
    return venv


def _dg_list_each(root: Path, venvs: list[Path], env: dict[str, str]) -> float:
    seconds = 0.0
    for name, venv in zip(PROJECTS, venvs, strict=True):
        activated = {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{env['PATH']}"}
        seconds += timed(["dg", "list", "defs"], cwd=root / "projects" / name, env=activated)
    return seconds
