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
  `ws dev` may use this process as a fork server instead (POSIX; see "Fork server" below):
    {"op": "fork_load", <as load>, "timeout": 60} -> {"ok": true, "pid": <child>, "snapshot": {...},
                                                      "modules": [<imported from outside the project>]}
    {"op": "preload", "modules": [...]} -> {"ok": true, "failed": [...], "threads": 1}
    {"op": "ping", "pid": <child>} -> {"ok": true, "ended": null | "was killed by SIGKILL"}
    {"op": "release", "pid": <child>} -> {"ok": true}
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
_DAGSTER_READER_FILE = os.path.join(os.path.dirname(_THIS_FILE), "dagster_reader.py")
_IMPORTLIB_DIR = os.path.join(os.path.dirname(os.path.abspath(importlib.__file__ or "")), "")
# `attribute` for Dagster's `autoload_defs_module` targets: every definition under the module's
# folder, found by dagster's `load_defs` (Dagster marks its whole-module target the same way).
AUTOLOAD_DEFS = "<autoload_defs>"


class _Failure(Exception):
    """An expected failure, answered as `{"ok": false, "error": ...}`."""

    def __init__(self, kind: str, message: str, tb: Optional[str] = None) -> None:
        super().__init__(message)
        self.error: Dict[str, str] = {"kind": kind, "message": message}
        if tb:
            self.error["traceback"] = tb


def main() -> None:
    channel, requests = _take_std_streams()
    _host_fds.extend((channel.fileno(), requests.fileno()))
    # A crash in user code leaves its Python stack on stderr, where ws shows it; on a timeout ws
    # sends SIGUSR1 first to learn where the load was stuck.
    faulthandler.enable()
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1)
    _compile_project_sources_afresh(os.getcwd())
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


def _compile_project_sources_afresh(root: str) -> None:
    """Import the project's own files from their source every time, never through __pycache__.

    CPython trusts a .pyc whose recorded source mtime (whole seconds) and size match, so two saves
    of the same size within one second (`ws dev`, an editor) would load stale code; and writing
    __pycache__ would add files to the team's folder (-I ignores PYTHONDONTWRITEBYTECODE). A
    project's own modules are small, so compiling them costs milliseconds. Installed packages
    (under sys.prefix, even when the env sits inside the project) keep their bytecode.
    """
    from importlib.machinery import SourceFileLoader

    project = os.path.join(os.path.realpath(root), "")
    env = os.path.join(os.path.realpath(sys.prefix), "")
    cached_get_code = SourceFileLoader.get_code

    def get_code(self: Any, fullname: str) -> Any:
        path = self.get_filename(fullname)
        real = os.path.realpath(path)
        if real.startswith(project) and not real.startswith(env):
            return self.source_to_code(self.get_data(path), path)
        return cached_get_code(self, fullname)

    SourceFileLoader.get_code = get_code  # type: ignore[method-assign]


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
        answer: Dict[str, Any] = {"id": rid, "ok": True}
        if "pid" in request:
            answer["ended"] = _child_ended(request["pid"])
        return answer
    if op == "preload":
        return dict(_preload(request.get("modules") or []), id=rid, ok=True)
    if op == "fork_load":
        return dict(_fork_load(request, baseline), id=rid)
    if op == "release":
        _release(request.get("pid"))
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


# --- Fork server (`ws dev`) -----------------------------------------------------------------------
# Reloading by starting a new interpreter pays again for every third-party import (seconds, for a
# data stack). Instead ws can keep this process warm: after a good load it sends `preload` with the
# modules that load imported from outside the project, and each (re)load is a `fork_load`: a forked
# child imports the project's own code, answers through a pipe, then stays alive holding that code
# (it is the project's server) until `release`, or until this process ends. This process never
# imports project code itself, so every child starts from the same state. Children stay in this
# process's group, so ws ending the group ends them all at once; a pipe (the "lifeline") ends a
# child whose parent was killed alone.

_host_fds: List[int] = []  # ws's channel and request pipe: a child must not hold them open
_lifelines: Dict[int, int] = {}  # child pid -> the write end of its lifeline


def _fork_load(request: Dict[str, Any], baseline: Set[str]) -> Dict[str, Any]:
    """Load in a forked child; a good child is kept (and named by `pid`), a failed one reaped."""
    import warnings

    timeout = float(request.get("timeout") or 60)
    answer_r, answer_w = os.pipe()
    lifeline_r, lifeline_w = os.pipe()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # 3.12+ warns when native threads run (a BLAS pool, say): ws forks knowingly, and stops
        # forking for a project whose imports start Python threads (see _thread_count).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        inherited = [answer_r, lifeline_w] + _host_fds + list(_lifelines.values())
        _serve_in_child(request, baseline, answer_w, lifeline_r, inherited)
    os.close(answer_w)
    os.close(lifeline_r)
    try:
        line = _read_answer(answer_r, timeout)
    finally:
        os.close(answer_r)
    module_name = request.get("module")
    if line is None:
        os.close(lifeline_w)
        os.kill(pid, signal.SIGUSR1)  # the child's faulthandler writes where it is stuck
        time.sleep(0.5)
        _reap(pid, kill=True)
        message = "%s did not load within %g s" % (module_name, timeout)
        return {"ok": False, "pid": pid, "error": {"kind": "timeout", "message": message}}
    try:
        answer = json.loads(line)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        os.close(lifeline_w)
        message = "process %s before answering (loading %s)" % (_reap(pid), module_name)
        return {"ok": False, "pid": pid, "error": {"kind": "crashed", "message": message}}
    if answer.get("ok"):
        _lifelines[pid] = lifeline_w
    else:
        os.close(lifeline_w)
        _reap(pid)  # it exits right after a failed answer
    answer["pid"] = pid
    return answer


