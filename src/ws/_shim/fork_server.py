"""The fork server (`ws dev`, POSIX): ops `fork_load`, `preload`, `release` and `ping` with a pid.

Reloading by starting a new interpreter pays again for every third-party import (seconds, for a
data stack). Instead ws can keep the shim warm: after a good load it sends `preload` with the
modules that load imported from outside the project, and each (re)load is a `fork_load`: a forked
child imports the project's own code, answers through a pipe, then stays alive holding that code
(it is the project's server) until `release`, or until the shim ends. The shim never imports
project code itself, so every child starts from the same state. Children stay in the shim's
process group, so ws ending the group ends them all at once; a pipe (the "lifeline") ends a child
whose parent was killed alone. Imported by loader.py on the first of these ops only.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time

from . import load
from .definitions import env_prefixes, source_roots

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Set

_SHIM_PACKAGE = __name__.rpartition(".")[0]
_lifelines: Dict[int, int] = {}  # child pid -> the write end of its lifeline


def answer(request: Dict[str, Any], baseline: Set[str], host_fds: List[int]) -> Dict[str, Any]:
    """The answer to one fork server op, without its id; `host_fds` are closed in children."""
    op = request.get("op")
    if op == "fork_load":
        return _fork_load(request, baseline, host_fds)
    if op == "preload":
        return dict(_preload(request.get("modules") or []), ok=True)
    if op == "release":
        _release(request.get("pid"))
        return {"ok": True}
    return {"ok": True, "ended": _child_ended(request.get("pid"))}  # ping naming a child


def _fork_load(request: Dict[str, Any], baseline: Set[str], host_fds: List[int]) -> Dict[str, Any]:
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
        inherited = [answer_r, lifeline_w] + host_fds + list(_lifelines.values())
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
        answer = load.answer(request, baseline)
        if answer["ok"]:
            answer["modules"] = _modules_from_outside(before, request)
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
    The shim's own siblings (dagster_reader, say) are not the project's imports: left out.
    """
    module_name = str(request.get("module") or "")
    roots = [*source_roots()] + [os.path.abspath(p) for p in request.get("sys_path") or []]
    inside = tuple(os.path.join(r, "") for r in roots)
    env = env_prefixes()
    names = []
    for name, module in list(sys.modules.items()):
        if name in before or name == module_name or module_name.startswith(name + "."):
            continue
        if name.partition(".")[0] == _SHIM_PACKAGE:
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
