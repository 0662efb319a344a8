"""The definition objects (assets, checks, jobs, schedules, sensors) and the functions that make them.

Runs on Python 3.8, and every load pays for its imports: typing, inspect and functools are not
imported at run time (together ~15 ms of a ~50 ms load); annotations stay strings.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; mypy knows the name
if TYPE_CHECKING:
    from typing import (
        Any,
        Callable,
        Dict,
        List,
        Mapping,
        Optional,
        Sequence,
        Tuple,
        Union,
        overload,
    )

    AnyFunction = Callable[..., Any]
    # An asset key: "raw/orders", ["raw", "orders"], or the asset itself.
    KeyLike = Union[str, Sequence[str], "AssetDef"]


class DefinitionsError(ValueError):
    """Definitions that cannot be loaded as written; the message names the objects and their files."""

    # ws's loader recognises this by duck typing: it may run where ws_defs is not importable.
    __ws_error_kind__ = "invalid_definitions"


DefinitionsError.__module__ = "ws_defs"  # tracebacks show the public name, ws_defs.DefinitionsError


def display_path(file: str) -> str:
    """`file` relative to the current directory (the project root under ws), else as given."""
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive on Windows
        return file
    if relative == ".." or relative.startswith(".." + os.sep):
        return file
    return relative.replace(os.sep, "/")


def _unwrap(fn: AnyFunction) -> AnyFunction:
    for _ in range(100):  # inspect.unwrap, without its cycle detection
        inner = getattr(fn, "__wrapped__", None)
        if inner is None:
            break
        fn = inner
    return fn


def _docstring(fn: AnyFunction) -> Optional[str]:
    """The docstring, indentation removed (inspect.getdoc for a plain function)."""
    doc = getattr(fn, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    lines = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]
    return "\n".join(lines).strip()


class _Located:
    """A definition made from a user function: keeps the function callable and remembers where it is."""

    def __init__(self, fn: AnyFunction) -> None:
        if not callable(fn):
            raise DefinitionsError(f"expected a function to decorate, got {fn!r}")
        # functools.update_wrapper, by hand
        self.__dict__.update(getattr(fn, "__dict__", {}))
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(fn, name):
                setattr(self, name, getattr(fn, name))
        self.__wrapped__ = fn
        self.fn = fn
        code = getattr(_unwrap(fn), "__code__", None)
        self.source_file: str = code.co_filename if code is not None else "<unknown>"
        self.source_line: int = code.co_firstlineno if code is not None else 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    @property
    def source(self) -> str:
        """`path/relative/to/cwd.py:LINE` of the decorated function."""
        return f"{display_path(self.source_file)}:{self.source_line}"

    @property
    def function_name(self) -> str:
        return str(getattr(self.fn, "__qualname__", None) or getattr(self.fn, "__name__", "?"))


class AssetDef(_Located):
    """An asset made by `@asset`; calling it calls the function."""

    def __init__(
        self,
        fn: AnyFunction,
        *,
        key: Tuple[str, ...],
        group: str,
        deps: Sequence[str],
        owners: Sequence[str],
        description: Optional[str],
        metadata: Mapping[str, Any],
    ) -> None:
        super().__init__(fn)
        self.key = "/".join(key)
        self.group = group
        self.deps = tuple(deps)
        self.owners = tuple(owners)
        self.description = description
        self.metadata = dict(metadata)
        for name, value in self.metadata.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise DefinitionsError(
                    f"asset {self.key!r} ({self.source}): metadata {name!r} is not "
                    f"JSON-serialisable ({exc}); use strings, numbers, lists and dicts"
                ) from None

    def __repr__(self) -> str:
        return f"<asset {self.key} at {self.source}>"

    def ws_snapshot(self) -> Dict[str, Any]:
        return {
            "key": self.key,
            "group": self.group,
            "deps": list(self.deps),
            "owners": list(self.owners),
            "description": self.description,
            "metadata": self.metadata,
            "source": self.source,
        }


class AssetCheckDef(_Located):
    """A check on one asset, made by `@asset_check(asset=...)`; calling it calls the function."""

    def __init__(self, fn: AnyFunction, *, name: str, asset_key: str) -> None:
        super().__init__(fn)
        self.name = name
        self.asset_key = asset_key

    def __repr__(self) -> str:
        return f"<asset_check {self.name} on {self.asset_key}>"

    def ws_snapshot(self) -> Dict[str, Any]:
        return {"name": self.name, "asset": self.asset_key}


class JobDef:
    """A named selection of assets, made by `job(...)`."""

    def __init__(self, name: str, asset_keys: Sequence[str]) -> None:
        self.name = name
        self.asset_keys = tuple(asset_keys)

    def __repr__(self) -> str:
        return f"<job {self.name}>"

    def ws_snapshot(self) -> Dict[str, Any]:
        return {"name": self.name, "assets": list(self.asset_keys)}


class ScheduleDef:
    """Runs a job on a cron schedule, made by `schedule(...)`."""

    def __init__(self, name: str, cron: str, job_name: str) -> None:
        self.name = name
        self.cron = cron
        self.job_name = job_name

    def __repr__(self) -> str:
        return f"<schedule {self.name}: {self.cron} -> {self.job_name}>"

    def ws_snapshot(self) -> Dict[str, Any]:
        return {"name": self.name, "cron": self.cron, "job": self.job_name}


class SensorDef:
    """Starts a job when something happens, made by `sensor(...)`."""

    def __init__(self, name: str, job_name: str) -> None:
        self.name = name
        self.job_name = job_name

    def __repr__(self) -> str:
        return f"<sensor {self.name} -> {self.job_name}>"

    def ws_snapshot(self) -> Dict[str, Any]:
        return {"name": self.name, "job": self.job_name}


def key_parts(value: KeyLike, what: str) -> Tuple[str, ...]:
    """The parts of an asset key given as "a/b", ["a", "b"] or an asset; `what` names the caller."""
    if isinstance(value, AssetDef):
        return tuple(value.key.split("/"))
    if isinstance(value, str):
        parts: Tuple[str, ...] = tuple(value.split("/"))
    elif isinstance(value, (list, tuple)) and all(isinstance(p, str) for p in value):
        parts = tuple(value)
        if any("/" in p for p in parts):
            raise DefinitionsError(
                f"{what}: key part in {value!r} contains '/'; give parts or 'a/b'"
            )
    else:
        raise DefinitionsError(
            f"{what}: an asset key is an asset, a string like 'raw/orders' or a list of parts, "
            f"not {value!r}"
        )
    if not parts or not all(parts):
        raise DefinitionsError(f"{what}: asset key {value!r} has an empty part")
    return parts


def _names(value: Union[str, Sequence[str], None], what: str) -> List[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise DefinitionsError(f"{what} must be strings, got {value!r}")
    return items


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise DefinitionsError(f"{what} must be a non-empty string, got {value!r}")
    return value


if TYPE_CHECKING:  # the two ways to call @asset, for type checkers only

    @overload
    def asset(fn: AnyFunction) -> AssetDef: ...

    @overload
    def asset(
        *,
        key: Optional[Union[str, Sequence[str]]] = None,
        key_prefix: Optional[Union[str, Sequence[str]]] = None,
        group: str = "default",
        deps: Optional[Sequence[KeyLike]] = None,
        owners: Union[str, Sequence[str], None] = None,
        description: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> Callable[[AnyFunction], AssetDef]: ...


def asset(
    fn: Optional[AnyFunction] = None,
    *,
    key: Optional[Union[str, Sequence[str]]] = None,
    key_prefix: Optional[Union[str, Sequence[str]]] = None,
    group: str = "default",
    deps: Optional[Sequence[KeyLike]] = None,
    owners: Union[str, Sequence[str], None] = None,
    description: Optional[str] = None,
    metadata: Optional[Mapping[str, Any]] = None,
) -> Union[AssetDef, Callable[[AnyFunction], AssetDef]]:
    """Declare an asset; works bare (`@asset`) or with arguments (`@asset(group="sales")`).

    The key is the function's name (or `key=`) after `key_prefix`. `deps` are assets or
    keys, possibly defined by another project. The description defaults to the docstring.
    """

    def decorate(func: AnyFunction) -> AssetDef:
        name = str(getattr(func, "__name__", ""))
        if key is not None:
            parts = key_parts(key, f"@asset {name}")
            if key_prefix is not None:
                parts = key_parts(key_prefix, f"@asset {name} key_prefix") + parts
        else:
            prefix = (
                () if key_prefix is None else key_parts(key_prefix, f"@asset {name} key_prefix")
            )
            parts = (*prefix, name)
        dep_list = [deps] if isinstance(deps, (str, AssetDef)) else list(deps or ())
        return AssetDef(
            func,
            key=parts,
            group=_name(group, f"@asset {name}: group"),
            deps=["/".join(key_parts(d, f"@asset {name} deps")) for d in dep_list],
            owners=_names(owners, f"@asset {name}: owners"),
            description=description if description is not None else _docstring(func),
            metadata=dict(metadata or {}),
        )

    return decorate if fn is None else decorate(fn)


def asset_check(
    *, asset: KeyLike, name: Optional[str] = None
) -> Callable[[AnyFunction], AssetCheckDef]:
    """Declare a check on `asset` (an asset or its key); the name defaults to the function's."""
    target = "/".join(key_parts(asset, "@asset_check asset"))

    def decorate(func: AnyFunction) -> AssetCheckDef:
        check_name = _name(name or getattr(func, "__name__", ""), "@asset_check name")
        return AssetCheckDef(func, name=check_name, asset_key=target)

    return decorate


def job(name: str, *, assets: Sequence[KeyLike]) -> JobDef:
    """A job that materialises `assets` (assets or keys)."""
    _name(name, "job name")
    what = f"job {name!r} assets"
    return JobDef(name, ["/".join(key_parts(a, what)) for a in assets])


def _job_name(value: Union[JobDef, str], what: str) -> str:
    return value.name if isinstance(value, JobDef) else _name(value, what)


def schedule(name: str, *, cron: str, job: Union[JobDef, str]) -> ScheduleDef:
    """Run `job` (a job or its name) on `cron`, five fields like "0 3 * * *" or a macro like "@daily"."""
    _name(name, "schedule name")
    if not isinstance(cron, str) or not (cron.startswith("@") or len(cron.split()) == 5):
        raise DefinitionsError(
            f"schedule {name!r}: cron {cron!r} needs five fields, e.g. '0 3 * * *'"
        )
    return ScheduleDef(name, cron, _job_name(job, f"schedule {name!r} job"))


def sensor(name: str, *, job: Union[JobDef, str]) -> SensorDef:
    """Start `job` (a job or its name) when the sensor fires."""
    _name(name, "sensor name")
    return SensorDef(name, _job_name(job, f"sensor {name!r} job"))