def _serve_in_child(
    request: Dict[str, Any],
    baseline: Set[str],
    answer_w: int,
    lifeline_r: int,
    inherited: List[int],
) -> None:
    """The forked child: load, answer the parent, then hold the loaded code until released."""
    code = 0
    try:
        for fd in inherited:
            os.close(fd)
        before = set(sys.modules)
        try:
            answer: Dict[str, Any] = {"ok": True, "snapshot": _load(request, baseline)}
            answer["modules"] = _modules_from_outside(before, request)
        except _Failure as failure:
            answer = {"ok": False, "error": failure.error}
        with os.fdopen(answer_w, "wb") as pipe:
            pipe.write(json.dumps(answer).encode("utf-8") + b"\n")
        if answer["ok"]:
            os.read(lifeline_r, 1)  # returns at EOF: the parent released this child or died
    except BaseException:  # never return into the parent's request loop
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def _read_answer(fd: int, timeout: float) -> Optional[bytes]:
    """One line from a child; b"" if it closed the pipe first, None after `timeout` seconds."""
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not select.select([fd], [], [], remaining)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b""
        data += chunk
    return data


def _modules_from_outside(before: Set[str], request: Dict[str, Any]) -> List[str]:
    """What this load imported from outside the project, in import order: safe to `preload`.

    These are exactly the imports the project's code caused (the env's packages and the stdlib),
    so importing them in the parent does the same work a load does, minus the project's code.
    """
    module_name = str(request.get("module") or "")
    roots = [os.getcwd()] + [os.path.abspath(p) for p in request.get("sys_path") or []]
    inside = tuple(os.path.join(r, "") for r in roots)
    env = tuple(os.path.join(p, "") for p in {sys.prefix, sys.exec_prefix, sys.base_prefix})
    names = []
    for name, module in list(sys.modules.items()):
        if name in before or name == module_name or module_name.startswith(name + "."):
            continue
        files = [getattr(module, "__file__", None)] + list(getattr(module, "__path__", None) or [])
        paths = [os.path.abspath(f) for f in files if isinstance(f, str)]
        if not any(p.startswith(inside) and not p.startswith(env) for p in paths):
            names.append(name)
    return names


def _preload(modules: List[Any]) -> Dict[str, Any]:
    failed = []
    for name in modules:
        if not isinstance(name, str) or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # each child imports it again, or fails the same way, on its own
            failed.append(name)
    return {"failed": failed, "threads": _thread_count()}


def _thread_count() -> int:
    """Python threads running here: a fork keeps only the calling one, so a thread a library
    started at import would be missing in every child. (Native pools such as OpenBLAS's are
    not counted: they re-create their threads after a fork themselves.)"""
    threading = sys.modules.get("threading")
    return threading.active_count() if threading is not None else 1


def _child_ended(pid: Any) -> Optional[str]:
    """None while child `pid` runs; else how it ended (it is reaped then)."""
    if pid not in _lifelines:
        return "is not running"
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        done, status = pid, 0
    if done == 0:
        return None
    os.close(_lifelines.pop(pid))
    return _how_it_ended(status)


def _release(pid: Any) -> None:
    lifeline = _lifelines.pop(pid, None)
    if lifeline is not None:
        os.close(lifeline)
        _reap(pid, kill=True)


