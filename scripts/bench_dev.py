"""Section "dev" (issue 6): `ws dev`, from saving a file to that project's `loaded` event.

Two projects: `light` (its definitions use ws-defs only) and `heavy` (it imports `heavydep`, a
local wheel that sleeps 1.5 s at import, as a data stack takes seconds to import). Two workspaces
hold the same two projects: one is served by `ws dev --json --fork`, the other by
`ws dev --json --no-fork`, both running through all rounds. A measurement appends a comment to the
project's definitions module and reads ws dev's JSON lines until that project's `loaded` event.
With --fork, a reload forks a process that has imported the project's dependencies already;
with --no-fork, it starts a new interpreter, which imports them again.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench
from bench import WS, Offline, Report, Row, paired

HEAVY_IMPORT_SECONDS = 1.5
PROJECTS = {"light": "", "heavy": "import heavydep\n"}
DEFINITIONS = """{imports}from ws_defs import Definitions, asset, job


@asset
def {name}_orders():
    return [1, 2, 3]


@asset(deps=[{name}_orders])
def {name}_revenue():
    return 6


defs = Definitions(
    assets=[{name}_orders, {name}_revenue], jobs=[job("{name}_daily", assets=[{name}_orders])]
)
"""


def bench_dev(report: Report, runs: int, scratch: Path) -> None:
    sources = bench.offline_sources(scratch)
    heavy = f"import time\ntime.sleep({HEAVY_IMPORT_SECONDS})\n".encode()
    backend = bench._test_samples().tiny_backend
    backend.write_wheel(str(sources.links), "heavydep", "1.0", {"heavydep/__init__.py": heavy})
    servers: dict[str, _DevServer] = {}
    try:
        for mode in ("fork", "no-fork"):
            servers[mode] = _DevServer(_workspace(scratch / mode, sources), mode, sources)
        for name, label, goal in (
            ("light", "ws-defs only", "< 0.5 s"),
            ("heavy", f"imports a {HEAVY_IMPORT_SECONDS:g} s library", "< 0.5 s: no import again"),
        ):
            a, b = paired(servers["fork"].saving(name), servers["no-fork"].saving(name), runs)
            what = f"ws dev: save -> loaded, {label} (--fork)"
            report.add(Row(what, a, b, "--no-fork", goal, max_seconds=0.5))
    finally:
        for server in servers.values():
            server.stop()
    report.note(
        "ws dev: seconds from writing a project's definitions module to the `loaded` event on "
        "`ws dev --json`'s stdout (watch, debounce, load, swap); --fork forks a warm process "
        "that has imported the project's dependencies, --no-fork starts a new interpreter."
    )


def _workspace(root: Path, sources: Offline) -> Path:
    write_project = bench._test_samples().write_project
    text = f'[workspace]\nname = "bench-dev"\npython = "{sources.request}"\n'
    for name, imports in PROJECTS.items():
        dependencies = ["ws-defs", "heavydep"] if imports else ["ws-defs"]
        folder = write_project(root / name, name, dependencies=dependencies)
        (folder / "src" / name / "definitions.py").write_text(
            DEFINITIONS.format(name=name, imports=imports)
        )
        text += f'\n[[workspace.projects]]\npath = "{name}"\n'
    (root / "ws.toml").write_text(text)
    bench.run([WS, "sync", "--offline"], env=sources.env(root))
    return root


class _DevServer:
    """`ws dev --json` running in a workspace; `save(name)` times one edit to its `loaded`."""

    def __init__(self, root: Path, mode: str, sources: Offline) -> None:
        self._root = root
        self._edits = 0
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._proc = subprocess.Popen(
            [WS, "dev", "--json", f"--{mode}"],
            cwd=root,
            env=sources.env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        try:
            for name in PROJECTS:
                self._wait_loaded(name)
        except BaseException:  # a project that does not load: no `ws dev` left running
            self.stop()
            raise

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(json.loads(line))

    def _wait_loaded(self, name: str) -> dict[str, Any]:
        while True:
            event = self._lines.get(timeout=60)
            if event["event"] == "error" and event.get("name") == name:
                raise SystemExit(f"bench: ws dev could not load {name}: {event['error']}")
            if event["event"] == "loaded" and event.get("name") == name:
                return event

    def saving(self, name: str) -> Callable[[], float]:
        return lambda: self.save(name)

    def save(self, name: str) -> float:
        while not self._lines.empty():
            self._lines.get_nowait()
        self._edits += 1
        module = self._root / name / "src" / name / "definitions.py"
        text = module.read_text() + f"# edit {self._edits}\n"
        start = time.perf_counter()
        module.write_text(text)
        self._wait_loaded(name)
        return time.perf_counter() - start

    def stop(self) -> None:
        self._proc.send_signal(signal.SIGINT)  # ws dev stops its servers and exits
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
