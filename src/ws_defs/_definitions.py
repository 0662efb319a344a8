"""`Definitions`: the one object per project that ws loads, checked when it is built."""

from __future__ import annotations

import importlib
import os

from ws_defs._core import (
    AssetCheckDef,
    AssetDef,
    DefinitionsError,
    JobDef,
    ScheduleDef,
    SensorDef,
)

TYPE_CHECKING = False  # typing stays unimported at run time, as in _core
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Type, TypeVar

    T = TypeVar("T")
_KINDS = (AssetDef, AssetCheckDef, JobDef, ScheduleDef, SensorDef)


class Definitions:
    """Everything one project defines. Validated when built, so mistakes surface at import.

    Raises `DefinitionsError` for duplicate asset keys or names, and for checks, jobs, schedules
    or sensors that point at something this object does not hold.
    """

    def __init__(
        self,
        *,
        assets: Iterable[AssetDef] = (),
        asset_checks: Iterable[AssetCheckDef] = (),
        jobs: Iterable[JobDef] = (),
        schedules: Iterable[ScheduleDef] = (),
        sensors: Iterable[SensorDef] = (),
        resources: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.assets: List[AssetDef] = _unique(assets, AssetDef, "assets", "@asset")
        self.asset_checks = _unique(asset_checks, AssetCheckDef, "asset_checks", "@asset_check")
        self.jobs = _unique(jobs, JobDef, "jobs", "job(...)")
        self.schedules = _unique(schedules, ScheduleDef, "schedules", "schedule(...)")
        self.sensors = _unique(sensors, SensorDef, "sensors", "sensor(...)")
        self.resources: Dict[str, Any] = dict(resources or {})
        _validate(self)

    @classmethod
    def from_package(
        cls,
        package: str,
        *,
        assets: Iterable[AssetDef] = (),
        asset_checks: Iterable[AssetCheckDef] = (),
        jobs: Iterable[JobDef] = (),
        schedules: Iterable[ScheduleDef] = (),
        sensors: Iterable[SensorDef] = (),
        resources: Optional[Mapping[str, Any]] = None,
    ) -> Definitions:
        """Collect every definition at module scope in `package` and its submodules, plus those given.

        Meant for a `defs/` folder: `Definitions.from_package("marketing.defs")`.
        """
        found = _collect(package)
        return cls(
            assets=[*assets, *_of(found, AssetDef)],
            asset_checks=[*asset_checks, *_of(found, AssetCheckDef)],
            jobs=[*jobs, *_of(found, JobDef)],
            schedules=[*schedules, *_of(found, ScheduleDef)],
            sensors=[*sensors, *_of(found, SensorDef)],
            resources=resources,
        )

    def __repr__(self) -> str:
        return f"<Definitions: {len(self.assets)} assets, {len(self.jobs)} jobs>"

    def __ws_snapshot__(self) -> Dict[str, Any]:
        """The snapshot ws's loader reads (the loader adds version, name, module and timings)."""
        _validate(self)
        return {
            "assets": [a.ws_snapshot() for a in self.assets],
            "asset_checks": [c.ws_snapshot() for c in self.asset_checks],
            "jobs": [j.ws_snapshot() for j in self.jobs],
            "schedules": [s.ws_snapshot() for s in self.schedules],
            "sensors": [s.ws_snapshot() for s in self.sensors],
            "resources": [
                {"name": name, "type": _type_name(value)} for name, value in self.resources.items()
            ],
        }


def _unique(items: Iterable[Any], kind: Type[T], field: str, maker: str) -> List[T]:
    """`items` without repeats of the same object, each checked to be a `kind`."""
    seen: Dict[int, T] = {}
    for index, item in enumerate(items):
        if not isinstance(item, kind):
            raise DefinitionsError(
                f"Definitions({field}=...): item {index} is {item!r}, not made with {maker}"
            )
        seen.setdefault(id(item), item)
    return list(seen.values())


def _type_name(value: object) -> str:
    cls = value if isinstance(value, type) else type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _validate(defs: Definitions) -> None:
    problems: List[str] = []
    by_key: Dict[str, AssetDef] = {}
    for a in defs.assets:
        first = by_key.setdefault(a.key, a)
        if first is not a:
            problems.append(
                f"asset key {a.key!r} is defined twice: {first.function_name} ({first.source}) "
                f"and {a.function_name} ({a.source})"
            )
    for what, named in (
        ("asset check", defs.asset_checks),
        ("job", defs.jobs),
        ("schedule", defs.schedules),
        ("sensor", defs.sensors),
    ):
        problems.extend(_duplicate_names(what, named))
    for check in defs.asset_checks:
        if check.asset_key not in by_key:
            problems.append(
                f"asset check {check.name!r} ({check.source}) targets asset {check.asset_key!r}, "
                "which is not in this Definitions"
            )
    for j in defs.jobs:
        for key in j.asset_keys:
            if key not in by_key:
                problems.append(
                    f"job {j.name!r} selects asset {key!r}, which is not in this Definitions"
                )
    job_names = {j.name for j in defs.jobs}
    for what, targets in (("schedule", defs.schedules), ("sensor", defs.sensors)):
        for t in targets:
            if t.job_name not in job_names:
                problems.append(
                    f"{what} {t.name!r} targets job {t.job_name!r}, which is not in this "
                    "Definitions; add it to Definitions(jobs=[...])"
                )
    for name in defs.resources:
        if not isinstance(name, str) or not name:
            problems.append(f"resource names must be non-empty strings, got {name!r}")
    if problems:
        raise DefinitionsError("; ".join(problems))


def _duplicate_names(what: str, items: Sequence[Any]) -> List[str]:
    seen: Dict[str, Any] = {}
    problems = []
    for item in items:
        if seen.setdefault(item.name, item) is not item:
            problems.append(f"two different {what}s are named {item.name!r}")
    return problems


def _collect(package: str) -> List[Any]:
    """Every definition object at module scope in `package` and its submodules, in a stable order."""
    modules = [importlib.import_module(package)]
    for module in modules:  # grows as subpackages are found: breadth-first, names sorted
        for name in _submodule_names(module):
            modules.append(importlib.import_module(name))
    found: Dict[int, Any] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, _KINDS):
                found.setdefault(id(value), value)
    return list(found.values())


def _submodule_names(package: Any) -> List[str]:
    """`a.b` for each `b.py` and each `b/__init__.py` in the package's folders, sorted.

    Not pkgutil.walk_packages: it imports inspect (~10 ms of a load this small) and swallows a
    subpackage's ImportError unless told otherwise. Here an import error always fails the load.
    """
    names = set()
    for folder in getattr(package, "__path__", None) or ():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            stem, suffix = os.path.splitext(entry.name)
            if entry.is_file() and suffix == ".py" and stem != "__init__" and stem.isidentifier():
                names.add(stem)
            elif (
                entry.is_dir()
                and entry.name.isidentifier()
                and os.path.isfile(os.path.join(entry.path, "__init__.py"))
            ):
                names.add(entry.name)
    return [package.__name__ + "." + name for name in sorted(names)]


def _of(found: List[Any], kind: Type[T]) -> List[T]:
    return [value for value in found if isinstance(value, kind)]
