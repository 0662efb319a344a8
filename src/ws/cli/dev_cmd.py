"""`ws dev`: a code server per project, reloaded on save, shown as a live table or as JSON lines."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.live import Live

    from ws.cli.ui_cmd import PreparedUi
    from ws.dev.events import DevEvent, ServerState
    from ws.dev.ui import DevUi
    from ws.loading.problems import Problem
    from ws.workspace.model import Workspace

_STYLES = {"loaded": "green", "error": "bold red", "restarting": "yellow", "stopped": "dim"}
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def dev(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Projects to serve. Default: the one you stand in, else all."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Serve this team's projects.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON line per event instead of a table.")
    ] = False,
    fork: Annotated[
        bool | None,
        typer.Option(
            "--fork/--no-fork",
            help="Reload by forking a warm process that has imported the project's dependencies. "
            "Default: on Linux.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds one load may take. Default: [workspace] timeout, else 60."),
    ] = None,
    ui: Annotated[
        bool,
        typer.Option(
            "--ui",
            help="Also run Dagster's UI over the projects, as `ws ui` does, reloading a "
            "location in it whenever ws dev reloads that project.",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="With --ui: the webserver's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --ui: the webserver's port.")] = 3000,
) -> None:
    """Serve each project's definitions and reload a project when its files change, until Ctrl-C.

    A change to a project's .py files reloads that project alone, in a new process swapped in once it answered; pyproject.toml or uv.lock re-syncs its env first; ws.toml starts and stops servers. A server that dies is restarted. With --ui, Dagster's webserver runs beside it and each reload reloads that location there. Ctrl-C stops every server.
    """
    from ws.dev.session import DevSession
    from ws.errors import ConfigError

    if timeout is not None and timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds.")
    workspace = _common.load_workspace()
    dev_ui = _dev_ui(workspace, names or [], owner, host, port) if ui else None
    view: _JsonLines | _EventLines | _Table
    if json_output:
        view = _JsonLines()
    elif sys.stdout.isatty():
        view = _Table(_common.stdout_console())
    else:  # piped (a CI log, `| tee`): a line per event, as it happens
        view = _EventLines()
    use_fork = sys.platform == "linux" if fork is None else fork
    on_event = view.event
    if dev_ui is not None:
        ui_events = dev_ui.event

        def on_event(event: DevEvent) -> None:
            view.event(event)
            ui_events(event)

    session = DevSession(
        workspace,
        names or [],
        owner=owner,
        cwd=Path.cwd(),
        on_event=on_event,
        fork=use_fork,
        timeout=timeout,
    )
    with _stop_requested() as stop, view:
        try:
            session.start()
            if dev_ui is not None:
                dev_ui.start(view.event)
            while not stop.wait(0.5):
                pass
        finally:
            if dev_ui is not None:
                dev_ui.stop()
            session.stop()


class _LazyUi:
    """`--ui`'s DevUi, made once ws dev's view exists (its events go there)."""

    def __init__(self, prepared: PreparedUi, host: str, port: int) -> None:
        self._prepared, self._host, self._port = prepared, host, port
        self._ui: DevUi | None = None
        self._early: list[DevEvent] = []  # events before start: first loads, to remember

    def start(self, say: Callable[[DevEvent], None]) -> None:
        from ws.deploy.ui import DagsterDev
        from ws.dev.ui import DevUi

        prepared = self._prepared
        log = prepared.plan.dagster_log
        dagster = DagsterDev(prepared.plan, prepared.env, host=self._host, port=self._port, log=log)
        ui = DevUi(prepared.plan, dagster, prepared.bridge, prepared.bridged, say=say)
        for event in self._early:
            ui.event(event)
        self._ui = ui
        ui.start()

    def event(self, event: DevEvent) -> None:
        if self._ui is None:
            self._early.append(event)
        else:
            self._ui.event(event)

    def stop(self) -> None:
        if self._ui is not None:
            self._ui.stop()


def _dev_ui(
    workspace: Workspace, names: list[str], owner: str | None, host: str, port: int
) -> _LazyUi:
    """Plan and build what `--ui` serves before any server starts; its lines go to stderr
    (stdout is the events')."""
    from ws.cli.ui_cmd import prepare_ui

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    projects = workspace.select(names, owner=owner, cwd=Path.cwd())
    prepared = prepare_ui(workspace, projects, say=say)
    say(
        f"Dagster UI: starting dagster dev for {prepared.served} (its output: {prepared.plan.dagster_log})"
    )
    return _LazyUi(prepared, host, port)


@contextmanager
def _stop_requested() -> Iterator[threading.Event]:
    """An event set by Ctrl-C, SIGTERM or SIGHUP; further ones are ignored while ws dev stops."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    for sig in _STOP_SIGNALS:
        signal.signal(sig, lambda signum, frame: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _JsonLines:
    """`--json`: one line per event on stdout, nothing else there. Events come from the
    session's threads and `--ui`'s: one lock keeps each line whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> _JsonLines:
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()

    def event(self, event: DevEvent) -> None:
        line = json.dumps(event.to_json()) + "\n"
        with self._lock:
            sys.stdout.write(line)
            sys.stdout.flush()


class _EventLines:
    """Piped: one plain line per event, written when it happens (a live table would show only
    its last frame)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # as _JsonLines: events come from several threads

    def __enter__(self) -> _EventLines:
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()

    def event(self, event: DevEvent) -> None:
        line = event_line(event) + "\n"
        with self._lock:
            sys.stdout.write(line)
            sys.stdout.flush()


def event_line(event: DevEvent) -> str:
    """An event as a line: `alpha  loaded  Python 3.12.1, 3 assets, 1 job, 41 ms, pid 4242`."""
    if event.kind == "problems":
        found = [f"problem: {p.message}" for p in event.problems]
        return "\n".join(found) if found else "problems: none"
    if event.kind == "workspace_error":
        return f"ws.toml: {event.text}"
    if event.kind == "ui":
        return f"Dagster UI: {event.text}"
    if event.kind == "ui_error":
        return f"Dagster UI: {event.name + ': ' if event.name else ''}{event.text}"
    if event.kind == "output":
        return f"{event.name} | {event.text}"
    state = event.state
    parts = [f"{event.name}  {event.kind}"]
    if event.kind == "loaded" and state is not None:
        counts = state.counts or {}
        what = ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("assets", "jobs", "schedules", "sensors")
        )
        parts.append(f"Python {state.python}, {what}, {state.ms} ms, pid {state.pid}")
    elif event.kind == "error" and state is not None and state.error is not None:
        stale = " (still serving the last good load)" if state.stale else ""
        headline = (state.error.message.splitlines() or [""])[0]
        parts.append(f"{state.error.kind}: {headline}{stale}")
    if event.reason:
        parts.append(f"({event.reason})")
    if event.delay is not None:
        parts.append(f"in {event.delay:g} s")
    return "  ".join(parts)


class _Table:
    """A live table, a row per project; errors, problems and what user code prints go under it."""

    def __init__(self, console: Console) -> None:
        from rich.live import Live

        self._lock = threading.Lock()
        self._rows: dict[str, ServerState] = {}
        self._problems: tuple[Problem, ...] = ()
        self._workspace_error: str | None = None
        self._live: Live = Live(self, console=console, refresh_per_second=8)

    def __enter__(self) -> _Table:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def event(self, event: DevEvent) -> None:
        from rich.text import Text

        with self._lock:
            if event.kind == "problems":  # also said once ws.toml reads well again
                self._problems, self._workspace_error = event.problems, None
            elif event.kind == "workspace_error":
                self._workspace_error = event.text
            elif event.name is not None and event.state is not None and event.kind != "output":
                self._rows[event.name] = event.state
        if event.kind == "output":
            self._live.console.print(Text(f"{event.name} | {event.text}", style="dim"))
        elif event.kind in ("ui", "ui_error"):
            self._live.console.print(Text(event_line(event)), soft_wrap=True)
        if self._live.is_started:  # at once, rather than at the next of 8 refreshes a second
            self._live.refresh()

    def __rich__(self) -> Group:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold")
        for column in ("project", "python", "status", "assets", "jobs", "sched", "sensors"):
            table.add_column(column, justify="right" if column in _COUNTS else "left")
        table.add_column("ms", justify="right")
        table.add_column("pid", justify="right")
        below: list[Text] = []
        with self._lock:
            rows = list(self._rows.values())
            problems, workspace_error = self._problems, self._workspace_error
        for state in rows:
            table.add_row(*_cells(state))
            if state.error:
                line = Text.assemble((state.name, "bold"), "  ", (f"{state.error.kind}: ", "red"))
                line.append(state.error.message.splitlines()[0] if state.error.message else "")
                line.no_wrap, line.overflow = True, "ellipsis"
                below.append(line)
        if workspace_error:
            below.append(Text.assemble(("ws.toml: ", "bold red"), workspace_error))
        below += [Text.assemble(("problem: ", "bold yellow"), p.message) for p in problems]
        return Group(table, *below)


_COUNTS = ("assets", "jobs", "sched", "sensors")


def _cells(state: ServerState) -> list[Any]:
    from rich.text import Text

    counts = state.counts or {}
    dim = "dim" if state.stale else ""
    status = "error (stale)" if state.stale and state.status == "error" else state.status
    number = [
        Text(str(counts[k]), style=dim) if k in counts else ""
        for k in ("assets", "jobs", "schedules", "sensors")
    ]
    return [
        Text(state.name, style="bold"),
        state.python or "",
        Text(status, style=_STYLES.get(state.status, "cyan")),
        *number,
        str(state.ms) if state.ms is not None else "",
        str(state.pid) if state.pid is not None and state.status != "stopped" else "",
    ]
