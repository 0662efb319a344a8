"""One load: import the project's module afresh, find its Definitions, take their snapshot, answer.

The snapshot comes from the object's own `__ws_snapshot__()`, or from dagster_reader.py for
Dagster's objects (imported only then); what a failure says comes from errors.py (imported only
once something failed). Used by the `load` op and, in a forked child, by `fork_load`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time

from .definitions import (
    Failure,
    display,
    env_prefixes,
    find_definitions,
    has_ws_snapshot,
    source_roots,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Set

SNAPSHOT_VERSION = 1
# `attribute` for Dagster's `autoload_defs_module` targets: every definition under the module's
# folder, found by dagster's `load_defs` (Dagster marks its whole-module target the same way).
AUTOLOAD_DEFS = "<autoload_defs>"
_SHIM_PACKAGE = __name__.rpartition(".")[0]  # the siblings' private package: never forgotten


def answer(request: Dict[str, Any], baseline: Set[str]) -> Dict[str, Any]:
    """`{"ok": true, "snapshot": ...}`, or the failure as `{"ok": false, "error": ...}`."""
    try:
        return {"ok": True, "snapshot": load(request, baseline)}
    except Failure as failure:
        return {"ok": False, "error": failure.error}


def load(request: Dict[str, Any], baseline: Set[str]) -> Dict[str, Any]:
    """The snapshot of the Definitions that `request` names; raises `Failure`."""
    module_name = str(request.get("module") or "")
    attribute = request.get("attribute")
    extra_path = [os.path.abspath(p) for p in request.get("sys_path") or []]
    for entry in reversed(extra_path):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    _forget_project_modules(baseline, [*source_roots(), *extra_path], module_name)
    started = time.perf_counter()
    module = _import(module_name)
    if attribute == AUTOLOAD_DEFS:
        variable, target = attribute, _dagster_call("autoload_defs", module)
    else:
        variable, target = find_definitions(module, attribute)
    snapshot = _snapshot_of(target, "%s.%s" % (module_name, variable))
    result = {
        "version": SNAPSHOT_VERSION,
        "name": request.get("name"),
        "module": module_name,
        "attribute": variable,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "load_ms": round((time.perf_counter() - started) * 1000),
    }
    for key, value in snapshot.items():
        result.setdefault(key, value)
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        message = "the snapshot of %s.%s is not JSON-serialisable: %s" % (
            module_name,
            variable,
            exc,
        )
        raise Failure("invalid_definitions", message) from None
    return result


def _forget_project_modules(baseline: Set[str], roots: List[str], module_name: str) -> None:
    """Drop modules a previous load imported from the project, so loading again is fresh."""
    inside = tuple(os.path.join(r, "") for r in roots)
    env = env_prefixes()
    for name, module in list(sys.modules.items()):
        if name in baseline or name.partition(".")[0] == _SHIM_PACKAGE:
            continue
        file = os.path.abspath(getattr(module, "__file__", None) or os.devnull)
        ours = file.startswith(inside) and not file.startswith(env)
        if ours or name == module_name or module_name.startswith(name + "."):
            del sys.modules[name]
    # Files may have appeared since: refresh the directory caches. Not importlib.invalidate_caches(),
    # which imports importlib.metadata on 3.10+ (40 ms).
    for finder in list(sys.path_importer_cache.values()):
        if finder is not None and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except BaseException as exc:  # whatever user code raises at import is the user's problem
        from . import errors

        if isinstance(exc, SystemExit):
            where = errors.user_frame(exc)
            message = "module called sys.exit(%r) at import%s" % (exc.code, errors.suffix(where))
            raise Failure("import_error", message, errors.format_traceback(exc)) from None
        if getattr(exc, "__ws_error_kind__", None) == "invalid_definitions":  # DefinitionsError
            message = str(exc)
            frame = errors.user_frame(exc)
            if frame and display(frame[0]) not in message:  # where Definitions(...) was built
                message += errors.suffix(frame)
            raise Failure("invalid_definitions", message, errors.format_traceback(exc)) from None
        message = errors.describe(exc, module_name)
        raise Failure("import_error", message, errors.format_traceback(exc)) from None


def _snapshot_of(target: Any, label: str) -> Dict[str, Any]:
    """The snapshot fields `target` reports (assets, jobs, ...); raises `Failure`."""
    if has_ws_snapshot(target):
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
