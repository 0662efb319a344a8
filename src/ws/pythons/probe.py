"""Ask an interpreter what it is, once: a tiny script run in the child, answers cached on disk.

Why not python-discovery (it ships with virtualenv): its probe collects every sysconfig path and
scheme (about 50 ms a child, against 15 ms here), its script needs Python 3.8+ to even parse so a
Python 2.7 on the machine is a failure instead of an "unsupported" line, and its cache lives in
virtualenv's app-data folder. We need four facts, so the script below is twenty lines.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ws import process
from ws.digest import sha256
from ws.files import cache_dir, write_atomic
from ws.log import debug

PROBE_TIMEOUT = 10.0
"""Seconds one interpreter may take to answer; one that hangs is skipped (tests lower this)."""

RETRY_FAILED_AFTER = 3600.0
"""A failed probe is remembered this long, so a hanging interpreter costs PROBE_TIMEOUT once an
hour rather than on every command, yet one that failed for a passing reason (a loaded machine,
a shared library installed since) comes back on its own."""

_CACHE_VERSION = 1
_MAX_WORKERS = 8

# Runs in the candidate, fed on stdin. It must parse on Python 2.7 (so that old interpreters are
# reported as unsupported rather than lost), import only what every stdlib has, and drop the
# current folder from sys.path so that a stray json.py in the cwd cannot answer for the stdlib.
PROBE_SCRIPT = r"""
import sys
sys.path = [p for p in sys.path if p not in ("", ".")]
import json, os
v = sys.version_info
impl = getattr(getattr(sys, "implementation", None), "name", None)
if impl is None:
    import platform
    impl = platform.python_implementation().lower()
if hasattr(os, "uname"):
    machine = os.uname()[4]
else:
    import platform
    machine = platform.machine()
stdlib_error = None
try:
    import sysconfig, encodings  # what virtualenv (no seed packages) needs from the stdlib
except Exception as exc:
    stdlib_error = "%s: %s" % (type(exc).__name__, exc)
info = {"version": [v[0], v[1], v[2], v[3], v[4]], "implementation": impl,
        "architecture": machine, "stdlib_error": stdlib_error}
