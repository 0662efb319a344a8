"""`ws ui`: Dagster's own `dagster dev` (webserver and daemon) over the workspace's Dagster
projects, each location's code server started by Dagster in that project's env and Python.

ws writes `.ws/workspace.yaml` (one `python_module` or `autoload_defs_module` entry per project
whose env is built, with its `executable_path`; the ws-defs projects through one bridge location,
`ws.deploy.bridge`) and runs `dagster dev -w` from the tool env
(`ws.deploy.tool_env`) in a session of its own. Ctrl-C reaches ws, not Dagster (another process
group), and ws ends the group itself: SIGINT (Dagster's own shutdown of webserver, daemon and
code servers), then SIGTERM, then SIGKILL, each with a bounded wait, and last kills whatever of
the session is still alive, so no code server outlives `ws ui`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws import process
from ws.deploy.bridge import Bridge
from ws.deploy.locations import Left, Location, dagster_locations, read_settings
from ws.deploy.tool_env import ToolEnv
from ws.deploy.yaml_text import dump_yaml
from ws.envs.environment import depends_on_ws_defs, env_python, is_built
from ws.files import write_if_changed
from ws.workspace.dagster import AUTOLOAD_DEFS
from ws.workspace.model import Project, Workspace

_HEADER = "# Written by `ws ui` for Dagster's webserver on this machine; rewritten on every run.\n"
_READY_TIMEOUT = 300.0  # seconds the webserver may take to answer (a first start compiles a lot)
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP_WAITS = ((signal.SIGINT, 20.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0))


@dataclass(frozen=True)
class UiPlan:
    """What `ws ui` serves: the locations, those left out (and why), the workspace.yaml."""

    locations: tuple[Location, ...]
    left: tuple[Left, ...]
    workspace_yaml: Path
    dagster_home: Path
    bridged: tuple[Project, ...] = ()  # ws-defs projects with a built env, for the bridge

    @property
    def bridge_folder(self) -> Path:
        return self.workspace_yaml.parent / "bridge"

    @property
    def dagster_log(self) -> Path:
        """Where `ws dev --ui` sends Dagster's output (its stdout is ws dev's events)."""
        return self.workspace_yaml.parent / "dagster-dev.log"


def plan_ui(workspace: Workspace, projects: Sequence[Project]) -> UiPlan:
    """The selected Dagster projects whose envs are built; the others left out, one reason each.

    A project whose env is not built is left out rather than synced: `ws ui` reads envs as the
    read commands do, and a sync (minutes, maybe) is the user's call.
    """
    chosen = {project.name for project in projects}
    locations, left = dagster_locations(workspace, read_settings(workspace, None, None))
    dagster_names = {location.name for location in locations}
    bridged = []
    for project in projects:  # ws-defs projects: served by the bridge, not left out
        if project.name in dagster_names or project.problem_message is not None:
            continue
        if not depends_on_ws_defs(project):
            continue
        left = [entry for entry in left if entry.name != project.name]
        if is_built(project):
            bridged.append(project)
        else:
            why = f"its env ({project.venv}) is not built; run `ws sync {project.name}`"
            left.append(Left(project.name, why))
    left = [entry for entry in left if entry.name in chosen]
    served: list[Location] = []
    for location in locations:
        if location.name not in chosen:
            continue
        if not is_built(location.project):
            why = f"its env ({location.project.venv}) is not built; run `ws sync {location.name}`"
            left.append(Left(location.name, why))
            continue
        served.append(location)
    state = workspace.root / ".ws"
    home = os.environ.get("DAGSTER_HOME")
    dagster_home = Path(home) if home else state / "dagster-home"
    return UiPlan(
        tuple(served), tuple(left), state / "workspace.yaml", dagster_home, tuple(bridged)
    )


def workspace_document(
    locations: Sequence[Location], bridge: Bridge | None = None, python: Path | None = None
) -> dict[str, Any]:
    """Dagster's workspace.yaml: an entry per location, its code server in the project's env;
    the bridge's last, in the tool env (`python`)."""
    entries = [_entry(location) for location in locations]
    if bridge is not None and python is not None:
        entries.append(bridge.entry(python))
    return {"load_from": entries}


def write_workspace_yaml(
    plan: UiPlan, bridge: Bridge | None = None, python: Path | None = None
) -> None:
    write_if_changed(
        plan.workspace_yaml, _HEADER + dump_yaml(workspace_document(plan.locations, bridge, python))
    )


