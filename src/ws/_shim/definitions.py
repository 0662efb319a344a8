"""Which Definitions object a module defines, and its snapshot; `Failure`, how problems leave.

Duck typing (see loader.py): an object whose type answers `__ws_snapshot__()` is read by calling
it; a `dagster.Definitions` or `@dagster.definitions` function is read by `dagster_reader.py`,
imported only then.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Optional, Tuple

# `attribute` for Dagster's `autoload_defs_module` targets: every definition under the module's
# folder, found by dagster's `load_defs` (Dagster marks its whole-module target the same way).
AUTOLOAD_DEFS = "<autoload_defs>"


class Failure(Exception):
    """An expected failure, answered as `{"ok": false, "error": ...}`."""

    def __init__(self, kind: str, message: str, tb: Optional[str] = None) -> None:
        super().__init__(message)
        self.error: Dict[str, str] = {"kind": kind, "message": message}
        if tb:
            self.error["traceback"] = tb


def display(path: str) -> str:
    """`path` relative to the project root when inside it (same rule as ws_defs)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    if relative == ".." or relative.startswith(".." + os.sep):
        return path
    return relative.replace(os.sep, "/")


def find_definitions(module: Any, attribute: Optional[str]) -> Tuple[str, Any]:
    """The Definitions object to load: the one named by `attribute`, else the only one there is."""
    file = display(getattr(module, "__file__", None) or "<no file>")
    where = "module %s (%s)" % (module.__name__, file)
    if attribute == AUTOLOAD_DEFS:
        return attribute, _dagster_call("autoload_defs", module)
    if attribute:
        if not hasattr(module, attribute):
            message = "%s has no attribute `%s`; check [tool.ws] attribute" % (where, attribute)
            raise Failure("no_definitions", message)
        value = getattr(module, attribute)
        if not _is_definitions(value):
            message = "`%s` in %s is a %s, not a Definitions object; check [tool.ws] attribute" % (
                attribute,
                where,
                type(value).__name__,
            )
            raise Failure("no_definitions", message)
        return attribute, value
    found: Dict[int, Tuple[str, Any]] = {}
    for variable, value in list(vars(module).items()):
        if _is_definitions(value):
            found.setdefault(id(value), (variable, value))
    if not found:
        message = (
            "No Definitions object found in %s. Define one at module scope, "
            "e.g. `defs = Definitions(...)`, or set [tool.ws] attribute" % where
        )
        raise Failure("no_definitions", message)
    # Dagster's rule: `@definitions` functions first, then Definitions objects; one of the kind.
    lazy = [item for item in found.values() if _is_lazy_definitions(item[1])]
    candidates = lazy or list(found.values())
    if len(candidates) > 1:
        names = _and(["`%s`" % name for name, _ in candidates])
        what = "function decorated with @definitions" if lazy else "Definitions object"
        message = (
            "Cannot have more than one %s defined at module scope: found %s in %s. "
            "Keep one, or set [tool.ws] attribute to the one to load" % (what, names, where)
        )
        raise Failure("multiple_definitions", message)
    return candidates[0]


def snapshot_of(target: Any, label: str) -> Dict[str, Any]:
    """The snapshot fields `target` reports (assets, jobs, ...); raises `Failure`."""
    if callable(getattr(type(target), "__ws_snapshot__", None)):
        try:
            snapshot = target.__ws_snapshot__()
        except BaseException as exc:  # user code: report it, never die of it
            from . import errors

            message = "%s: %s" % (label, errors.exception_line(exc))
            message += errors.suffix(errors.user_frame(exc))
            raise Failure("invalid_definitions", message, errors.format_traceback(exc)) from None
    else:
        snapshot = _dagster_call("snapshot", target)
    if not isinstance(snapshot, dict):
        message = "%s.__ws_snapshot__() returned a %s, not a dict" % (
            label,
            type(snapshot).__name__,
        )
        raise Failure("invalid_definitions", message)
    return snapshot


def _is_definitions(value: object) -> bool:
    if isinstance(value, type):
        return False
    if callable(getattr(type(value), "__ws_snapshot__", None)):
        return True
    return _from_dagster(value) and type(value).__name__ in ("Definitions", "LazyDefinitions")


def _is_lazy_definitions(value: object) -> bool:
    """A function decorated with `@dagster.definitions` (what `create-dagster project` writes)."""
    return _from_dagster(value) and type(value).__name__ == "LazyDefinitions"


def _from_dagster(value: object) -> bool:
    return str(type(value).__module__).startswith("dagster")


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _dagster_call(function: str, arg: Any) -> Any:
    """Call a function of dagster_reader.py, imported on first use; its failures become Failures."""
    from . import dagster_reader

    try:
        return getattr(dagster_reader, function)(arg)
    except dagster_reader.LoadFailed as failed:
        from . import errors

        exc = failed.exc
        if failed.kind == "import_error":
            message = errors.describe(exc, "")
        else:  # Dagster's validation: where the user's code is involved, if it is
            frame = errors.user_frame(exc)
            inside = frame is not None and not os.path.isabs(display(frame[0]))
            message = errors.exception_line(exc) + errors.suffix(frame if inside else None)
        raise Failure(failed.kind, message, errors.format_traceback(exc)) from None
    except Exception as exc:  # a Dagster whose API moved: say so, and keep serving
        from . import errors

        message = "ws could not read these Dagster definitions (dagster %s): %s" % (
            getattr(sys.modules.get("dagster"), "__version__", "?"),
            errors.exception_line(exc),
        )
        raise Failure("invalid_definitions", message, errors.format_traceback(exc)) from None
