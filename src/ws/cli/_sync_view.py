"""What a sync shows while it runs: a line per project as it finishes, and live progress.

Results go to `out` (stdout for `ws sync`, stderr for `ws run --sync`, whose stdout is the
command's), one line per project that needed building, printed the moment it is done: a CI log
shows a project that finished at 2.4 s at 2.4 s. Progress goes to stderr, as uv's does:
- live (stderr a terminal that is not dumb, no NO_COLOR, colours not turned off): a Rich display
  of the projects being built, each with what uv says it is doing (`Resolved 37 packages`), and
  the finished lines printed above it;
- plain (stderr piped, TERM=dumb, NO_COLOR or `--color never`): one `name: phase` line per
  change, nothing redrawn, and Rich never imported;
- none with `-q`, `--no-progress` or `--json` (which also prints no result lines).
Events come from the sync's worker threads; everything here is thread-safe.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Literal, TextIO

from ws import process
from ws.cli import _common, _table

if TYPE_CHECKING:
    from rich.live import Live
    from rich.table import Table

    from ws.envs.sync import ProjectResult, SyncEvent

Progress = Literal["live", "plain", "none"]
_STYLES = {
    "created": "green",
    "updated": "green",
    "unchanged": "dim",
    "external": "cyan",
    "failed": "bold red",
}
_STAGES = {"creating": "creating the env", "installing": "installing", "waiting": "waiting"}
_PYTHON_WIDTH = len("3.12.10")
_STATUS_WIDTH = len("unchanged")


def progress_mode(*, silent: bool) -> Progress:
    """How progress is shown on stderr, from the global options and the terminal."""
    options = _common.options
    if silent or options.quiet or options.no_progress:
        return "none"
    if not _table.capable_terminal(sys.stderr):
        return "plain"
    if os.environ.get("NO_COLOR") or options.color == "never":
        return "plain"
    return "live"


class SyncView:
    """Shows a sync's events as they come; a context manager that ends the live display."""

    def __init__(self, out: TextIO, *, progress: Progress, results: bool = True) -> None:
        self._out = out
        self._mode = progress
        self._results = results
        self._styles = _table.Styles(out)
        self._lock = threading.Lock()
        self._building: dict[str, tuple[float, str]] = {}  # name -> (started, what it is doing)
        self._name_width = 0
        self._live: Live | None = None

    @property
    def shows_phases(self) -> bool:
        """Whether uv's phases are shown (worth running uv with `-v` for)."""
        return self._mode != "none"

    def __enter__(self) -> SyncView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            with process.interrupts_held():  # half-stopped, Live would leave the terminal odd
                self._live.stop()

    def event(self, event: SyncEvent) -> None:
        """Called from worker threads; `queued` comes first, from the thread running the sync."""
        kind, name = event.kind, event.project
        if kind == "waiting":
            _common.warn(f"{name}: another ws is building this environment; waiting.")
        if kind == "done":
            with self._lock:
                was_building = self._building.pop(name, None) is not None
            if was_building and self._results and event.result is not None:
                self._print_result(event.result)
            return
        with self._lock:
            if kind == "queued":
                self._name_width = max(self._name_width, len(name))
                started, what = time.monotonic(), "queued"
            else:
                started = self._building.get(name, (time.monotonic(), ""))[0]
                what = (event.detail if kind == "phase" else _STAGES.get(kind)) or kind
            self._building[name] = (started, what)
        if kind == "queued" and self._mode == "live" and self._live is None:
            self._start_live()
        elif kind in ("creating", "phase") and self._mode == "plain":
            self._write(sys.stderr, f"{name}: {what}\n")

    def _print_result(self, result: ProjectResult) -> None:
        styles = self._styles
        name = result.name.ljust(max(self._name_width, len(result.name)))
        python = (result.python or "").ljust(_PYTHON_WIDTH)
        status = styles(result.status.ljust(_STATUS_WIDTH), _STYLES.get(result.status, ""))
        seconds = f"{result.seconds:5.1f} s"
        why = styles(result.reason or "", "dim")
        text = f"{name}  {python}  {status}  {seconds}  {why}".rstrip()
        width = _table.line_width(out=self._out)
        lines = _table.fold(text, width, hang=len(name) + 2)
        live = self._live
        if live is not None and self._out.isatty():  # above the live display, on the terminal
            live.console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
        else:
            self._write(self._out, "".join(f"{line}\n" for line in lines))

    def _write(self, stream: TextIO, text: str) -> None:
        with self._lock:
            stream.write(text)
            stream.flush()

    def _start_live(self) -> None:
        from rich.live import Live

        # Not under self._lock: Live's refresh thread holds its own lock while calling
        # __rich__, which takes self._lock.
        with process.interrupts_held():  # started whole, so that __exit__ stops it whole
            self._live = Live(
                self,
                console=_common.stderr_console(),
                refresh_per_second=8,
                transient=True,  # the finished lines stay; the progress rows go
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def __rich__(self) -> Table:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, justify="right")
        table.add_column(no_wrap=True, overflow="ellipsis", style="cyan")
        with self._lock:
            rows = sorted(self._building.items(), key=lambda item: item[1][0])
        now = time.monotonic()
        for name, (started, what) in rows:
            table.add_row(name, f"{now - started:.1f} s", what)
        return table
