"""ws's loader shim: runs INSIDE a project's environment and answers with its definitions as JSON.

ws starts it by path as `[env_python, "-I", loader.py]` with cwd = the project root. Rules:
- Stdlib only; parses and runs on Python 3.8+ (no newer syntax or modules). It imports nothing of
  ws, and not ws_defs either: a Dagster project's environment may not have it. A Definitions object
  is recognised by duck typing (its type answers `__ws_snapshot__()`); an object whose type comes
  from a `dagster*` module goes to `_dagster_snapshot`, and dagster is never imported otherwise.
- Channels: at start the real stdout (fd 1) is duplicated into a private channel and fd 1 and
  sys.stdout point at stderr, so nothing user code prints (Python or C level) reaches the answers.
  The real stdin is duplicated privately too and fd 0 points at /dev/null, so user code reading
  stdin sees EOF and cannot eat requests.
- Requests are JSON lines on stdin, answers JSON lines on the channel, one answer per request:
    {"id": 1, "op": "load", "name": "proj", "module": "proj.definitions", "attribute": null,
     "sys_path": ["src"]}   ->  {"id": 1, "ok": true, "snapshot": {...}}
    {"id": 2, "op": "ping"} ->  {"id": 2, "ok": true}
  A failure is data: {"id": 1, "ok": false, "error": {"kind", "message", "traceback"}}. One-shot use
  sends one request and closes stdin; a long-lived server keeps sending. EOF ends the process.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import signal
import sys
import time

TYPE_CHECKING = False  # typing and traceback cost ~10 ms to import: only for type checkers / errors
if TYPE_CHECKING:
    import traceback
    from typing import IO, Any, Dict, Iterable, List, Optional, Set, Tuple

SNAPSHOT_VERSION = 1
_THIS_FILE = os.path.abspath(__file__)
_IMPORTLIB_DIR = os.path.join(os.path.dirname(os.path.abspath(importlib.__file__ or "")), "")


class _Failure(Exception):
    """An expected failure, answered as `{"ok": false, "error": ...}`."""

    def __init__(self, kind: str, message: str, tb: Optional[str] = None) -> None:
        super().__init__(message)
        self.error: Dict[str, str] = {"kind": kind, "message": message}
        if tb:
            self.error["traceback"] = tb


def main() -> None:
    channel, requests = _take_std_streams()
    # A crash in user code leaves its Python stack on stderr, where ws shows it; on a timeout ws
    # sends SIGUSR1 first to learn where the load was stuck.
    faulthandler.enable()
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1)
    baseline = set(sys.modules)
    for line in requests:
        if not line.strip():
            continue
        answer = _answer(line, baseline)
        channel.write(json.dumps(answer).encode("utf-8") + b"\n")
        channel.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: user threads or atexit hooks must not keep ws waiting.
    os._exit(0)


def _take_std_streams() -> Tuple[IO[bytes], IO[bytes]]:
    """Keep the real stdout and stdin for ws; give user code stderr and /dev/null instead."""
    sys.stdout.flush()
    channel_fd = os.dup(1)  # os.dup makes non-inheritable fds: user subprocesses never see them
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests_fd = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return os.fdopen(channel_fd, "wb", buffering=0), os.fdopen(requests_fd, "rb")


def _answer(line: bytes, baseline: Set[str]) -> Dict[str, Any]:
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except ValueError as exc:
        return {"id": None, "ok": False, "error": {"kind": "bad_request", "message": str(exc)}}
    rid = request.get("id")
    op = request.get("op")
    if op == "ping":
        return {"id": rid, "ok": True}
    if op != "load":
        error = {"kind": "bad_request", "message": "unknown op %r" % (op,)}
        return {"id": rid, "ok": False, "error": error}
    try:
        return {"id": rid, "ok": True, "snapshot": _load(request, baseline)}
    except _Failure as failure:
        return {"id": rid, "ok": False, "error": failure.error}


def _load(request: Dict[str, Any], baseline: Set[str]) -> Dict[str, Any]:
    module_name = str(request.get("module") or "")
    attribute = request.get("attribute")
    extra_path = [os.path.abspath(p) for p in request.get("sys_path") or []]
    for entry in reversed(extra_path):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    _forget_project_modules(baseline, [os.getcwd(), *extra_path], module_name)
    started = time.perf_counter()
    module = _import(module_name)
    variable, target = _find_definitions(module, attribute)
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
        raise _Failure("invalid_definitions", message) from None
    return result


def _forget_project_modules(baseline: Set[str], roots: List[str], module_name: str) -> None:
    """Drop modules a previous load imported from the project, so loading again is fresh."""
    inside = tuple(os.path.join(r, "") for r in roots)
    env = tuple(os.path.join(p, "") for p in {sys.prefix, sys.exec_prefix, sys.base_prefix})
    for name, module in list(sys.modules.items()):
        if name in baseline:
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
    except SystemExit as exc:
        where = _user_frame(exc)
        message = "module called sys.exit(%r) at import%s" % (exc.code, _suffix(where))
        raise _Failure("import_error", message, _format_traceback(exc)) from None
    except BaseException as exc:  # whatever user code raises at import is the user's problem
        if getattr(exc, "__ws_error_kind__", None) == "invalid_definitions":  # DefinitionsError
            message = str(exc)
            frame = _user_frame(exc)
            if frame and _display(frame[0]) not in message:  # where Definitions(...) was built
                message += _suffix(frame)
            raise _Failure("invalid_definitions", message, _format_traceback(exc)) from None
        raise _Failure(
            "import_error", _describe(exc, module_name), _format_traceback(exc)
        ) from None


def _describe(exc: BaseException, module_name: str) -> str:
    """One line: the exception and where the user's code raised it."""
    if isinstance(exc, SyntaxError):
        where = " (%s, line %s)" % (_display(exc.filename or "?"), exc.lineno)
        return "%s: %s%s" % (type(exc).__name__, exc.msg, where)
    line = _exception_line(exc)
    frame = _user_frame(exc)
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if frame is None and missing and (module_name + ".").startswith(missing + "."):
        return "%s; is the project installed in its environment, and is [tool.ws] module right?" % (
            line
        )
    return line + _suffix(frame)


