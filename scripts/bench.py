#!/usr/bin/env python3
"""ws's benchmarks: whole commands, timed side by side in one run, reported as medians and ratios.

Every comparison runs its two commands in turn (A B A B ...) after a warm-up, so a machine that
speeds up or slows down during the run affects both alike; each ratio is taken pair by pair and
the median quoted. Nothing here asserts: the goals are printed beside the figures.

    python scripts/bench.py                     # every section
    python scripts/bench.py python sync --runs 7
    python scripts/bench.py --write docs/benchmarks.md

Run it with the ws you want to measure on PATH, or from this checkout's .venv (the default).
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WS = str(BIN / "ws") if (BIN / "ws").exists() else "ws"
TINY_BACKEND = REPO / "tests" / "backend"


@dataclass
class Row:
    what: str
    a: list[float]
    b: list[float] | None = None
    against: str = ""
    goal: str = ""

    def cells(self) -> list[str]:
        med_a = statistics.median(self.a)
        if self.b is None:
            return [self.what, f"{med_a:.3f}", "", "", "", self.goal]
        ratios = [x / y for x, y in zip(self.a, self.b, strict=True)]
        return [
            self.what,
            f"{med_a:.3f}",
            self.against,
            f"{statistics.median(self.b):.3f}",
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
            self.goal,
        ]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(row.cells()), flush=True)

    def markdown(self) -> str:
        head = ["measured", "median s", "against", "median s", "ratio (min-max)", "goal"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r.cells()) + " |" for r in self.rows]
        return "\n".join(lines)


def timed(command: Sequence[str] | Callable[[], object], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    if callable(command):
        command()
    else:
        subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(
    a: Callable[[], float], b: Callable[[], float], runs: int, warmup: int = 1
) -> tuple[list[float], list[float]]:
    """Run a and b alternately; each returns its own seconds (so setup can stay outside the timing)."""
    for _ in range(warmup):
        a(), b()
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    return times_a, times_b


def ws_env(workspace: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WS_WORKSPACE", "VIRTUAL_ENV", "PYTHONPATH")}
    if workspace is not None:
        env["WS_WORKSPACE"] = str(workspace)
    env.update(extra)
    return env


def version_command() -> Callable[[], float]:
    return lambda: timed([WS, "--version"])


# --- sections -------------------------------------------------------------------------------


def bench_python(report: Report, runs: int, scratch: Path) -> None:
    """Warm `ws python list` against `ws --version` (goal: at most 1.5x)."""
    env = ws_env(WS_CACHE_DIR=str(scratch / "cache"))
    subprocess.run([WS, "python", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
    a, b = paired(lambda: timed([WS, "python", "list"], env=env), lambda: timed([WS, "--version"], env=env), runs)
    report.add(Row("ws python list (warm)", a, b, "ws --version", "<= 1.5x"))


SECTIONS: dict[str, Callable[[Report, int, Path], None]] = {
    "python": bench_python,
}


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []][:-1] or None, help="sections to run (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs per command (default 5)")
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    chosen = args.sections or list(SECTIONS)
    report = Report()
    print(f"# {machine()}; ws = {WS}; {args.runs} runs each, medians\n")
    with tempfile.TemporaryDirectory(prefix="ws-bench-") as tmp:
        for name in chosen:
            scratch = Path(tmp) / name
            scratch.mkdir()
            SECTIONS[name](report, args.runs, scratch)
            shutil.rmtree(scratch, ignore_errors=True)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%d")
        args.write.write_text(
            f"# Benchmarks\n\nMeasured {stamp} on {machine()} with `python scripts/bench.py"
            f" --runs {args.runs}`.\nWhole commands, run in turn with what they are compared"
            " against; ratios are taken pair by pair.\n\n" + report.markdown() + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
