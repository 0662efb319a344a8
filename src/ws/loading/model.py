"""The typed snapshot model (what the loader shim reports) and workspace-wide checks across projects.

The one module that reads snapshots (`Snapshot.from_json`) and writes the `ws list defs --json`
document (`defs_document`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SNAPSHOT_VERSION = 1
DOCUMENT_VERSION = 1


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


@dataclass(frozen=True)
class Asset:
    key: str
    group: str = "default"
    deps: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    description: str | None = None
    source: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)


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
            "assets": [
                {
                    "key": a.key,
                    "group": a.group,
                    "deps": list(a.deps),
                    "owners": list(a.owners),
                    "description": a.description,
                    "metadata": dict(a.metadata),
                    "source": a.source,
                }
                for a in self.assets
            ],
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
        metadata=r.mapping("metadata"),
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


ProblemKind = Literal["duplicate_asset", "missing_dependency", "missing_job"]


@dataclass(frozen=True)
class Problem:
    """A finding across the workspace; its message names the projects and files involved."""

    kind: ProblemKind
    message: str
    projects: tuple[str, ...]
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        data["projects"] = list(self.projects)
        if self.key is not None:
            data["key"] = self.key
        return data


def find_problems(locations: Sequence[LocationResult | Snapshot]) -> list[Problem]:
    """Duplicate asset keys across projects, dependencies nobody defines, schedules on missing jobs.

    Locations that failed to load are skipped; a missing dependency then says which did not load,
    since the key may live there.
    """
    snapshots, failed = _snapshots(locations)
    problems: list[Problem] = []
    owners: dict[str, list[tuple[str, Asset]]] = {}
    for snap in snapshots:
        for a in snap.assets:
            owners.setdefault(a.key, []).append((snap.name, a))
    for key, defined in sorted(owners.items()):
        if len({project for project, _ in defined}) > 1:
            where = ", ".join(f"{project} ({_at(a)})" for project, a in defined)
            problems.append(
                Problem(
                    "duplicate_asset",
                    f"asset key {key!r} is defined in {len(defined)} projects: {where}",
                    tuple(dict.fromkeys(project for project, _ in defined)),
                    key,
                )
            )
    unloaded = f"; {_and(failed)} did not load" if failed else ""
    for snap in snapshots:
        for a in snap.assets:
            for dep in a.deps:
                if dep not in owners:
                    message = (
                        f"asset {a.key!r} in project {snap.name} ({_at(a)}) depends on {dep!r}, "
                        f"which no project defines{unloaded}"
                    )
                    problems.append(Problem("missing_dependency", message, (snap.name,), dep))
    for snap in snapshots:
        problems.extend(_missing_jobs(snap))
    return problems


def _snapshots(
    locations: Sequence[LocationResult | Snapshot],
) -> tuple[list[Snapshot], list[str]]:
    snapshots: list[Snapshot] = []
    failed: list[str] = []
    for location in locations:
        if isinstance(location, Snapshot):
            snapshots.append(location)
        elif location.snapshot is None:
            failed.append(location.name)
        else:
            try:
                snapshots.append(Snapshot.from_json(location.snapshot))
            except SnapshotError:
                failed.append(location.name)
    return snapshots, failed


def _missing_jobs(snap: Snapshot) -> list[Problem]:
    jobs = {j.name for j in snap.jobs}
    targets = [("schedule", s.name, s.job) for s in snap.schedules]
    targets += [("sensor", s.name, s.job) for s in snap.sensors]
    return [
        Problem(
            "missing_job",
            f"{what} {name!r} in project {snap.name} ({snap.module}) targets job {job!r}, "
            f"which {snap.name} does not define",
            (snap.name,),
        )
        for what, name, job in targets
        if job and job not in jobs  # a schedule or sensor on assets names no job
    ]


def _at(a: Asset) -> str:
    return a.source or "source unknown"


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def defs_document(
    results: Sequence[LocationResult], problems: Sequence[Problem] | None = None
) -> dict[str, Any]:
    """The `ws list defs --json` document: every location, loaded or not, and the problems.

    `problems` defaults to those among `results` alone; a caller that checked against more of
    the workspace passes its own.
    """
    locations: list[dict[str, Any]] = []
    for result in results:
        if result.snapshot is not None and result.error is None:
            locations.append({**result.snapshot, "status": "loaded"})
        else:
            error = result.error or {"kind": "crashed", "message": "no snapshot and no error"}
            locations.append({"name": result.name, "status": "error", "error": dict(error)})
    return {
        "version": DOCUMENT_VERSION,
        "locations": locations,
        "problems": [
            p.to_json() for p in (find_problems(results) if problems is None else problems)
        ],
    }
