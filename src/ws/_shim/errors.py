"""What a failure says: one line naming the exception and the user's line, and a traceback.

Imported only once something failed (traceback alone costs milliseconds). Tracebacks keep the
user's frames: the shim's own files and importlib's are left out, and each run of Dagster's frames
is folded into one line saying how many were hidden.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

from .definitions import display, env_prefixes, source_roots

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Set, Tuple

_SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
_IMPORTLIB_DIR = os.path.join(os.path.dirname(os.path.abspath(importlib.__file__ or "")), "")


def describe(exc: BaseException, module_name: str) -> str:
    """One line: the exception and where the user's code raised it."""
    if isinstance(exc, SyntaxError):
        where = " (%s, line %s)" % (display(exc.filename or "?"), exc.lineno)
        return "%s: %s%s" % (type(exc).__name__, exc.msg, where)
    line = exception_line(exc)
    frame = user_frame(exc)
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if frame is None and missing and (module_name + ".").startswith(missing + "."):
        return "%s; is the project installed in its environment, and is [tool.ws] module right?" % (
            line
        )
    return line + suffix(frame)


def exception_line(exc: BaseException) -> str:
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = "%s.%s" % (cls.__module__, name)
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the error itself
        text = "<unprintable>"
    return "%s: %s" % (name, text) if text else name


def suffix(frame: Optional[Tuple[str, int]]) -> str:
    """` (file:line)` for a frame from `user_frame`, else nothing."""
    return " (%s:%d)" % (display(frame[0]), frame[1]) if frame else ""


def user_frame(exc: BaseException) -> Optional[Tuple[str, int]]:
    """The deepest frame in the project's own files, else the deepest frame outside ws and importlib."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_machinery(f.filename)]
    env = env_prefixes()
    roots = source_roots()
    for frame in reversed(frames):
        path = os.path.abspath(frame.filename)
        if path.startswith(roots) and not path.startswith(env):
            return frame.filename, frame.lineno or 0
    return (frames[-1].filename, frames[-1].lineno or 0) if frames else None


def format_traceback(exc: BaseException) -> str:
    """The traceback without the shim's frames or importlib's, Dagster's folded."""
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


def _is_machinery(filename: str) -> bool:
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_SHIM_DIR) or path.startswith(_IMPORTLIB_DIR)


def _dagster_dirs() -> Tuple[str, ...]:
    """The folders of the dagster packages imported so far (none unless the project uses dagster).

    Packages are `dagster` and `dagster_*` from the environment, not a project's own `dagster_etl`.
    """
    if "dagster" not in sys.modules:
        return ()
    env = env_prefixes()
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


class _FoldedStack(traceback.StackSummary):
    """A stack that prints each run of hidden (Dagster's) frames as one line."""

    hidden_runs: Dict[int, int] = {}  # index in the stack -> frames hidden just before it

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


def _fold_dagster_frames(frames: List[Any], dagster_dirs: Tuple[str, ...]) -> _FoldedStack:
    """The stack with each run of Dagster's frames printed as one line saying how many were hidden."""
    kept: List[Any] = []
    runs: Dict[int, int] = {}
    for frame in frames:
        if os.path.abspath(frame.filename).startswith(dagster_dirs):
            runs[len(kept)] = runs.get(len(kept), 0) + 1
        else:
            kept.append(frame)
    stack = _FoldedStack(kept)
    stack.hidden_runs = runs
    return stack
