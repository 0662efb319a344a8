"""Which objects are Definitions and which one a module defines; `Failure`, how problems leave;
where a file is (`display`, and `env_prefixes`: the folders that are the environment's).

Duck typing (see loader.py): a Definitions object's type answers `__ws_snapshot__()`, or it is a
`dagster.Definitions` or `@dagster.definitions` function, told by its type's name and module
without importing dagster. Every other sibling imports from this file; it imports none of them.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple


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


# Folders of the project's own code besides its root: the editable local libraries ws names on the
# loader's command line. Their files are compiled afresh, reloaded and named in errors as the
# project's are (set once at start by loader.py).
LIBRARY_ROOTS: List[str] = []


def source_roots() -> Tuple[str, ...]:
    """The folders of the project's own code (each ending in a separator): its root, then its
    editable libraries."""
    return tuple(os.path.join(r, "") for r in [os.getcwd(), *LIBRARY_ROOTS])


def env_prefixes() -> Tuple[str, ...]:
    """The environment's folders (each ending in a separator): files under them are not the project's."""
    return tuple(os.path.join(p, "") for p in {sys.prefix, sys.exec_prefix, sys.base_prefix})


def find_definitions(module: Any, attribute: Optional[str]) -> Tuple[str, Any]:
    """The Definitions object to load: the one named by `attribute`, else the only one there is."""
    file = display(getattr(module, "__file__", None) or "<no file>")
    where = "module %s (%s)" % (module.__name__, file)
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
    lazy = [item for item in found.values() if is_lazy_definitions(item[1])]
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


def has_ws_snapshot(value: object) -> bool:
    """Whether `value`'s type answers `__ws_snapshot__()` (ws_defs' Definitions, or a lookalike)."""
    return callable(getattr(type(value), "__ws_snapshot__", None))


def is_lazy_definitions(value: object) -> bool:
    """A function decorated with `@dagster.definitions` (what `create-dagster project` writes)."""
    return _from_dagster(value) and type(value).__name__ == "LazyDefinitions"


def _is_definitions(value: object) -> bool:
    if isinstance(value, type):
        return False
    if has_ws_snapshot(value):
        return True
    return _from_dagster(value) and type(value).__name__ in ("Definitions", "LazyDefinitions")


def _from_dagster(value: object) -> bool:
    return str(type(value).__module__).startswith("dagster")


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])
