"""`ws dev --ui`: Dagster's UI beside `ws dev`, reloaded where ws dev reloads.

The same `dagster dev` as `ws ui` (`ws.deploy.ui`), started once ws dev's own servers are up.
When ws dev reloads a project after a change (a `loaded` or `error` event after its first load),
the webserver is asked to reload that location (GraphQL `reloadRepositoryLocation`: Dagster
restarts its code server), so a save shows in the UI without a restart; a ws-defs project's new
snapshot is written to the bridge's file and the bridge location reloaded. Reloads run in one
thread of their own, one at a time, so a slow code server never holds up ws dev's events; a
burst of saves to one project asks for one reload. Projects added to ws.toml while it runs are
not added to the UI (restart `ws dev --ui`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence

from ws.deploy.bridge import LOCATION_NAME, Bridge, write_bridge
from ws.deploy.ui import DagsterDev, UiPlan
from ws.dev.events import DevEvent
from ws.loading.model import LocationResult

_READY_TIMEOUT = 300.0  # seconds the webserver may take to answer (a first start compiles a lot)


class DevUi:
    """Runs `dagster dev` for ws dev and turns ws dev's reloads into location reloads.

    `say` gets the UI's own events (`ui` with the URL when the webserver answers, `ui_error`
    when it does not start or a reload fails), from this object's thread.
    """

    def __init__(
        self,
        plan: UiPlan,
        dagster: DagsterDev,
        bridge: Bridge | None,
        bridged: Sequence[LocationResult],
        *,
        say: Callable[[DevEvent], None],
    ) -> None:
        self._plan = plan
        self._dagster = dagster
        self._bridge = bridge
        self._snapshots = {result.name: result for result in bridged}
        self._say = say
        self._locations = {location.name for location in plan.locations}
        self._seen: set[str] = set()  # projects whose first load came: what follows is a reload
        self._todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._work, name="ws-dev-ui", daemon=True)

    def start(self) -> None:
        self._dagster.start()
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._todo.put(None)
        self._dagster.stop()
        self._thread.join(10)

    def event(self, event: DevEvent) -> None:
        """ws dev's events, as they come: a reload of a served project reloads its location."""
        name = event.name
        if event.kind not in ("loaded", "error") or name is None:
            return
        first = name not in self._seen
        self._seen.add(name)
        location = None
        if name in self._locations:
            location = name
        elif name in self._snapshots and event.kind == "loaded" and event.state is not None:
            snapshot = event.state.snapshot
            if snapshot is not None and self._bridge is not None:
                self._snapshots[name] = LocationResult(name, snapshot, None)
                write_bridge(self._bridge.folder, list(self._snapshots.values()))
                location = LOCATION_NAME
        if location is None or first:
            return
        with self._lock:
            if location in self._pending:  # a reload already asked for covers this one
                return
            self._pending.add(location)
        self._todo.put(location)

    def _work(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        while not self._stopped.is_set() and not self._dagster.answers():
            if time.monotonic() > deadline or self._dagster_ended():
                self._say(DevEvent("ui_error", text="the Dagster webserver did not start"))
                return
            self._stopped.wait(0.25)
        if self._stopped.is_set():
            return
        self._say(DevEvent("ui", text=self._dagster.url))
        while True:
            location = self._todo.get()
            if location is None:
                return
            with self._lock:
                self._pending.discard(location)
            problem = self._dagster.reload(location)
            if problem is not None and not self._stopped.is_set():
                self._say(DevEvent("ui_error", location, text=f"reloading it: {problem}"))

    def _dagster_ended(self) -> bool:
        proc = self._dagster.proc
        return proc is not None and proc.poll() is not None
