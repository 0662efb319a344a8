#!/usr/bin/env python3
"""ws's benchmarks: whole commands, timed side by side in one run, reported as medians and ratios.

Every comparison runs its commands in turn (A B A B ...) after a warm-up, so a machine that
speeds up or slows down during the run affects both alike; each ratio is taken pair by pair and
the median quoted. Nothing here asserts: the goals are printed beside the figures, with a verdict.

    python scripts/bench.py                     # every section but dagster and real
    python scripts/bench.py python sync --runs 7
    python scripts/bench.py real --runs 3       # needs the registry the first time
    python scripts/bench.py --quick             # fewer sizes and runs: a minute or two
    python scripts/bench.py --write docs/benchmarks.md

Run it with the ws you want to measure on PATH, or from this checkout's .venv (the default).
Bytecode: an installed ws has compiled bytecode, but this checkout's dev shell sets
PYTHONDONTWRITEBYTECODE=1, under which an editable ws would recompile its modules on every run.
So every child the bench starts runs without that variable: the warm-up run writes `__pycache__`
beside ws's sources (and the projects' sources), as a real install and a user's first run would.
Big sections live in their own files (`bench_sync.py`, `bench_defs.py`) and are imported lazily.

Sections: python (`ws python list`), sync (cold and no-op `ws sync`, tiny projects), defs
(`ws list defs`, tiny projects), dev (`ws dev`), and three that need the package registry, so
run only when named: dagster (ws against `dg` on a dg.toml workspace; `--dagster` adds it), real
(Dagster projects with dagster, pandas and a `uv.lock`, on two Pythons, against `uv sync --frozen`
and `uv pip install`; the registry only the first time, then a cache in ~/.cache/ws-bench) and ui
(`ws ui` until every location loaded, against `dg dev` and `dagster dev -w`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WS = str(BIN / "ws") if (BIN / "ws").exists() else "ws"
TINY_BACKEND = REPO / "tests" / "backend"
CPUS = os.cpu_count() or 1


@dataclass
class Settings:
    """Options every section may read (`--quick`)."""

    quick: bool = False


settings = Settings()


@dataclass
class Row:
    """One measured command, and optionally what it ran against in the same rounds.

    `max_ratio` / `max_seconds` / `max_extra` make the goal checkable: met when the median
    ratio (median seconds; median seconds over the baseline's median) is at most that.
    """

    what: str
    a: list[float]
    b: list[float] | None = None
    against: str = ""
    goal: str = ""
    max_ratio: float | None = None
    max_seconds: float | None = None
    max_extra: float | None = None

    def ratios(self) -> list[float]:
        assert self.b is not None
        return [x / y for x, y in zip(self.a, self.b, strict=True)]

    def verdict(self) -> str:
        checks = []
        if self.max_ratio is not None:
            checks.append(statistics.median(self.ratios()) <= self.max_ratio)
        if self.max_seconds is not None:
            checks.append(statistics.median(self.a) <= self.max_seconds)
        if self.max_extra is not None and self.b is not None:
            extra = statistics.median(self.a) - statistics.median(self.b)
            checks.append(extra <= self.max_extra)
        if not checks:
            return ""
        return "met" if all(checks) else "MISSED"

    def cells(self) -> list[str]:
        goal = f"{self.goal}: {self.verdict()}" if self.verdict() else self.goal
        med_a = f"{statistics.median(self.a):.3f}"
        if self.b is None:
            return [self.what, med_a, "", "", "", goal]
        ratios = self.ratios()
        return [
            self.what,
            med_a,
            self.against,
            f"{statistics.median(self.b):.3f}",
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
            goal,
        ]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(row.cells()), flush=True)

    def note(self, text: str) -> None:
        """A sentence printed under the table: how something was measured."""
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def markdown(self) -> str:
        head = ["measured", "median s", "against", "median s", "ratio (min-max)", "goal"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r.cells()) + " |" for r in self.rows]
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines)


def run(command: Sequence[str], *, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a command untimed; its stdout, or exit with its stderr when it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} failed:\n{done.stderr or done.stdout}")
    return done.stdout


def timed(
    command: Sequence[str] | Callable[[], object],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> float:
    start = time.perf_counter()
    if callable(command):
        command()
    else:
        done = subprocess.run(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if done.returncode != 0:  # a failed command is no measurement
            sys.exit(f"bench: {' '.join(map(str, command))} failed:\n{done.stderr.decode()}")
    return time.perf_counter() - start


def rounds(
    commands: Sequence[Callable[[], float]],
    runs: int,
    warmup: int = 1,
    *,
    upto: Sequence[int] | None = None,
) -> list[list[float]]:
    """Run the commands in turn, round after round; each returns its own seconds.

    Command i takes part in the first `upto[i]` counted rounds only (a slow baseline needs fewer).
    """
    upto = upto or [runs] * len(commands)
    times: list[list[float]] = [[] for _ in commands]
    for round_ in range(-warmup, runs):
        for i, command in enumerate(commands):
            if round_ < upto[i]:
                seconds = command()
                if round_ >= 0:
                    times[i].append(seconds)
    return times


def paired(
    a: Callable[[], float], b: Callable[[], float], runs: int, warmup: int = 1
) -> tuple[list[float], list[float]]:
    """Run a and b alternately; each returns its own seconds (so setup can stay outside the timing)."""
    times_a, times_b = rounds([a, b], runs, warmup)
    return times_a, times_b


def ws_env(workspace: Path | None = None, **extra: str) -> dict[str, str]:
    dropped = ("WS_WORKSPACE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    if workspace is not None:
        env["WS_WORKSPACE"] = str(workspace)
    env.update(extra)
    return env


def version_command(env: dict[str, str] | None = None) -> Callable[[], float]:
    return lambda: timed([WS, "--version"], env=env or ws_env())


# --- throwaway workspaces (sync, defs) --------------------------------------------------------


@dataclass(frozen=True)
class Offline:
    """Local wheels and caches shared by every contender, so that nothing reaches the network.

    uv (inside ws, and `uv pip`) reads `links` with UV_OFFLINE=1 and a cache of the bench's own,
    warm after the first run; pip gets `--no-index --find-links` and keeps its default cache.
    """

    links: Path
    uv_cache: Path
    ws_cache: Path
    request: str  # the workspace's Python request, e.g. "3.11"

    def env(self, workspace: Path | None = None) -> dict[str, str]:
        return ws_env(
            workspace,
            UV_OFFLINE="1",
            UV_FIND_LINKS=str(self.links),
            UV_CACHE_DIR=str(self.uv_cache),
            UV_PYTHON_DOWNLOADS="never",
            WS_CACHE_DIR=str(self.ws_cache),
            PIP_NO_INDEX="1",
            PIP_FIND_LINKS=str(self.links),
        )

    def interpreter(self) -> str:
        """The interpreter ws picks for `request`: the baselines get the same one."""
        return run([WS, "python", "find", self.request], env=self.env()).strip()


def _test_samples() -> ModuleType:
    """tests/backend/samples.py: the tests' tiny build backend, wheels and projects."""
    if str(TINY_BACKEND.parent) not in sys.path:
        sys.path.insert(0, str(TINY_BACKEND.parent))
    return importlib.import_module("backend.samples")


def offline_sources(scratch: Path) -> Offline:
    """One dependency wheel (`tinydep`) and ws's own ws-defs wheel, in one find-links folder."""
    write_wheels = _test_samples().write_wheels  # the tests' offline wheel writer

    request = f"{sys.version_info.major}.{sys.version_info.minor}"
    sources = Offline(scratch / "links", scratch / "uv-cache", scratch / "ws-cache", request)
    write_wheels(sources.links, {"tinydep": ["1.0"]})
    wheel = run(
        [sys.executable, "-c", "from ws.envs.defs_wheel import defs_wheel; print(defs_wheel())"],
        env=sources.env(),
    ).strip()
    shutil.copy(wheel, sources.links)  # for pip and `uv pip`; ws offers its own copy itself
    return sources


def write_workspace(root: Path, count: int, request: str) -> list[Path]:
    """A workspace of `count` projects like `ws add` makes, but built by the tests' tiny backend.

    Each depends on ws-defs and tinydep and holds the template's example definitions.
    """
    from ws.workspace.scaffold import render_tree

    write_project = _test_samples().write_project

    text = f'[workspace]\nname = "bench"\npython = "{request}"\n'
    projects = []
    for i in range(1, count + 1):
        name = f"p{i:02d}"
        folder = write_project(root / "projects" / name, name, dependencies=["ws-defs", "tinydep"])
        render_tree("project", folder, {"name": name, "import_name": name})  # keeps pyproject
        text += f'\n[[workspace.projects]]\npath = "projects/{name}"\n'
        projects.append(folder)
    (root / "ws.toml").write_text(text)
    return projects


# --- sections -------------------------------------------------------------------------------


def bench_python(report: Report, runs: int, scratch: Path) -> None:
    """Warm `ws python list` against `ws --version` (goal: at most 1.5x)."""
    env = ws_env(WS_CACHE_DIR=str(scratch / "cache"))
    subprocess.run([WS, "python", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
    a, b = paired(lambda: timed([WS, "python", "list"], env=env), version_command(env), runs)
    report.add(Row("ws python list (warm)", a, b, "ws --version", "<= 1.5x", max_ratio=1.5))


def _lazy(module: str) -> Callable[[Report, int, Path], None]:
    """The section `module.module` of `scripts/<module>.py`, imported only when it runs."""

    def section(report: Report, runs: int, scratch: Path) -> None:
        getattr(importlib.import_module(module), module)(report, runs, scratch)

    return section


SECTIONS: dict[str, Callable[[Report, int, Path], None]] = {
    "python": bench_python,
    "sync": _lazy("bench_sync"),
    "defs": _lazy("bench_defs"),
    "dagster": _lazy("bench_dagster"),  # needs the package registry (dagster, dg)
    "dev": _lazy("bench_dev"),
    "real": _lazy("bench_real"),  # needs the package registry the first time (dagster, pandas)
    "ui": _lazy("bench_ui"),  # needs the package registry (dagster, dagster-webserver, dg)
}
# Sections that reach the package registry: run only when named (or `--dagster` for dagster).
REGISTRY_SECTIONS = ("dagster", "real", "ui")


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {CPUS} CPUs, Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    # Section files `import bench`: let them share this module rather than load a second copy.
    sys.modules.setdefault("bench", sys.modules[__name__])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "sections",
        nargs="*",
        help=f"sections to run: {', '.join(SECTIONS)} (default: all but"
        f" {' and '.join(REGISTRY_SECTIONS)}, which need the package registry: name them)",
    )
    parser.add_argument("--runs", type=int, help="counted runs per command (default 5, quick 3)")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and runs")
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument(
        "--dagster",
        action="store_true",
        help="also run the dagster section (installs dagster and dg from the registry)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    settings.quick = args.quick
    runs = args.runs or (3 if args.quick else 5)
    # dagster and real need the registry and minutes of installing: only when named or asked for.
    chosen = args.sections or [name for name in SECTIONS if name not in REGISTRY_SECTIONS]
    if args.dagster and "dagster" not in chosen:
        chosen.append("dagster")
    report = Report()
    print(f"# {machine()}; ws = {WS}; {runs} runs each, medians\n")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ws-bench-") as tmp:
        for name in chosen:
            scratch = Path(tmp) / name
            scratch.mkdir()
            SECTIONS[name](report, runs, scratch)
            shutil.rmtree(scratch, ignore_errors=True)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        notes = _notes(args.write)
        stamp = time.strftime("%Y-%m-%d")
        command = " ".join(["python scripts/bench.py", *(argv or sys.argv[1:])])
        args.write.write_text(
            f"# Benchmarks\n\nMeasured {stamp} on {machine()} with `{command}`"
            f" ({runs} counted runs; load average {load_before:.1f} at the start,"
            f" {os.getloadavg()[0]:.1f} at the end).\nWhole commands, run in turn with what they are compared"
            " against; medians, and ratios taken pair by pair (median, then min-max). A goal"
            " ends in `met` or `MISSED`. Written by `scripts/bench.py --write`: rerun it rather"
            " than edit this file; it keeps the hand-written `## Notes` at the end.\n\n"
            + report.markdown()
            + "\n"
            + notes
        )
    return 0


NOTES_HEADING = "\n## Notes\n"


def _notes(path: Path) -> str:
    """The hand-written `## Notes` section of an earlier --write (why goals are missed, say),
    kept under the new table; the figures it quotes are the writer's to update."""
    try:
        text = path.read_text()
    except OSError:
        return ""
    at = text.find(NOTES_HEADING)
    return text[at:] if at >= 0 else ""


if __name__ == "__main__":
    sys.exit(main())
