"""`Definitions`: the one object per project that ws loads, checked when it is built."""

from __future__ import annotations

import importlib
import importlib.machinery
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
_SUFFIXES = sorted(importlib.machinery.all_suffixes(), key=len, reverse=True)


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
    modules: List[Any] = []
    _import_tree(package, modules)
    found: Dict[int, Any] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, _KINDS):
                found.setdefault(id(value), value)
    return list(found.values())


def _import_tree(name: str, into: List[Any]) -> None:
    """Import `name`, then its submodules, depth first and by name, as pkgutil.walk_packages does.

    Not pkgutil itself: it imports inspect (~10 ms of a load this small) and swallows a
    subpackage's ImportError unless told otherwise. Here an import error always fails the load.
    """
    module = importlib.import_module(name)
    into.append(module)
    for sub in _submodule_names(module):
        _import_tree(sub, into)


def _submodule_names(package: Any) -> List[str]:
    """`a.b` for each module file `b.py` (or `.pyc`, or an extension) and each folder `b` holding
    an `__init__` in the package's folders, sorted: what pkgutil.iter_modules finds in them."""
    names = set()
    for folder in getattr(package, "__path__", None) or ():
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:  # not a folder, or unreadable: skipped, as the import system does
            continue
        for entry in entries:
            stem = _module_stem(entry.name)
            if stem is not None:
                if stem and stem != "__init__" and "." not in stem and entry.is_file():
                    names.add(stem)
            elif "." not in entry.name and entry.is_dir() and _has_init(entry.path):
                names.add(entry.name)
    return [package.__name__ + "." + name for name in sorted(names)]


def _module_stem(filename: str) -> Optional[str]:
    """The file name less its importable suffix (longest first, as inspect.getmodulename), else None."""
    for suffix in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def _has_init(folder: str) -> bool:
    try:
        return any(_module_stem(name) == "__init__" for name in os.listdir(folder))
    except OSError:
        return False


def _of(found: List[Any], kind: Type[T]) -> List[T]:
    return [value for value in found if isinstance(value, kind)]
