"""`ws dev`: a code server per project, reloaded on save, shown as a live table or as JSON lines."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ws.cli import _common

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.live import Live

    from ws.dev.events import DevEvent, ServerState
    from ws.loading.problems import Problem

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
) -> None:
    """Serve each project's definitions and reload a project when its files change, until Ctrl-C.

    A change to a project's .py files reloads that project alone, in a new process swapped in once it answered; pyproject.toml or uv.lock re-syncs its env first; ws.toml starts and stops servers. A server that dies is restarted. Ctrl-C stops every server.
    """
    from ws.dev.session import DevSession
    from ws.errors import ConfigError

    if timeout is not None and timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds.")
    workspace = _common.load_workspace()
    view: _JsonLines | _EventLines | _Table
    if json_output:
        view = _JsonLines()
    elif sys.stdout.isatty():
        view = _Table(_common.stdout_console())
    else:  # piped (a CI log, `| tee`): a line per event, as it happens
        view = _EventLines()
    use_fork = sys.platform == "linux" if fork is None else fork
    session = DevSession(
        workspace,
        names or [],
        owner=owner,
        cwd=Path.cwd(),
        on_event=view.event,
        fork=use_fork,
        timeout=timeout,
    )
    with _stop_requested() as stop, view:
        try:
            session.start()
            while not stop.wait(0.5):
                pass
        finally:
            session.stop()


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
    """`--json`: one line per event on stdout, nothing else there."""

    def __enter__(self) -> _JsonLines:
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()

    def event(self, event: DevEvent) -> None:
        sys.stdout.write(json.dumps(event.to_json()) + "\n")
        sys.stdout.flush()


class _EventLines:
    """Piped: one plain line per event, written when it happens (a live table would show only
    its last frame)."""

    def __enter__(self) -> _EventLines:
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()

    def event(self, event: DevEvent) -> None:
        sys.stdout.write(event_line(event) + "\n")
        sys.stdout.flush()


def event_line(event: DevEvent) -> str:
    """An event as a line: `alpha  loaded  Python 3.12.1, 3 assets, 1 job, 41 ms, pid 4242`."""
    if event.kind == "problems":
        found = [f"problem: {p.message}" for p in event.problems]
        return "\n".join(found) if found else "problems: none"
    if event.kind == "workspace_error":
        return f"ws.toml: {event.text}"
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
