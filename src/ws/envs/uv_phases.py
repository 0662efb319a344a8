"""What uv is doing, read from its `-v` lines on stderr: the phase a sync's progress shows.

uv draws its progress bars only on a terminal; on a pipe (ws reads it through one) it still
writes its summary lines (`Resolved 37 packages in 12ms`, `Prepared 12 packages`, `Installed 37
packages`) and, with `-v`, DEBUG lines saying what it builds or downloads. This turns one such
line into a short phase, or None for the many lines that say nothing a user waits on.
"""

from __future__ import annotations

import re

# DEBUG lines worth showing: what uv waits on (a build, a download, a build backend's metadata).
_DEBUG_PHASES = (
    (re.compile(r"^Preparing metadata for: (?P<what>.+)$"), "preparing metadata for {what}"),
    (re.compile(r"^Building (?P<what>.+)$"), "building {what}"),
    (re.compile(r"^Downloading (?P<what>.+)$"), "downloading {what}"),
    (re.compile(r"^Installing build requirements: (?P<what>.+)$"), "installing build requirements"),
)
_SUMMARY = re.compile(r"^(Resolved|Prepared|Installed|Uninstalled|Audited|Built|Downloaded)\b")
_LONGEST = 60  # a phase is one short line of a live row, never a list of forty packages


def uv_phase(line: str) -> str | None:
    """The phase a line of `uv -v` stderr reports, or None."""
    text = line.strip()
    if text.startswith("DEBUG "):
        body = text[len("DEBUG ") :]
        for pattern, phase in _DEBUG_PHASES:
            found = pattern.match(body)
            if found is not None:
                return _short(phase.format(what=found.group("what")))
        return None
    if _SUMMARY.match(text):
        return _short(text)
    return None


def without_debug(text: str) -> str:
    """uv's stderr without its `-v` lines: what an error message may quote."""
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(("DEBUG ", "TRACE ")))


def _short(text: str) -> str:
    return text if len(text) <= _LONGEST else text[: _LONGEST - 3].rstrip() + "..."