sys.stdout.write(sys.argv[1] + json.dumps(info) + sys.argv[2])
"""
_SCRIPT_HASH = sha256(PROBE_SCRIPT.encode()).hexdigest()[:16]
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}
_PRE_RELEASES = {"alpha": "a", "beta": "b", "candidate": "rc"}
_INFO_KEYS = ("version", "implementation", "architecture")


@dataclass(frozen=True)
class ProbeInfo:
    """What an interpreter said about itself."""

    version: str  # PEP 440: "3.12.1", "3.14.0a3"
    implementation: str
    architecture: str
    stdlib_error: str | None = None


class ProbeFailed(Exception):
    """The candidate did not answer: it hung, crashed, or printed something else."""


def probe(executable: str) -> ProbeInfo:
    """Run one interpreter with the probe script; THE seam tests replace to count real runs."""
    start, end = os.urandom(8).hex(), os.urandom(8).hex()
    # -E -s -S rather than -I: the same isolation, and Python 2.7 understands it.
    argv = [executable, "-E", "-s", "-S", "-", start, end]
    try:
        done = process.run(argv, timeout=PROBE_TIMEOUT, input_text=PROBE_SCRIPT)
    except OSError as exc:
        raise ProbeFailed(f"cannot run it: {exc.strerror or exc}") from None
    if done.timed_out:
        raise ProbeFailed(f"no answer within {PROBE_TIMEOUT:g} s")
    _, found, rest = done.stdout.partition(start)
    payload, found_end, _tail = rest.partition(end)
    if not done.ok or not found or not found_end:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProbeFailed(f"exit code {done.returncode}: {detail}")
    try:
        return _info_from(json.loads(payload))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ProbeFailed(f"unreadable answer: {exc}") from None


def probe_many(executables: Sequence[str], *, refresh: bool = False) -> dict[str, ProbeInfo]:
    """Probe info for each executable that answers, from the cache where its file is unchanged.

    Keys are the executables as given; those that fail are left out (and logged).
    """
    cache = _load_cache()
    entries: dict[str, dict[str, Any]] = cache["interpreters"]
    answers: dict[str, ProbeInfo] = {}
    todo: dict[str, tuple[str, dict[str, Any]]] = {}  # real path -> (executable, file stamp)
    reals: dict[str, str] = {}
    for exe in executables:
        real, stamp = _stamp(exe)
        reals[exe] = real
        if stamp is None:
            debug("skipping %s: cannot stat it", exe)
            continue
        entry = None if refresh else _fresh_entry(entries.get(real), stamp)
        if entry is None:
            todo.setdefault(real, (exe, stamp))
        elif "failed" in entry:
            debug("skipping %s (cached): %s", exe, entry["failed"])
        else:
            answers[exe] = _info_from(entry)
    if todo:
        results = _run_probes([exe for exe, _ in todo.values()])
        for real, (exe, stamp) in todo.items():
            outcome = results[exe]
            if isinstance(outcome, ProbeInfo):
                entries[real] = {**stamp, **_entry_from(outcome)}
            else:
                debug("skipping %s: %s", exe, outcome)
                entries[real] = {**stamp, "failed": outcome, "checked_at": time.time()}
        _save_cache(cache)
        # Other names of a file probed just now (two symlinks to one binary) share its answer.
        for exe in executables:
            if exe not in answers:
                entry = entries.get(reals[exe], {})
                if "version" in entry:
                    answers[exe] = _info_from(entry)
    return {exe: answers[exe] for exe in executables if exe in answers}


def implementation_name(raw: str) -> str:
    """`cpython` -> `CPython`, as people write it."""
    return _IMPLEMENTATIONS.get(raw.lower(), raw)


def pep440_version(version_info: Sequence[Any]) -> str:
    """`sys.version_info` as PEP 440 spells it: 3.12.1, 3.14.0a3, 3.13.0rc1."""
    major, minor, micro, level, serial = version_info[:5]
    text = f"{major}.{minor}.{micro}"
    return text + f"{_PRE_RELEASES[level]}{serial}" if level in _PRE_RELEASES else text


def _run_probes(executables: list[str]) -> dict[str, ProbeInfo | str]:
    def one(exe: str) -> ProbeInfo | str:
        try:
            return probe(exe)
        except ProbeFailed as exc:
            return str(exc)

    if len(executables) == 1:
        return {executables[0]: one(executables[0])}
    from concurrent.futures import ThreadPoolExecutor  # only a cold cache pays for this import

    with ThreadPoolExecutor(max_workers=min(_MAX_WORKERS, len(executables))) as pool:
        return dict(zip(executables, pool.map(one, executables), strict=True))


def _info_from(data: dict[str, Any]) -> ProbeInfo:
    version = data["version"]
    if isinstance(version, list):  # straight from the child: sys.version_info as a list
        version = pep440_version(version)
    return ProbeInfo(
        version=str(version),
        implementation=implementation_name(str(data["implementation"])),
        architecture=str(data["architecture"]),
        stdlib_error=data.get("stdlib_error"),
    )


def _entry_from(info: ProbeInfo) -> dict[str, Any]:
    return {
        "version": info.version,
        "implementation": info.implementation,
        "architecture": info.architecture,
        "stdlib_error": info.stdlib_error,
    }


def _stamp(exe: str) -> tuple[str, dict[str, Any] | None]:
    """The file's real path and what says it is unchanged: mtime and size."""
    real = os.path.realpath(exe)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, {"mtime_ns": st.st_mtime_ns, "size": st.st_size}


def _fresh_entry(entry: dict[str, Any] | None, stamp: dict[str, Any]) -> dict[str, Any] | None:
    if not entry or any(entry.get(k) != v for k, v in stamp.items()):
        return None
    if "failed" not in entry and not all(k in entry for k in _INFO_KEYS):
        return None  # a damaged entry: probe again
    if "failed" in entry and time.time() - float(entry.get("checked_at", 0)) > RETRY_FAILED_AFTER:
        return None
    return entry


def _cache_path() -> Path:
    return cache_dir() / "pythons.json"


def _load_cache() -> dict[str, Any]:
    empty: dict[str, Any] = {"version": _CACHE_VERSION, "probe": _SCRIPT_HASH, "interpreters": {}}
    try:
        with open(_cache_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as exc:
        debug("ignoring the interpreter cache %s: %s", _cache_path(), exc)
        return empty
    if (
        not isinstance(data, dict)
        or data.get("version") != _CACHE_VERSION
        or data.get("probe") != _SCRIPT_HASH
        or not isinstance(data.get("interpreters"), dict)
    ):
        return empty
    return data


def _save_cache(cache: dict[str, Any]) -> None:
    """Write the cache, dropping interpreters whose files are gone; a failure only costs speed."""
    entries = cache["interpreters"]
    cache["interpreters"] = {real: e for real, e in entries.items() if os.path.exists(real)}
    try:
        write_atomic(_cache_path(), json.dumps(cache, indent=1, sort_keys=True))
    except OSError as exc:
        debug("cannot write the interpreter cache %s: %s", _cache_path(), exc)