def _entry(location: Location) -> dict[str, Any]:
    project = location.project
    where = {
        "working_directory": str(project.root),
        "executable_path": str(env_python(project)),
        "location_name": location.name,
    }
    attribute = project.settings.attribute
    if attribute == AUTOLOAD_DEFS:
        return {"autoload_defs_module": {"module_name": project.module, **where}}
    named = {"attribute": attribute} if attribute else {}
    return {"python_module": {"module_name": project.module, **named, **where}}


class DagsterDev:
    """`dagster dev` over the plan's workspace.yaml, in a session of its own: start it, ask its
    webserver to reload a location, stop it and everything it started."""

    def __init__(
        self, plan: UiPlan, env: ToolEnv, *, host: str, port: int, log: Path | None = None
    ) -> None:
        self._plan = plan
        self.log = log  # where its output goes (None: ws's own stdout and stderr)
        self._argv = [str(env.bin / "dagster"), "dev", "-w", str(plan.workspace_yaml)]
        self._argv += ["--host", host, "--port", str(port)]
        self.url = f"http://{_url_host(host)}:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (call with Ctrl-C held off: a child started must be one `stop` ends)."""
        self._plan.dagster_home.mkdir(parents=True, exist_ok=True)
        variables = {"DAGSTER_HOME": str(self._plan.dagster_home)}
        output = None
        if self.log is not None:
            output = self.log.open("wb")  # the child holds it open; ours closes after Popen
        try:
            self.proc = subprocess.Popen(
                self._argv,
                cwd=self._plan.workspace_yaml.parent,
                env=process.clean_env(variables),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                start_new_session=True,
                preexec_fn=_interrupt_when_parent_dies if sys.platform == "linux" else None,
            )
        finally:
            if output is not None:
                output.close()

    def answers(self) -> bool:
        return _answers(self.url)

    def reload(self, location: str) -> str | None:
        """Ask the webserver to reload one location (Dagster restarts its code server); None
        when it did, else what went wrong."""
        query = (
            "mutation($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name)"
            " { __typename ... on PythonError { message } } }"
        )
        body = json.dumps({"query": query, "variables": {"name": location}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return f"the webserver did not answer: {exc}"
        reloaded = (answer.get("data") or {}).get("reloadRepositoryLocation") or {}
        if reloaded.get("__typename") == "WorkspaceLocationEntry":
            return None
        return str(reloaded.get("message") or answer.get("errors") or reloaded)

    def stop(self) -> None:
        if self.proc is not None:
            _stop_session(self.proc)


def serve(
    plan: UiPlan,
    env: ToolEnv,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
) -> int:
    """Run `dagster dev` until it ends or ws gets SIGINT/SIGTERM; return its exit code (0 when
    the user stopped it). Every process it started is gone when this returns."""
    dagster = DagsterDev(plan, env, host=host, port=port)
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda s, f: stopping.append(s)) for sig in _SIGNALS}
    try:
        # The handlers above only take note, so no interrupt lands between Popen and `proc`.
        dagster.start()
        proc = dagster.proc
        assert proc is not None
        ready = False
        deadline = time.monotonic() + _READY_TIMEOUT
        while proc.poll() is None and not stopping:
            if not ready and dagster.answers():
                ready = True
                on_ready(dagster.url)
            elif not ready and time.monotonic() > deadline:
                break
            time.sleep(0.25)
        code = proc.poll()
        return 0 if stopping or code is None else code
    finally:
        dagster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt_when_parent_dies() -> None:
    """In the child, before exec: SIGINT (Dagster's own shutdown of everything it started) when
    the thread that started it ends, so that a ws killed outright (SIGKILL, a crash), which cannot
    stop the session itself, leaves nothing running. Linux's PR_SET_PDEATHSIG; `start` is called
    from ws's main thread, whose end is ws's end."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGINT)  # 1: PR_SET_PDEATHSIG


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _stop_session(proc: subprocess.Popen[bytes]) -> None:
    """End `dagster dev`'s group with bounded waits, then anything of its session still alive."""
    sid = proc.pid
    for sig, wait in _STOP_WAITS:
        if not _group_alive(sid) and proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(sid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (proc.poll() is None or _group_alive(sid)):
            time.sleep(0.1)
    for pid in _session_members(sid):  # a code server that left the group but not the session
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(5)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (an unreaped zombie does not count)."""
    if Path("/proc").is_dir():
        return bool(_members(pgid, field=2))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _session_members(sid: int) -> list[int]:
    return _members(sid, field=3)


def _members(ident: int, *, field: int) -> list[int]:
    """Live processes whose process group (`field` 2) or session (3) is `ident`, from /proc
    (Linux; elsewhere none are found)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, session.
        fields = text.rpartition(")")[2].split()
        if len(fields) > 3 and fields[field] == str(ident) and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
