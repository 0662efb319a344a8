"""What `ws dev` reports: each code server's state, and the events that carry it.

Plain frozen values: the CLI renders them as a table or as `--json` lines (whose form, a
contract, is `DevEvent.to_json`) without importing threads or processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ws.loading.model import LoadError, Snapshot
from ws.loading.problems import Problem

Status = Literal["starting", "syncing", "loaded", "reloading", "restarting", "error", "stopped"]
EventKind = Literal[
    "starting", "syncing", "loaded", "error", "reloading", "restarting", "stopped", "output",
    "problems", "workspace_error", "ui", "ui_error",
]  # fmt: skip
COUNTED = ("assets", "asset_checks", "jobs", "schedules", "sensors", "resources")
EVENTS_VERSION = 1


@dataclass(frozen=True)
class ServerState:
    """What the table shows for one project; `counts` and `python` come from the last good load."""

    name: str
    status: Status = "starting"
    python: str | None = None
    pid: int | None = None  # the process holding the loaded code
    ms: int | None = None  # the last load, as ws waited for it
    counts: Mapping[str, int] | None = None
    error: LoadError | None = None
    stale: bool = False  # the code changed since `counts`: the last reload failed
    snapshot: Snapshot | None = field(default=None, repr=False)  # the last good load


@dataclass(frozen=True)
class DevEvent:
    kind: EventKind
    name: str | None = None
    state: ServerState | None = None
    reason: str | None = None  # reloading, syncing, restarting: what happened
    delay: float | None = None  # restarting: seconds before the new server starts
    # output: one line user code printed; workspace_error, ui_error: the message; ui: the URL
    text: str | None = None
    problems: tuple[Problem, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """One line of `ws dev --json`."""
        data: dict[str, Any] = {"version": EVENTS_VERSION, "event": self.kind}
        if self.kind == "problems":
            data["problems"] = [p.to_json() for p in self.problems]
            return data
        if self.kind == "workspace_error":
            data["message"] = self.text
            return data
        if self.kind == "ui":
            data["url"] = self.text
            return data
        if self.kind == "ui_error":
            data.update(name=self.name, message=self.text)
            return data
        data["name"] = self.name
        state = self.state
        if state is not None:
            data["pid"] = state.pid
        if self.kind == "loaded" and state is not None:
            data.update(ms=state.ms, counts=dict(state.counts or {}), python=state.python)
        elif self.kind == "error" and state is not None:
            data.update(error=state.error.to_json() if state.error else {}, stale=state.stale)
        elif self.kind == "output":
            data["line"] = self.text
        if self.reason is not None:
            data["reason"] = self.reason
        if self.delay is not None:
            data["delay"] = self.delay
        return data
