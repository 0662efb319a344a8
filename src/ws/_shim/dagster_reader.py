"""Dagster's objects read into ws's snapshot, through Dagster's public API: a `dagster.Definitions`
or `@dagster.definitions` function (`snapshot`), and an `autoload_defs_module` target's module
(`autoload_defs`).

Runs INSIDE a project's environment, one of the loader shim's siblings (see loader.py), imported by
load.py only when the object to read comes from dagster, so importing dagster here costs nothing
extra. Parses on Python 3.8 like the shim (Dagster itself needs 3.9+). What it reports follows
what `dg list defs` reports for the same project, with one difference: Dagster adds a stand-in
asset for every key that is only depended on; ws leaves those out, so a dependency on another
project's asset stays a dependency (and `ws check` can tell whether some project defines it).

Failures are raised as `LoadFailed(kind, exc)`; load.py turns them into the shim's errors.
"""

from __future__ import annotations

import os

from .definitions import is_lazy_definitions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

# Jobs Dagster makes itself and `dg list defs` leaves out (dagster's is_reserved_asset_job_name).
_IMPLICIT_JOB = "__ASSET_JOB"
_ANONYMOUS_JOB_PREFIX = "__anonymous_asset_job"


class LoadFailed(Exception):
    """User code or Dagster's validation failed; `kind` is the shim's error kind."""

    def __init__(self, kind: str, exc: BaseException) -> None:
        super().__init__(kind)
        self.kind = kind
        self.exc = exc


def autoload_defs(module: Any) -> Any:
    """Dagster's `autoload_defs_module`: every definition found under the module's folder."""
    try:
        from dagster.components import load_defs  # in the project env

        return load_defs(module)
    except Exception as exc:  # user code in the defs folder, imported by load_defs
        raise LoadFailed("import_error", exc) from None


def snapshot(obj: Any) -> Dict[str, Any]:
    """The snapshot fields (assets, checks, jobs, ...) of a Definitions or `@definitions` function."""
    if is_lazy_definitions(obj):
        try:
            # As Dagster's own loaders do: called without a context.
            obj = obj()
        except Exception as exc:  # the function's body is user code (it imports the defs folder)
            raise LoadFailed("import_error", exc) from None
    try:
        repository = obj.get_repository_def()  # resolves and validates, as `dg check defs` does
        specs = obj.resolve_all_asset_specs()
    except Exception as exc:
        raise LoadFailed("invalid_definitions", exc) from None
    assets_defs = _unique(
        list(repository.assets_defs_by_key.values())
        + list(repository.asset_checks_defs_by_key.values())
    )
    defined = set(repository.assets_defs_by_key) | set(repository.source_assets_by_key)
    sources = _asset_sources(assets_defs)
    assets = [
        _asset(spec, sources.get(spec.key))
        for spec in specs
        if spec.key in defined  # not Dagster's stand-ins for keys only depended on
    ]
    jobs = [j for j in repository.get_all_jobs() if _named_job(j.name)]
    return {
        "assets": sorted(assets, key=lambda a: a["key"]),
        "asset_checks": _asset_checks(assets_defs),
        "jobs": [{"name": j.name, "assets": _job_assets(j)} for j in jobs],
        "schedules": [_schedule(s) for s in repository.schedule_defs],
        "sensors": [{"name": s.name, "job": _sensor_job(s)} for s in repository.sensor_defs],
        "resources": [
            {"name": name, "type": _type_name(value)}
            for name, value in sorted((obj.resources or {}).items())
        ],
    }


def _unique(items: Iterable[Any]) -> List[Any]:
    seen: Dict[int, Any] = {}
    for item in items:
        seen.setdefault(id(item), item)
    return list(seen.values())


def _key(key: Any) -> str:
    return "/".join(key.path)


def _asset(spec: Any, source: Optional[str]) -> Dict[str, Any]:
    code_reference = _code_reference(spec.metadata)
    return {
        "key": _key(spec.key),
        "group": spec.group_name or "default",
        "deps": sorted(_key(dep.asset_key) for dep in spec.deps),
        "owners": list(spec.owners or ()),
        "kinds": sorted(spec.kinds or ()),
        "description": spec.description,
        "source": code_reference or source,
    }


def _asset_checks(assets_defs: Iterable[Any]) -> List[Dict[str, str]]:
    checks: Dict[Tuple[str, str], Dict[str, str]] = {}
    for assets_def in assets_defs:
        for spec in assets_def.check_specs:
            asset = _key(spec.asset_key)
            checks[(asset, spec.name)] = {"name": spec.name, "asset": asset}
    return [checks[k] for k in sorted(checks)]


def _named_job(name: str) -> bool:
    return name != _IMPLICIT_JOB and not name.startswith(_ANONYMOUS_JOB_PREFIX)


def _job_assets(job: Any) -> List[str]:
    try:
        keys = job.asset_layer.selected_asset_keys
    except Exception:  # not public API: a Dagster that moved it still lists the job
        return []
    return sorted(_key(k) for k in keys)


def _schedule(schedule: Any) -> Dict[str, str]:
    cron = schedule.cron_schedule
    job = schedule.job_name
    return {
        "name": schedule.name,
        "cron": cron if isinstance(cron, str) else ", ".join(cron),
        "job": job if _named_job(job) else "",  # "" = it targets assets, not a job of its own
    }


def _sensor_job(sensor: Any) -> str:
    """The job a sensor starts; "" when it targets assets or nothing (an asset or run sensor)."""
    for target in getattr(sensor, "targets", None) or ():
        name = getattr(target, "job_name", None)
        if isinstance(name, str) and _named_job(name):
            return name
    return ""


def _type_name(value: Any) -> str:
    cls = type(value)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def _code_reference(metadata: Any) -> Optional[str]:
    references = getattr((metadata or {}).get("dagster/code_references"), "code_references", ())
    for reference in references or ():
        path = getattr(reference, "file_path", None)
        if path:
            return _located(path, getattr(reference, "line_number", None))
    return None


def _asset_sources(assets_defs: Iterable[Any]) -> Dict[Any, str]:
    """Where each asset's function is defined: `file:line`, relative to the project when inside it."""
    sources: Dict[Any, str] = {}
    for assets_def in assets_defs:
        code = getattr(_decorated_fn(assets_def), "__code__", None)
        if code is None:
            continue
        where = _located(code.co_filename, code.co_firstlineno)
        for key in assets_def.keys:
            sources.setdefault(key, where)
    return sources


def _decorated_fn(assets_def: Any) -> Any:
    try:
        return assets_def.op.compute_fn.decorated_fn
    except Exception:  # graph-backed and external assets have no function of their own
        return None


def _located(path: str, line: Optional[int]) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        relative = path
    if relative == ".." or relative.startswith(".." + os.sep):
        relative = path
    relative = relative.replace(os.sep, "/")
    return "%s:%d" % (relative, line) if line else relative
