"""The Python interpreters this machine has: a directory scan, then one probe each.

The scan (PATH, pyenv, uv, asdf, mise, the system folders) takes milliseconds and finds pyenv
versions that are not active, which uv, virtualenv and python-discovery miss. Each candidate is
then probed once (`ws.pythons.probe`); a warm cache means no interpreter runs at all.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ws.pythons import probe as _probe

MIN_SUPPORTED = (3, 8)


SYSTEM_DIRS: tuple[str, ...] = ("/usr/bin", "/usr/local/bin")
"""Scanned last, for `python3` and `python3.N` (tests point this elsewhere)."""


_PATH_NAMES = re.compile(r"python(3(\.\d+)?)?")


_SYSTEM_NAMES = re.compile(r"python3(\.\d+)?")


_RELEASE = re.compile(r"(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?")


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
        return release(self.version)


def discover_interpreters(*, refresh: bool = False) -> list[Interpreter]:
    """Every interpreter found, in source order, each once; `refresh` ignores the probe cache."""
    candidates = _candidates()
    infos = _probe.probe_many([exe for exe, _ in candidates], refresh=refresh)
    found = [
        interpreter_from_probe(exe, source, infos[exe])
        for exe, source in candidates
        if exe in infos
    ]
    running = running_interpreter()
    if not any(same_file(running.executable, i.executable) for i in found):
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
    listed: set[tuple[int, int]] = set()  # /bin, /usr/bin, a PATH entry twice: one listing
    for folder in env.get("PATH", "").split(os.pathsep):
        for exe in _matching(Path(folder or "."), _PATH_NAMES, listed):
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
        for exe in _matching(Path(folder), _SYSTEM_NAMES, listed):
            yield str(exe), "system"


def _matching(folder: Path, names: re.Pattern[str], listed: set[tuple[int, int]]) -> list[Path]:
    """The files of `folder` that `names` matches, unless `listed` says the folder (by its
    identity: a symlinked /bin is /usr/bin) was listed already; a listing costs ~1 ms per 1000
    names, and every ws command that resolves a Python lists the same folders."""
    try:
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in listed:
            return []
        listed.add((st.st_dev, st.st_ino))
        found = [n for n in os.listdir(folder) if n.startswith("python") and names.fullmatch(n)]
    except OSError:
        return []
    return sorted(folder / n for n in found)


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


def interpreter_from_probe(exe: str, source: str, info: _probe.ProbeInfo) -> Interpreter:
    version = info.version
    reason = None
    if release(version)[:2] < MIN_SUPPORTED:
        reason = "ws needs Python {}.{} or newer".format(*MIN_SUPPORTED)
    elif info.stdlib_error:
        reason = f"its standard library is broken ({info.stdlib_error})"
    return Interpreter(
        exe, version, info.implementation, info.architecture, source, reason is None, reason
    )


def release(version: str) -> tuple[int, ...]:
    match = _RELEASE.match(version)
    return tuple(int(part) for part in match[1].split(".")) if match else ()


def newness(interp: Interpreter) -> tuple[tuple[int, ...], int, str, int]:
    """Sort key: release, then final above its pre-releases (a < b < rc)."""
    match = _RELEASE.match(interp.version)
    if not match or match[2] is None:
        return interp.version_tuple, 1, "", 0
    return interp.version_tuple, 0, match[2], int(match[3])


def same_file(a: str, b: str) -> bool:
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