def _exception_line(exc: BaseException) -> str:
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = "%s.%s" % (cls.__module__, name)
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the error itself
        text = "<unprintable>"
    return "%s: %s" % (name, text) if text else name


def _suffix(frame: Optional[Tuple[str, int]]) -> str:
    return " (%s:%d)" % (_display(frame[0]), frame[1]) if frame else ""


def _user_frame(exc: BaseException) -> Optional[Tuple[str, int]]:
    """The deepest frame in the project's own files, else the deepest frame outside ws and importlib."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_machinery(f.filename)]
    env = tuple(os.path.join(p, "") for p in {sys.prefix, sys.exec_prefix, sys.base_prefix})
    root = os.path.join(os.getcwd(), "")
    for frame in reversed(frames):
        path = os.path.abspath(frame.filename)
        if path.startswith(root) and not path.startswith(env):
            return frame.filename, frame.lineno or 0
    return (frames[-1].filename, frames[-1].lineno or 0) if frames else None


def _is_machinery(filename: str) -> bool:
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename)
    return path == _THIS_FILE or path.startswith(_IMPORTLIB_DIR)


def _format_traceback(exc: BaseException) -> str:
    """The traceback without this file's frames or importlib's."""
    import traceback

    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    seen: Set[int] = set()
    todo: List[Optional[traceback.TracebackException]] = [te]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        kept = [f for f in current.stack if not _is_machinery(f.filename)]
        current.stack = traceback.StackSummary.from_list(kept)
        todo.extend((current.__cause__, current.__context__))
    return "".join(te.format())


def _display(path: str) -> str:
    """`path` relative to the project root when inside it (same rule as ws_defs)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    if relative == ".." or relative.startswith(".." + os.sep):
        return path
    return relative.replace(os.sep, "/")


def _module_file(module: Any) -> str:
    return _display(getattr(module, "__file__", None) or "<no file>")


def _is_definitions(value: object) -> bool:
    if isinstance(value, type):
        return False
    if callable(getattr(type(value), "__ws_snapshot__", None)):
        return True
    return _from_dagster(value) and type(value).__name__ == "Definitions"


def _from_dagster(value: object) -> bool:
    return str(type(value).__module__).startswith("dagster")


def _find_definitions(module: Any, attribute: Optional[str]) -> Tuple[str, Any]:
    """The Definitions object to load: the one named by `attribute`, else the only one there is."""
    where = "module %s (%s)" % (module.__name__, _module_file(module))
    if attribute:
        if not hasattr(module, attribute):
            message = "%s has no attribute `%s`; check [tool.ws] attribute" % (where, attribute)
            raise _Failure("no_definitions", message)
        value = getattr(module, attribute)
        if not _is_definitions(value):
            message = "`%s` in %s is a %s, not a Definitions object; check [tool.ws] attribute" % (
                attribute,
                where,
                type(value).__name__,
            )
            raise _Failure("no_definitions", message)
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
        raise _Failure("no_definitions", message)
    if len(found) > 1:
        names = _and(["`%s`" % name for name, _ in found.values()])
        message = (
            "Cannot have more than one Definitions object defined at module scope: found %s in %s. "
            "Keep one, or set [tool.ws] attribute to the one to load" % (names, where)
        )
        raise _Failure("multiple_definitions", message)
    return next(iter(found.values()))


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _snapshot_of(target: Any, label: str) -> Dict[str, Any]:
    if callable(getattr(type(target), "__ws_snapshot__", None)):
        try:
            snapshot = target.__ws_snapshot__()
        except BaseException as exc:  # user code: report it, never die of it
            message = "%s: %s%s" % (label, _exception_line(exc), _suffix(_user_frame(exc)))
            raise _Failure("invalid_definitions", message, _format_traceback(exc)) from None
    else:
        snapshot = _dagster_snapshot(target)
    if not isinstance(snapshot, dict):
        message = "%s.__ws_snapshot__() returned a %s, not a dict" % (
            label,
            type(snapshot).__name__,
        )
        raise _Failure("invalid_definitions", message)
    return snapshot


def _dagster_snapshot(obj: Any) -> Dict[str, Any]:
    """The snapshot of a dagster.Definitions, read through Dagster's public API (not yet written)."""
    raise _Failure(
        "invalid_definitions",
        "Dagster definitions are not supported yet (found a %s.%s)"
        % (type(obj).__module__, type(obj).__qualname__),
    )


if __name__ == "__main__":
    main()