def _reap(pid: int, kill: bool = False) -> str:
    """Wait for child `pid` (killing it first if asked) and say how it ended."""
    if kill:
        try:  # noqa: SIM105 (contextlib is not imported otherwise: the shim starts lean)
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        return _how_it_ended(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        return "ended"


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "signal %d" % number
        return "was killed by %s" % name
    return "exited with code %d" % os.WEXITSTATUS(status)


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
    return path in (_THIS_FILE, _DAGSTER_READER_FILE) or path.startswith(_IMPORTLIB_DIR)


def _format_traceback(exc: BaseException) -> str:
    """The traceback without this file's frames or importlib's."""
    import traceback

    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    dagster_dirs = _dagster_dirs()
    seen: Set[int] = set()
    todo: List[Optional[traceback.TracebackException]] = [te]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        kept = [f for f in current.stack if not _is_machinery(f.filename)]
        current.stack = traceback.StackSummary.from_list(kept)
        if dagster_dirs:
            current.stack = _fold_dagster_frames(current.stack, dagster_dirs)
        todo.extend((current.__cause__, current.__context__))
    return "".join(te.format())


def _dagster_dirs() -> Tuple[str, ...]:
    """The folders of the dagster packages imported so far (none unless the project uses dagster).

    Packages are `dagster` and `dagster_*` from the environment, not a project's own `dagster_etl`.
    """
    if "dagster" not in sys.modules:
        return ()
    env = tuple(os.path.join(p, "") for p in {sys.prefix, sys.exec_prefix, sys.base_prefix})
    root = os.path.join(os.getcwd(), "")
    dirs = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or "." in name or not (name == "dagster" or name.startswith("dagster_")):
            continue
        folder = os.path.join(os.path.dirname(os.path.abspath(file)), "")
        if folder.startswith(env) or not folder.startswith(root):
            dirs.append(folder)
    return tuple(dirs)


_FOLDED_STACK: Any = None  # made on first use: traceback is imported only on errors


def _fold_dagster_frames(frames: List[Any], dagster_dirs: Tuple[str, ...]) -> Any:
    """The stack with each run of Dagster's frames printed as one line saying how many were hidden."""
    global _FOLDED_STACK
    if _FOLDED_STACK is None:
        _FOLDED_STACK = _folded_stack_class()
    kept: List[Any] = []
    runs: Dict[int, int] = {}
    for frame in frames:
        if os.path.abspath(frame.filename).startswith(dagster_dirs):
            runs[len(kept)] = runs.get(len(kept), 0) + 1
        else:
            kept.append(frame)
    stack = _FOLDED_STACK(kept)
    stack.hidden_runs = runs
    return stack


def _folded_stack_class() -> Any:
    import traceback

    class FoldedStack(traceback.StackSummary):
        hidden_runs: Dict[int, int] = {}

        def __bool__(self) -> bool:  # a stack of Dagster frames only still says it hid them
            return len(self) > 0 or bool(self.hidden_runs)

        def format(self, **kwargs: Any) -> List[str]:  # 3.13 passes colorize=
            lines: List[str] = []
            for index, frame in enumerate(self):
                lines.extend(self._hidden(index))
                lines.extend(traceback.StackSummary.from_list([frame]).format(**kwargs))
            lines.extend(self._hidden(len(self)))
            return lines

        def _hidden(self, index: int) -> List[str]:
            count = self.hidden_runs.get(index, 0)
            if not count:
                return []
            return ["  [%d dagster frame%s hidden]\n" % (count, "" if count == 1 else "s")]

    return FoldedStack


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
    return _from_dagster(value) and type(value).__name__ in ("Definitions", "LazyDefinitions")


def _is_lazy_definitions(value: object) -> bool:
    """A function decorated with `@dagster.definitions` (what `create-dagster project` writes)."""
    return _from_dagster(value) and type(value).__name__ == "LazyDefinitions"


def _from_dagster(value: object) -> bool:
    return str(type(value).__module__).startswith("dagster")


def _find_definitions(module: Any, attribute: Optional[str]) -> Tuple[str, Any]:
    """The Definitions object to load: the one named by `attribute`, else the only one there is."""
    where = "module %s (%s)" % (module.__name__, _module_file(module))
    if attribute == AUTOLOAD_DEFS:
        return attribute, _dagster_call("autoload_defs", module)
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
        raise _Failure("multiple_definitions", message)
    return candidates[0]


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
    """The snapshot of a dagster.Definitions or `@definitions` function (see dagster_reader.py)."""
    snapshot: Dict[str, Any] = _dagster_call("snapshot", obj)
    return snapshot


_DAGSTER_READER: Any = None


def _dagster_call(function: str, arg: Any) -> Any:
    """Call a function of dagster_reader.py, loaded on first use from beside this file (by path:
    under -I this folder is not on sys.path); its failures become answers."""
    global _DAGSTER_READER
    if _DAGSTER_READER is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location("_ws_dagster_reader", _DAGSTER_READER_FILE)
        assert spec is not None and spec.loader is not None
        reader = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(reader)
        _DAGSTER_READER = reader
    try:
        return getattr(_DAGSTER_READER, function)(arg)
    except _DAGSTER_READER.LoadFailed as failed:
        exc = failed.exc
        if failed.kind == "import_error":
            message = _describe(exc, "")
        else:  # Dagster's validation: where the user's code is involved, if it is
            frame = _user_frame(exc)
            inside = frame is not None and not os.path.isabs(_display(frame[0]))
            message = _exception_line(exc) + _suffix(frame if inside else None)
        raise _Failure(failed.kind, message, _format_traceback(exc)) from None
    except Exception as exc:  # a Dagster whose API moved: say so, and keep serving
        message = "ws could not read these Dagster definitions (dagster %s): %s" % (
            getattr(sys.modules.get("dagster"), "__version__", "?"),
            _exception_line(exc),
        )
        raise _Failure("invalid_definitions", message, _format_traceback(exc)) from None


if __name__ == "__main__":
    main()
