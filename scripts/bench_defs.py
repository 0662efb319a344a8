"""Section "defs" (issue 5): `ws list defs` on N projects, cold and warm, against `ws --version`.

The projects hold the template's example definitions (`ws add` makes the same). Their envs are
built once, untimed. Cold is `--no-cache`: one loader process per project, CPU-count at once.
Warm reuses the snapshot cache. The cold goal comes from the slowest single load:
    goal = 1.3 x ceil(N / CPUs) x slowest single load + 0.1 s
ceil, because one load cannot be spread over CPUs (N = 1 on 2 CPUs still takes a whole load).
A single load is timed as ws does it (`ws.loading.shim.load_location`: start the env's interpreter,
import, answer), alone, by this file run as a child in the same environment as ws's runs. All
projects are timed once to find the slowest; that one is then timed again in every round, beside
the cold runs, so that the goal figure feels the same machine load as what it judges.
"""

from __future__ import annotations

import json
import math
import resource
import statistics
import sys
import time
from pathlib import Path

import bench
from bench import WS, Offline, Report, Row, rounds, timed

SIZES = (1, 10, 50)
QUICK_SIZES = (1, 10)
SINGLE_RUNS = 3  # loads per project and round; their median is its single-load figure


def bench_defs(report: Report, runs: int, scratch: Path) -> None:
    sources = bench.offline_sources(scratch)
    for count in QUICK_SIZES if bench.settings.quick else SIZES:
        _bench_size(report, runs, scratch / f"defs-{count}", count, sources)
    report.note(
        "defs: envs synced once, untimed; cold = `--no-cache` (one loader process per project,"
        f" {bench.CPUS} at once). Goal rows: the cold run against its goal figure of the same"
        " round, 1.3 x ceil(N / CPUs) x single load + 0.1 s, where the single load is the"
        f" median of {SINGLE_RUNS} loads of the slowest project (ws.loading.shim.load_location,"
        " one at a time)."
    )


def _bench_size(report: Report, runs: int, root: Path, count: int, sources: Offline) -> None:
    bench.write_workspace(root, count, sources.request)
    env = sources.env(root)
    bench.run([WS, "sync"], env=env)
    bench.run([WS, "list", "defs", "--no-cache"], env=env)  # writes the projects' bytecode
    loads = _single_loads(root, env)
    slowest = max(loads, key=lambda name: statistics.median(loads[name]["seconds"]))
    waves = math.ceil(count / bench.CPUS)
    plural = "s" if count > 1 else ""
    singles: list[dict[str, list[float]]] = []

    def single() -> float:
        singles.append(_single_loads(root, env, slowest)[slowest])
        return statistics.median(singles[-1]["seconds"])

    cold, version, single_s = rounds(
        [
            lambda: timed([WS, "list", "defs", "--no-cache"], env=env),
            bench.version_command(env),
            single,
        ],
        runs,
    )
    what = f"ws list defs --no-cache, {count} project{plural}"
    report.add(Row(what, cold, version, "ws --version"))
    goals = [1.3 * waves * s + 0.1 for s in single_s]
    against = f"its goal: 1.3 x {waves} x {statistics.median(single_s):.3f} s + 0.1 s"
    report.add(Row(f"{what}, against goal", cold, goals, against, "<= 1x", max_ratio=1.0))

    warm, version = rounds(
        [lambda: timed([WS, "list", "defs"], env=env), bench.version_command(env)], runs
    )
    limit = 2.0 if count == 50 else None
    what = f"ws list defs (cached), {count} project{plural}"
    report.add(Row(what, warm, version, "ws --version", "<= 2x" if limit else "", max_ratio=limit))

    if count == 1:
        what = "one load of the template's example project (interpreter start to answer)"
        report.add(Row(what, single_s, goal="< 0.1 s", max_seconds=0.1))
        cpu = statistics.median(x for s in singles for x in s["cpu"])
        load_ms = statistics.median(x for s in singles for x in s["load_ms"])
        report.note(
            f"defs: that load's CPU time (user + sys of the interpreter) is {cpu:.3f} s; its"
            f" import of the definitions (load_ms) {load_ms:.0f} ms."
        )


def _single_loads(
    root: Path, env: dict[str, str], name: str | None = None
) -> dict[str, dict[str, list[float]]]:
    command = [sys.executable, __file__, str(root), *([name] if name else [])]
    # Everything it runs is compiled by now; this only keeps scripts/__pycache__ from appearing.
    env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    result: dict[str, dict[str, list[float]]] = json.loads(bench.run(command, env=env))
    return result


def single_loads(root: Path, name: str | None) -> dict[str, dict[str, list[float]]]:
    """Each project (or just `name`) loaded alone, SINGLE_RUNS times: wall, CPU, import time."""
    from ws.loading.locations import load_target
    from ws.loading.shim import load_location
    from ws.workspace.ws_toml import read_workspace

    out: dict[str, dict[str, list[float]]] = {}
    for project in read_workspace(root).projects:
        if name is not None and project.name != name:
            continue
        figures: dict[str, list[float]] = {"seconds": [], "cpu": [], "load_ms": []}
        for _ in range(SINGLE_RUNS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            result = load_location(load_target(project))
            figures["seconds"].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if result.snapshot is None:
                sys.exit(f"bench: {project.name} did not load: {result.error}")
            figures["cpu"].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
            figures["load_ms"].append(result.snapshot.load_ms)
        out[project.name] = figures
    return out


if __name__ == "__main__":  # run by bench_defs() in ws's environment: `bench_defs.py ROOT [NAME]`
    print(json.dumps(single_loads(Path(sys.argv[1]), (sys.argv[2:] or [None])[0])))
