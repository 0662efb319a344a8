"""The Python interpreters this machine has, and which one a request like `3.12` means.

Discovery is a directory scan (PATH, pyenv, uv, asdf, mise, the system folders): milliseconds,
and it finds pyenv versions that are not active, which uv, virtualenv and python-discovery miss.
Each candidate is then probed once (`ws._probe`); a warm cache means no interpreter runs at all.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ws.errors import ConfigError, WsError
from ws.pythons import probe as _probe

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

log = logging.getLogger("ws")

MIN_SUPPORTED = (3, 8)
SYSTEM_DIRS: tuple[str, ...] = ("/usr/bin", "/usr/local/bin")
"""Scanned last, for `python3` and `python3.N` (tests point this elsewhere)."""

_PATH_NAMES = re.compile(r"python(3(\.\d+)?)?")
_SYSTEM_NAMES = re.compile(r"python3(\.\d+)?")
_VERSION_REQUEST = re.compile(
    r"(?:(?P<impl>cpython|pypy|graalpy|python)-?)?(?P<version>\d+(?:\.\d+){0,2})", re.IGNORECASE
)
_RELEASE = re.compile(r"(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?")
_FORMS = (
    "use a version (`3.12`, `3.12.1`, `3`), a PEP 440 specifier (`>=3.10,<3.13`), an "
    "implementation and version (`cpython3.11`, `cpython-3.11`, `python3.11`), or a path to an "
    "interpreter"
)


@dataclass(frozen=True)
class Interpreter:
    """One interpreter: where it was found and what it said about itself."""

    executable: str  # absolute path as found (not the resolved symlink): what tools get
    version: str  # "3.12.1"
    implementation: str  # "CPython"
    architecture: str  # "x86_64"
    source: str  # "explicit" | "PATH" | "pyenv" | "uv" | "asdf" | "mise" | "system" | "running"
    supported: bool
    reason: str | None = None  # why it is unsupported

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return _release(self.version)


class NoInterpreterFound(WsError):
    """No interpreter on this machine satisfies a request."""

    exit_code = 1


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
            return _same_file(self.path, interpreter.executable)
        if self.implementation and interpreter.implementation.lower() != self.implementation:
            return False
        if self.specifier is not None:
            return _specifier_set(self.specifier).contains(interpreter.version)
        return interpreter.version_tuple[: len(self.version)] == self.version


def discover_interpreters(*, refresh: bool = False) -> list[Interpreter]:
    """Every interpreter found, in source order, each once; `refresh` ignores the probe cache."""
    candidates = _candidates()
    infos = _probe.probe_many([exe for exe, _ in candidates], refresh=refresh)
    found = [_interpreter(exe, source, infos[exe]) for exe, source in candidates if exe in infos]
    running = running_interpreter()
    if not any(_same_file(running.executable, i.executable) for i in found):
        found.append(running)
    return found


def running_interpreter() -> Interpreter:
    """The interpreter running ws (its base, when ws runs in a venv), without a probe."""
    return Interpreter(
        executable=_base_executable(),
        version=_probe.pep440_version(sys.version_info),
        implementation=_probe.implementation_name(sys.implementation.name),
        architecture=os.uname().machine if hasattr(os, "uname") else _platform_machine(),
        source="running",
        supported=True,
    )


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
    return max(fitting, key=_newness)  # max() keeps the first of equals: source order


def resolve_python(
    request: tuple[str, str] | None, interpreters: Sequence[Interpreter] | None = None
) -> Interpreter:
    """The interpreter for a (text, origin) request; None means the interpreter running ws."""
    if request is None:
        return running_interpreter()
    return find_interpreter(request[0], request[1], interpreters)


def _candidates() -> list[tuple[str, str]]:
    """(executable, source) in source order, one per file (symlinks and hard links folded)."""
    seen: set[tuple[int, int]] = set()
    found: list[tuple[str, str]] = []
    for exe, source in _scan():
        try:
            st = os.stat(exe)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) not in seen and os.access(exe, os.X_OK):
            seen.add((st.st_dev, st.st_ino))
            found.append((os.path.abspath(exe), source))
    return found


def _scan() -> Iterator[tuple[str, str]]:
    home = Path.home()
    env = os.environ
    for entry in env.get("WS_PYTHONS", "").split(os.pathsep):
        if entry:
            path = Path(entry).expanduser()
            yield str(_executable_in(path) if path.is_dir() else path), "explicit"
    pyenv_root = Path(env.get("PYENV_ROOT") or home / ".pyenv")
    for folder in env.get("PATH", "").split(os.pathsep):
        for exe in _matching(Path(folder or "."), _PATH_NAMES):
            if not _is_shim(exe, pyenv_root):
                yield str(exe), "PATH"
    xdg_data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    uv_dir = Path(env.get("UV_PYTHON_INSTALL_DIR") or xdg_data / "uv" / "python")
    asdf_dir = Path(env.get("ASDF_DATA_DIR") or home / ".asdf") / "installs" / "python"
    mise_dir = Path(env.get("MISE_DATA_DIR") or xdg_data / "mise") / "installs" / "python"
    for source, versions in (
        ("pyenv", pyenv_root / "versions"),
        ("uv", uv_dir),
        ("asdf", asdf_dir),
        ("mise", mise_dir),
    ):
        for prefix in _subfolders(versions):
            yield str(_executable_in(prefix)), source
    for folder in SYSTEM_DIRS:
        for exe in _matching(Path(folder), _SYSTEM_NAMES):
            yield str(exe), "system"


def _matching(folder: Path, names: re.Pattern[str]) -> list[Path]:
    try:
        return sorted(folder / n for n in os.listdir(folder) if names.fullmatch(n))
    except OSError:
        return []


def _subfolders(folder: Path) -> list[Path]:
    """Install folders, in natural order (3.9 before 3.10)."""
    try:
        names = [n for n in os.listdir(folder) if not n.startswith(".")]
    except OSError:
        return []
    return [folder / n for n in sorted(names, key=_natural)]


def _natural(name: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", name)]


def _executable_in(prefix: Path) -> Path:
    """The interpreter of an install folder: bin/python3 (bin/python for a Python 2)."""
    for candidate in (prefix / "bin" / "python3", prefix / "bin" / "python"):
        if candidate.exists():
            return candidate
    return prefix / "python.exe"  # uv's Windows layout; a missing file is dropped later


def _is_shim(exe: Path, pyenv_root: Path) -> bool:
    """A version manager's stand-in (a script that picks a real interpreter), not an interpreter.

    pyenv's and asdf's shims are shell scripts; mise's are links to the mise binary.
    """
    folder = exe.parent
    if folder.name != "shims":
        return False
    if folder == pyenv_root / "shims":
        return True
    if not os.path.basename(os.path.realpath(exe)).startswith("python"):
        return True
    try:
        with open(exe, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return True


def _interpreter(exe: str, source: str, info: _probe.ProbeInfo) -> Interpreter:
    version = info.version
    reason = None
    if _release(version)[:2] < MIN_SUPPORTED:
        reason = "ws needs Python {}.{} or newer".format(*MIN_SUPPORTED)
    elif info.stdlib_error:
        reason = f"its standard library is broken ({info.stdlib_error})"
    return Interpreter(
        exe, version, info.implementation, info.architecture, source, reason is None, reason
    )


def _interpreter_at(request: PythonRequest, known: Sequence[Interpreter]) -> Interpreter:
    """The interpreter a path request names: a known one, else that file, probed now."""
    assert request.path is not None
    where, path = request.origin, request.path
    if not os.path.isfile(path):
        raise NoInterpreterFound(f"{where} names {path}, which is not a file; fix the path.")
    interp = next((i for i in known if _same_file(path, i.executable)), None)
    if interp is None:
        info = _probe.probe_many([path]).get(path)
        if info is None:
            raise NoInterpreterFound(
                f"{where} names {path}, which did not run as Python (see --verbose); "
                "point it at a working interpreter."
            )
        interp = _interpreter(path, "explicit", info)
    if not interp.supported:
        raise NoInterpreterFound(f"{where} names {path}, which ws cannot use: {interp.reason}.")
    return interp


def _no_match_message(request: PythonRequest, pool: Sequence[Interpreter]) -> str:
    seen: list[str] = []
    for interp in sorted(pool, key=_newness, reverse=True):
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


def _release(version: str) -> tuple[int, ...]:
    match = _RELEASE.match(version)
    return tuple(int(part) for part in match[1].split(".")) if match else ()


def _newness(interp: Interpreter) -> tuple[tuple[int, ...], int, str, int]:
    """Sort key: release, then final above its pre-releases (a < b < rc)."""
    match = _RELEASE.match(interp.version)
    if not match or match[2] is None:
        return interp.version_tuple, 1, "", 0
    return interp.version_tuple, 0, match[2], int(match[3])


def _bad_request(text: str, origin: str) -> ConfigError:
    return ConfigError(f"{origin}: {text!r} is not a Python request ws understands; {_FORMS}.")


@functools.lru_cache(maxsize=64)
def _specifier_set(text: str) -> SpecifierSet:
    # packaging costs ~25 ms to import, so only specifier requests pay for it.
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _base_executable() -> str:
    """sys.executable, or in a venv the interpreter it was made from (which outlives the venv)."""
    if sys.prefix == sys.base_prefix:
        return sys.executable
    base = getattr(sys, "_base_executable", "")
    if base and base != sys.executable and os.path.isfile(base):
        return str(base)
    guess = Path(sys.base_prefix) / "bin" / "python{}.{}".format(*sys.version_info[:2])
    return str(guess) if guess.is_file() else sys.executable


def _platform_machine() -> str:
    import platform

    return platform.machine()
