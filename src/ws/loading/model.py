"""The typed model of loading: what a load is asked for (`LoadTarget`) and what it gives back
(`LocationResult`: a `Snapshot` or a `LoadError`), frozen values end to end.

The shim's answer is parsed once, here (`result_from_answer`, `Snapshot.from_json`); every later
reader (the CLI, the snapshot cache, `ws dev`) takes these values, and each JSON form is written
by the `to_json` of the value it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SNAPSHOT_VERSION = 1
# DESIGN.md's error kinds: what stopped a location loading. `sync_failed` and `bad_request` come
# from `ws dev` (a re-sync failed) and the shim (a request it could not read).
ERROR_KINDS = (
    "env_missing", "import_error", "no_definitions", "multiple_definitions",
    "invalid_definitions", "timeout", "crashed", "sync_failed", "bad_request", "invalid_project",
)  # fmt: skip


class SnapshotError(ValueError):
    """A snapshot that does not follow the format: a stale cache entry or a mismatched shim."""


@dataclass(frozen=True)
class LoadTarget:
    """Everything needed to load one location."""

    name: str  # project name
    python: Path  # the environment's interpreter (absolute)
    root: Path  # project root: the shim's cwd
    module: str
    attribute: str | None = None
    sys_path: tuple[str, ...] = ()  # prepended to sys.path; relative entries are from root
    # The env's folder (envs knows where it is): a crash report skips its frames for the project's.
    env: Path = field(kw_only=True)
    # Editable local libraries: the shim treats their code as the project's (compiled from source,
    # reloaded by `ws dev`, named in errors).
    libraries: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Asset:
    key: str
    group: str = "default"
    deps: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    description: str | None = None
    source: str | None = None
    # Each reader's own extras, kept only where the shim sent them (so JSON round-trips as sent):
    # ws-defs assets carry `metadata`, Dagster's carry `kinds`.
    kinds: tuple[str, ...] | None = None
    metadata: Mapping[str, Any] | None = field(default=None, hash=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "group": self.group,
            "deps": list(self.deps),
            "owners": list(self.owners),
        }
        if self.kinds is not None:
            data["kinds"] = list(self.kinds)
        data["description"] = self.description
        if self.metadata is not None:
            data["metadata"] = dict(self.metadata)
        data["source"] = self.source
        return data


@dataclass(frozen=True)
class AssetCheck:
    name: str
    asset: str


@dataclass(frozen=True)
class Job:
    name: str
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    job: str


@dataclass(frozen=True)
class Sensor:
    name: str
    job: str


@dataclass(frozen=True)
class Resource:
    name: str
    type: str


@dataclass(frozen=True)
class Snapshot:
    """One project's loaded definitions, as the loader shim reports them (format version 1)."""

    name: str
    module: str
    attribute: str | None
    python: str
    load_ms: int
    assets: tuple[Asset, ...] = ()
    asset_checks: tuple[AssetCheck, ...] = ()
    jobs: tuple[Job, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    sensors: tuple[Sensor, ...] = ()
    resources: tuple[Resource, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """Read and check a snapshot; raises `SnapshotError` naming the first bad field."""
        if not isinstance(data, Mapping):
            raise SnapshotError(f"a snapshot is a JSON object, not {type(data).__name__}")
        if data.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError(
                f"snapshot version {data.get('version')!r} is not {SNAPSHOT_VERSION}; "
                "load it again with this ws"
            )
        r = _Reader(data, "snapshot")
        return cls(
            name=r.text("name"),
            module=r.text("module"),
            attribute=r.maybe_text("attribute"),
            python=r.text("python"),
            load_ms=r.integer("load_ms"),
            assets=tuple(_asset(item) for item in r.objects("assets")),
            asset_checks=tuple(
                AssetCheck(i.text("name"), i.text("asset")) for i in r.objects("asset_checks")
            ),
            jobs=tuple(Job(i.text("name"), i.texts("assets")) for i in r.objects("jobs")),
            schedules=tuple(
                Schedule(i.text("name"), i.text("cron"), i.text("job"))
                for i in r.objects("schedules")
            ),
            sensors=tuple(Sensor(i.text("name"), i.text("job")) for i in r.objects("sensors")),
            resources=tuple(
                Resource(i.text("name"), i.text("type")) for i in r.objects("resources")
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form, as `from_json` reads it."""
        return {
            "version": SNAPSHOT_VERSION,
            "name": self.name,
            "module": self.module,
            "attribute": self.attribute,
            "python": self.python,
            "load_ms": self.load_ms,
            "assets": [a.to_json() for a in self.assets],
            "asset_checks": [{"name": c.name, "asset": c.asset} for c in self.asset_checks],
            "jobs": [{"name": j.name, "assets": list(j.assets)} for j in self.jobs],
            "schedules": [{"name": s.name, "cron": s.cron, "job": s.job} for s in self.schedules],
            "sensors": [{"name": s.name, "job": s.job} for s in self.sensors],
            "resources": [{"name": r.name, "type": r.type} for r in self.resources],
        }


def _asset(r: _Reader) -> Asset:
    return Asset(
        key=r.text("key"),
        group=r.maybe_text("group") or "default",
        deps=r.texts("deps"),
        owners=r.texts("owners"),
        description=r.maybe_text("description"),
        source=r.maybe_text("source"),
        kinds=r.texts("kinds") if "kinds" in r.data else None,
        metadata=r.mapping("metadata") if "metadata" in r.data else None,
    )


class _Reader:
    """Typed access to one JSON object; errors name the path of the bad field."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def _fail(self, key: str, wanted: str) -> SnapshotError:
        return SnapshotError(f"{self.path}.{key} should be {wanted}, got {self.data.get(key)!r}")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if isinstance(value, str):
            return value
        raise self._fail(key, "a string")

    def maybe_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._fail(key, "a string or null")

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self._fail(key, "an integer")

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise self._fail(key, "a list of strings")

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data.get(key) or {}
        if isinstance(value, dict):
            return value
        raise self._fail(key, "an object")

    def objects(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return [_Reader(v, f"{self.path}.{key}[{i}]") for i, v in enumerate(value)]
        raise self._fail(key, "a list of objects")


@dataclass(frozen=True)
class LoadError:
    """Why a location did not load: one of `ERROR_KINDS`, a message naming the file and the fix,
    and for user code its traceback (the user's frames only)."""

    kind: str
    message: str
    traceback: str | None = None

    @classmethod
    def from_json(cls, data: object) -> LoadError:
        if not isinstance(data, Mapping):
            raise SnapshotError(f"an error is a JSON object, not {type(data).__name__}")
        r = _Reader(data, "error")
        return cls(r.text("kind"), r.text("message"), r.maybe_text("traceback"))

    def to_json(self) -> dict[str, str]:
        data = {"kind": self.kind, "message": self.message}
        if self.traceback is not None:
            data["traceback"] = self.traceback
        return data


@dataclass(frozen=True)
class LocationResult:
    """A project's snapshot, or the error that stopped it loading."""

    name: str
    snapshot: Snapshot | None
    error: LoadError | None
    seconds: float = 0.0  # wall time on the host, process start included

    @property
    def ok(self) -> bool:
        return self.error is None and self.snapshot is not None

    def to_json(self) -> dict[str, Any]:
        """One entry of `ws list defs --json`'s `locations`."""
        if self.snapshot is not None and self.error is None:
            return {**self.snapshot.to_json(), "status": "loaded"}
        error = self.error or LoadError("crashed", "no snapshot and no error")
        return {"name": self.name, "status": "error", "error": error.to_json()}


def failed(name: str, kind: str, message: str) -> LocationResult:
    """A result for a location that did not load, for errors found on the host."""
    return LocationResult(name, None, LoadError(kind, message))


def result_from_answer(
    name: str, answer: Mapping[str, Any], seconds: float = 0.0
) -> LocationResult:
    """The shim's answer to a load, parsed once; a snapshot that does not validate is an error."""
    try:
        if answer.get("ok") is not True or "error" in answer:
            error = answer.get("error") or {"kind": "crashed", "message": "no answer"}
            return LocationResult(name, None, LoadError.from_json(error), seconds)
        snapshot = answer.get("snapshot")
        if not isinstance(snapshot, dict):
            raise SnapshotError(f"the answer holds no snapshot: {answer!r:.200}")
        return LocationResult(name, Snapshot.from_json(snapshot), None, seconds)
    except SnapshotError as exc:
        message = f"malformed answer from the loader: {exc}"
        if answer.get("ok") is True:
            message = f"malformed snapshot: {exc}"
        return LocationResult(name, None, LoadError("invalid_definitions", message), seconds)
