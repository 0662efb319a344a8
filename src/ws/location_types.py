"""What loading one location is asked for, and what it gives back: plain frozen values.

Kept apart from `ws.loading` (processes, pipes, threads) so that a listing served wholly from the
snapshot cache never imports the machinery that starts interpreters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LoadTarget:
    """Everything needed to load one location."""

    name: str  # project name
    python: Path  # the environment's interpreter (absolute)
    root: Path  # project root: the shim's cwd
    module: str
    attribute: str | None = None
    sys_path: tuple[str, ...] = ()  # prepended to sys.path; relative entries are from root


@dataclass(frozen=True)
class LocationResult:
    """A project's snapshot, or the error that stopped it loading (`{"kind", "message", ...}`)."""

    name: str
    snapshot: dict[str, Any] | None
    error: dict[str, str] | None
    seconds: float = 0.0  # wall time on the host, process start included

    @property
    def ok(self) -> bool:
        return self.error is None and self.snapshot is not None
