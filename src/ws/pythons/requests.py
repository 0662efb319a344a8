"""Python requests (`3.12`, `>=3.10,<3.13`, `cpython3.11`, a path) and the one resolver that
turns a project's request into an interpreter, for sync, status, `ws python list` and `ws run`.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ws.errors import ConfigError, NoInterpreterFound
from ws.pythons import probe as _probe
from ws.pythons.discovery import (
    MIN_SUPPORTED,
    Interpreter,
    discover_interpreters,
    interpreter_from_probe,
    newness,
    running_interpreter,
    same_file,
)

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

_VERSION_REQUEST = re.compile(
    r"(?:(?P<impl>cpython|pypy|graalpy|python)-?)?(?P<version>\d+(?:\.\d+){0,2})", re.IGNORECASE
)


_FORMS = (
    "use a version (`3.12`, `3.12.1`, `3`), a PEP 440 specifier (`>=3.10,<3.13`), an "
    "implementation and version (`cpython3.11`, `cpython-3.11`, `python3.11`), or a path to an "
    "interpreter"
)


@dataclass(frozen=True)
class PythonRequest:
    """A parsed request. Exactly one of `version` (a prefix), `specifier`, `path` says what fits."""

    text: str
    origin: str
    implementation: str | None = None  # lower case: "cpython"; None for any
    version: tuple[int, ...] = ()
    specifier: str | None = None
    path: str | None = None

    def matches(self, interpreter: Interpreter) -> bool:
        if self.path is not None:
            return same_file(self.path, interpreter.executable)
        if self.implementation and interpreter.implementation.lower() != self.implementation:
            return False
        if self.specifier is not None:
            return _specifier_set(self.specifier).contains(interpreter.version)
        return interpreter.version_tuple[: len(self.version)] == self.version


def parse_request(text: str, origin: str) -> PythonRequest:
    """Read a request; one ws cannot read is a ConfigError naming `origin` and the forms it takes."""
    stripped = text.strip()
    if "/" in stripped or os.sep in stripped:
        path = os.path.abspath(os.path.expanduser(stripped))
        return PythonRequest(text, origin, path=path)
    if stripped[:1] in ("<", ">", "=", "!", "~"):
        from packaging.specifiers import InvalidSpecifier

        try:
            _specifier_set(stripped)
        except InvalidSpecifier:
            raise _bad_request(text, origin) from None
        return PythonRequest(text, origin, specifier=stripped)
    match = _VERSION_REQUEST.fullmatch(stripped)
    if not match:
        raise _bad_request(text, origin)
    impl = (match["impl"] or "python").lower()
    version = tuple(int(part) for part in match["version"].split("."))
    return PythonRequest(text, origin, None if impl == "python" else impl, version)


def find_interpreter(
    text: str, origin: str, interpreters: Sequence[Interpreter] | None = None
) -> Interpreter:
    """The newest supported interpreter that satisfies the request (ties: source order)."""
    request = parse_request(text, origin)
    if request.path is not None:
        return _interpreter_at(request, interpreters or ())
    pool = discover_interpreters() if interpreters is None else interpreters
    fitting = [i for i in pool if i.supported and request.matches(i)]
    if not fitting:
        raise NoInterpreterFound(_no_match_message(request, pool))
    return max(fitting, key=newness)  # max() keeps the first of equals: source order


def resolve_python(
    request: tuple[str, str] | None, interpreters: Sequence[Interpreter] | None = None
) -> Interpreter:
    """The interpreter for a (text, origin) request; None means the interpreter running ws."""
    if request is None:
        return running_interpreter()
    return find_interpreter(request[0], request[1], interpreters)


def _interpreter_at(request: PythonRequest, known: Sequence[Interpreter]) -> Interpreter:
    """The interpreter a path request names: a known one, else that file, probed now."""
    assert request.path is not None
    where, path = request.origin, request.path
    if not os.path.isfile(path):
        raise NoInterpreterFound(f"{where} names {path}, which is not a file; fix the path.")
    interp = next((i for i in known if same_file(path, i.executable)), None)
    if interp is None:
        info = _probe.probe_many([path]).get(path)
        if info is None:
            raise NoInterpreterFound(
                f"{where} names {path}, which did not run as Python (see --verbose); "
                "point it at a working interpreter."
            )
        interp = interpreter_from_probe(path, "explicit", info)
    if not interp.supported:
        raise NoInterpreterFound(f"{where} names {path}, which ws cannot use: {interp.reason}.")
    return interp


def _no_match_message(request: PythonRequest, pool: Sequence[Interpreter]) -> str:
    unusable = [i for i in pool if request.matches(i)]  # none is supported, or one would fit
    if unusable:
        return _unusable_message(request, unusable, pool)
    seen: list[str] = []
    for interp in sorted(pool, key=newness, reverse=True):
        label = f"{interp.version} ({interp.source}{'' if interp.supported else ', unsupported'})"
        if label not in seen:
            seen.append(label)
    if request.specifier is not None:
        hint = f"`uv python install '{request.specifier}'`"
    else:
        wanted = ".".join(map(str, request.version))
        hint = f"`pyenv install {wanted}` or `uv python install {wanted}`"
    return (
        f"no Python interpreter matches {request.text!r} ({request.origin}); found: "
        f"{', '.join(seen) or 'none'}. Install one, e.g. {hint}, or list its path in WS_PYTHONS."
    )


def _unusable_message(
    request: PythonRequest, unusable: Sequence[Interpreter], pool: Sequence[Interpreter]
) -> str:
    """The request fits only interpreters ws cannot use: say which are installed, and why not."""
    ordered = sorted(unusable, key=newness, reverse=True)
    labels = list(dict.fromkeys(f"{i.version} ({i.source})" for i in ordered))
    if len(labels) == 1:
        version, source = labels[0].split(" ", 1)
        installed = f"Python {version} is installed {source}"
    else:
        installed = f"Python {', '.join(labels[:-1])} and {labels[-1]} are installed"
    newest_first = sorted(pool, key=newness, reverse=True)
    usable = ", ".join(dict.fromkeys(i.version for i in newest_first if i.supported)) or "none"
    wanted = f"no Python interpreter ws can use matches {request.text!r} ({request.origin})"
    if all(i.version_tuple[:2] < MIN_SUPPORTED for i in ordered):
        minimum = "{}.{}".format(*MIN_SUPPORTED)
        return (
            f"{wanted}: {installed} but project envs need {minimum} or newer (ws's loader runs "
            f"in the env); ask for {minimum}+ (usable here: {usable})."
        )
    reasons = "; ".join(dict.fromkeys(f"{i.version}: {i.reason}" for i in ordered))
    them = "it" if len(labels) == 1 else "them"
    return (
        f"{wanted}: {installed} but ws cannot use {them} ({reasons}); repair {them} or ask "
        f"for another version (usable here: {usable})."
    )


def _bad_request(text: str, origin: str) -> ConfigError:
    return ConfigError(f"{origin}: {text!r} is not a Python request ws understands; {_FORMS}.")


class Resolver:
    """Each request's interpreter; the machine is scanned once, and only when a request needs it.

    One per command: sync, `ws list projects`, `ws python list` (given the interpreters it
    lists) and `ws run` all resolve through it, so they agree on which interpreter a project gets.
    """

    def __init__(self, interpreters: Sequence[Interpreter] | None = None) -> None:
        self._pool = list(interpreters) if interpreters is not None else None

    @property
    def interpreters(self) -> list[Interpreter]:
        if self._pool is None:
            self._pool = discover_interpreters()
        return self._pool

    def resolve(self, request: tuple[str, str] | None) -> Interpreter:
        """The interpreter for a (text, origin) request; None means the interpreter running ws."""
        if request is None:
            return running_interpreter()
        parsed = parse_request(*request)
        if parsed.path is not None:  # a path names its interpreter: no scan needed
            return _interpreter_at(parsed, self._pool or ())
        return find_interpreter(request[0], request[1], self.interpreters)


@functools.lru_cache(maxsize=64)
def _specifier_set(text: str) -> SpecifierSet:
    # packaging costs ~25 ms to import, so only specifier requests pay for it.
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)
