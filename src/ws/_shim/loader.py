"""ws's loader shim: runs INSIDE a project's environment and answers with its definitions as JSON.

ws starts it by path as `[env_python, "-I", loader.py]` with cwd = the project root. Rules, for this
file and every other file of this folder (it is the shim's entry; the others are its siblings):
- Stdlib only; parses and runs on Python 3.8+ (no newer syntax or modules). It imports nothing of
  ws, and not ws_defs either: a Dagster project's environment may not have it. A Definitions object
  is recognised by duck typing (its type answers `__ws_snapshot__()`); an object whose type comes
  from a `dagster*` module goes to `dagster_reader.py`, and dagster is never imported otherwise.
- Siblings are imported as `_ws_shim.<file>` (see `_import_siblings_privately`), never by their
  own names: this folder is not on sys.path, and a project's own `errors` or `load` must not meet
  them. Between themselves they import relatively, and one way only: `definitions` imports none of
  them, `errors` and `dagster_reader` import `definitions`, `load` imports those three, and
  `fork_server` imports `load` and `definitions`.
  What a request does not need is not imported: `fork_server` for fork ops only, `errors` only
  once something failed, `dagster_reader` only for Dagster's objects.
- Channels: at start the real stdout (fd 1) is duplicated into a private channel and fd 1 and
  sys.stdout point at stderr, so nothing user code prints (Python or C level) reaches the answers.
  The real stdin is duplicated privately too and fd 0 points at /dev/null, so user code reading
  stdin sees EOF and cannot eat requests.
- Requests are JSON lines on stdin, answers JSON lines on the channel, one answer per request:
    {"id": 1, "op": "load", "name": "proj", "module": "proj.definitions", "attribute": null,
     "sys_path": ["src"]}   ->  {"id": 1, "ok": true, "snapshot": {...}}
    {"id": 2, "op": "ping"} ->  {"id": 2, "ok": true}
  `ws dev` may use this process as a fork server instead (POSIX; see fork_server.py):
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

TYPE_CHECKING = False  # typing costs milliseconds to import: only for type checkers
if TYPE_CHECKING:
    from typing import IO, Any, Dict, List, Set, Tuple

_SIBLINGS = "_ws_shim"  # the private package name this folder's other files are imported under
_FORK_SERVER_OPS = ("fork_load", "preload", "release", "ping")  # ping: when it names a child


def main() -> None:
    channel, requests = _take_std_streams()
    host_fds = [channel.fileno(), requests.fileno()]  # a forked child must not hold them open
    # A crash in user code leaves its Python stack on stderr, where ws shows it; on a timeout ws
    # sends SIGUSR1 first to learn where the load was stuck.
    faulthandler.enable()
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1)
    libraries = [os.path.realpath(arg) for arg in sys.argv[1:]]  # editable local libraries
    _compile_project_sources_afresh([os.getcwd(), *libraries])
    _import_siblings_privately()
    _sibling("definitions").LIBRARY_ROOTS[:] = libraries
    baseline = set(sys.modules)
    for line in requests:
        if not line.strip():
            continue
        answer = _answer(line, baseline, host_fds)
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


def _compile_project_sources_afresh(roots: List[str]) -> None:
    """Import the project's own files (and its editable libraries') from their source every
    time, never through __pycache__.

    CPython trusts a .pyc whose recorded source mtime (whole seconds) and size match, so two saves
    of the same size within one second (`ws dev`, an editor) would load stale code; and writing
    __pycache__ would add files to the team's folder (-I ignores PYTHONDONTWRITEBYTECODE). A
    project's own modules are small, so compiling them costs milliseconds. Installed packages
    (under sys.prefix, even when the env sits inside the project) keep their bytecode, and so do
    this shim's siblings.
    """
    from importlib.machinery import SourceFileLoader

    project = tuple(os.path.join(os.path.realpath(root), "") for root in roots)
    env = os.path.join(os.path.realpath(sys.prefix), "")
    cached_get_code = SourceFileLoader.get_code

    def get_code(self: Any, fullname: str) -> Any:
        path = self.get_filename(fullname)
        real = os.path.realpath(path)
        if real.startswith(project) and not real.startswith(env):
            return self.source_to_code(self.get_data(path), path)
        return cached_get_code(self, fullname)

    SourceFileLoader.get_code = get_code  # type: ignore[method-assign]


def _import_siblings_privately() -> None:
    """Make this folder's other files importable as `_ws_shim.<file>`, and as nothing else.

    A package of that private name whose only path is this folder: the import system finds the
    siblings there, with their bytecode cached like any installed module's (this script itself is
    compiled on every start, so it stays small), and they can import each other relatively.
    """
    from importlib.machinery import ModuleSpec

    spec = ModuleSpec(_SIBLINGS, None, is_package=True)
    spec.submodule_search_locations = [os.path.dirname(os.path.abspath(__file__))]
    package = type(sys)(_SIBLINGS)  # types.ModuleType, without importing types
    package.__spec__ = spec
    package.__path__ = spec.submodule_search_locations
    package.__package__ = _SIBLINGS
    sys.modules[_SIBLINGS] = package


def _sibling(name: str) -> Any:
    return importlib.import_module("%s.%s" % (_SIBLINGS, name))


def _answer(line: bytes, baseline: Set[str], host_fds: List[int]) -> Dict[str, Any]:
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except ValueError as exc:
        return {"id": None, "ok": False, "error": {"kind": "bad_request", "message": str(exc)}}
    rid = request.get("id")
    op = request.get("op")
    answer: Dict[str, Any]
    if op == "ping" and "pid" not in request:
        answer = {"ok": True}
    elif op == "load":
        answer = _sibling("load").answer(request, baseline)
    elif op in _FORK_SERVER_OPS:
        answer = _sibling("fork_server").answer(request, baseline, host_fds)
    else:
        answer = {"ok": False, "error": {"kind": "bad_request", "message": "unknown op %r" % (op,)}}
    return {"id": rid, **answer}


if __name__ == "__main__":
    main()
