"""The one renderer for listings: `ws list projects`, `ws list defs`, `ws check`, `ws python list`.

Lines fit the terminal, or `COLUMNS` wherever it is set; piped without `COLUMNS`, nothing folds
(one row a line, as `git` and `uv pip list` print, so grep and awk work). Text folds only between
words: at a space, else after a `/`. A name, an owner or a version (`>=3.10,<3.13`) stays whole;
only a word wider than the whole line is ever broken. Widths count what shows, not ANSI escapes.

Stdlib only, and imported by the commands when they print: `ws list defs` from cache and
`ws python list` are measured against `ws --version`. Rich stays for live displays.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import NamedTuple, TextIO

from ws.cli._common import options

_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_RESET = "\x1b[0m"
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
_COLOURS = {"red", "green", "yellow", "cyan"}


def line_width(out: TextIO | None = None) -> int | None:
    """The width lines must fit: `COLUMNS`, else the terminal's when `out` (stdout) is one (the
    size of the first of stdout, stdin, stderr that tells it); None when piped: nothing folds."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not (out or sys.stdout).isatty():
        return None
    for fd in (1, 0, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except OSError:  # not a terminal
            continue
    return 80


def capable_terminal(out: TextIO) -> bool:
    """Whether `out` is a terminal that can take escapes: not piped, TERM not dumb (Rich's
    rule; the listings' styles and the sync's live display both follow it)."""
    return os.environ.get("TERM", "").lower() not in ("dumb", "unknown") and out.isatty()


class Styles:
    """ANSI styles, decided as Rich decides, after the global `--color`: `always` or FORCE_COLOR,
    else `out` (stdout) a terminal that is not dumb; `never` drops all styles, NO_COLOR drops
    colours, not bold or dim."""

    def __init__(self, out: TextIO | None = None) -> None:
        forced = options.color == "always" or bool(os.environ.get("FORCE_COLOR"))
        on_terminal = capable_terminal(out or sys.stdout)
        self.enabled = options.color != "never" and (forced or on_terminal)
        self.colours = not os.environ.get("NO_COLOR")

    def __call__(self, text: str, style: str) -> str:
        """`text` in `style` ("bold red", "dim"); as it is when styles are off or it is empty."""
        if not self.enabled or not text:
            return text
        words = [w for w in style.split() if self.colours or w not in _COLOURS]
        return f"\x1b[{';'.join(_SGR[w] for w in words)}m{text}{_RESET}" if words else text


def visible_width(text: str) -> int:
    """The columns `text` takes on screen: its length without ANSI escapes."""
    return len(_ESCAPE.sub("", text)) if "\x1b" in text else len(text)


def fold(text: str, width: int | None, *, hang: int = 2, breaks: str = " /") -> list[str]:
    """`text` in lines of at most `width` columns (None: one line), folded at the last space
    that fits, else after the last other character of `breaks` that fits; broken inside a word
    only where the word is wider than the line. Lines after the first start `hang` columns
    further in than `text` does. A style open at a fold is closed and reopened around it."""
    if width is None or visible_width(text) <= width:
        return [text]
    plain = _ESCAPE.sub("", text) if "\x1b" in text else text
    lead = len(plain) - len(plain.lstrip(" "))
    indent = lead + hang if lead + hang <= width // 2 else 0
    spans = _fold_spans(plain, width, indent, breaks)
    lines = [plain[a:b] for a, b, _ in spans] if plain is text else _slice(text, spans)
    return [" " * spaces + line for line, (_, _, spaces) in zip(lines, spans, strict=True)]


def _fold_spans(plain: str, width: int, indent: int, breaks: str) -> list[tuple[int, int, int]]:
    """Where `fold` cuts `plain`: (start, end, indent) of each line, spaces at folds left out.

    A word too wide for a line `indent` in, but not for the whole line, starts at the margin.
    """
    spans: list[tuple[int, int, int]] = []
    start, here = 0, 0  # the first line keeps its own leading spaces
    while len(plain) - start > width - here:
        cut = _cut(plain, start, width - here, width - indent, breaks)
        if cut is None and here:
            here = 0
            if len(plain) - start <= width:
                break
            cut = _cut(plain, start, width, width - indent, breaks)
        if cut is None:  # a word wider than the line: the only thing ever broken
            end = max(start + width - here, len(plain) - len(plain[start:].lstrip(" ")) + 1)
            cut = (end, end)
        spans.append((start, cut[0], here))
        start, here = len(plain) - len(plain[cut[1] :].lstrip(" ")), indent
    spans.append((start, len(plain), here))
    return spans


def _cut(plain: str, start: int, room: int, next_room: int, breaks: str) -> tuple[int, int] | None:
    """Where the line from `start` ends and the next begins: at the last space that fits,
    unless the word after it must fold anyway (wider than `next_room`); else after the last
    other break that fits. None when no break fits in `room`."""
    body = len(plain) - len(plain[start:].lstrip(" "))  # after the line's leading spaces
    limit = start + room
    space = plain.rfind(" ", body + 1, limit + 1) if " " in breaks else -1
    at_space = (len(plain[:space].rstrip(" ")), space + 1) if space != -1 else None
    next_word = plain[space + 1 :].split(" ", 1)[0]
    if at_space and len(next_word) <= next_room:
        return at_space
    first = max(body, space + 1)  # a break inside the word after the space, if any
    after = max((plain.rfind(c, first, limit) for c in breaks if c != " "), default=-1)
    return (after + 1, after + 1) if after >= first else at_space


def _slice(text: str, spans: list[tuple[int, int, int]]) -> list[str]:
    """The lines `spans` (over `text` without escapes) mark in `text`, each with the styles in
    force at its start reopened and closed at its end."""
    at: list[int] = []  # where each shown character of `text` is
    opened: list[tuple[int, str]] = []  # (where, the escapes in force after it)
    active, pos = "", 0
    for match in _ESCAPE.finditer(text):
        at += range(pos, match.start())
        active = "" if match.group() in (_RESET, "\x1b[m") else active + match.group()
        opened.append((match.start(), active))
        pos = match.end()
    at += range(pos, len(text))

    def in_force(index: int) -> str:
        return next((style for where, style in reversed(opened) if where < index), "")

    lines = []
    for start, end, _ in spans:
        first, last = at[start], at[end - 1] + 1
        suffix = _RESET if in_force(last) else ""
        lines.append(in_force(first) + text[first:last] + suffix)
    return lines


class Column(NamedTuple):  # not a dataclass: making one costs a millisecond at import
    """How a column of `table` gives way when the rows are too wide.

    `breaks`: where its cells may fold ("" never: names, owners, versions; " " between words;
    "/" in paths), to no fewer than `min_width` columns. `moves`: a cell that still cannot fit
    goes under its row, after `label`.
    """

    header: str = ""
    breaks: str = ""
    moves: bool = False
    label: str = ""
    min_width: int = 0


def table_width(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> int:
    """The width of `table`'s widest line with nothing folded or moved."""
    return _total(_natural(columns, rows), [True] * len(columns))


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int | None,
    style: Styles,
    *,
    under: int = 1,
) -> list[str]:
    """`rows` of cells (styled or not) in aligned columns two spaces apart, a bold header line
    above them unless no column has a header, every line at most `width` (None: unlimited).

    Rows too wide make the columns give way from the right, one at a time, until they fit: a
    column folds as far as its `breaks` allow; if that is not enough and it `moves`, its cells
    wider than the room left go under their row, where column `under` starts, and a column left
    with no cell goes. If the columns that stay whole are still too wide, rows fold as text.
    """
    moved: set[tuple[int, int]] = set()  # (row, column) of each cell put under its row
    widths = _natural(columns, rows)
    shown = [True] * len(columns)
    if width is not None:
        for c in reversed(range(len(columns))):
            if _total(widths, shown) <= width:
                break
            _give_way(c, columns, rows, width, widths, shown, moved)
        if _total(widths, shown) > width:
            return _as_text(columns, rows, width)
    kept = [c for c, is_shown in enumerate(shown) if is_shown]
    kept_widths = [widths[c] for c in kept]
    indent = sum(widths[c] + 2 for c in kept if c < under)
    if width is not None and width - indent < min(20, width):
        indent = 0  # too far in to leave room for what goes under the row
    room = None if width is None else width - indent
    lines: list[str] = []
    if any(columns[c].header for c in kept):
        lines += _join([[style(columns[c].header, "bold")] for c in kept], kept_widths)
    for r, row in enumerate(rows):
        cells = [_cell_lines(columns[c], row[c], widths[c], (r, c) in moved) for c in kept]
        lines += _join(cells, kept_widths)
        for c, column in enumerate(columns):
            if row[c] and ((r, c) in moved or not shown[c]):
                text, hang = column.label + row[c], len(column.label)
                folded = fold(text, room, hang=hang, breaks=" " + column.breaks)
                lines += [" " * indent + line for line in folded]
    return lines


def _cell_lines(column: Column, cell: str, width: int, moved: bool) -> list[str]:
    if moved:
        return [""]
    return fold(cell, width, hang=0, breaks=column.breaks) if column.breaks else [cell]


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width with nothing folded: its widest cell, or its header."""
    return [
        max([len(column.header), *(visible_width(row[c]) for row in rows)])  # rows may be none
        for c, column in enumerate(columns)
    ]


def _total(widths: Sequence[int], shown: Sequence[bool]) -> int:
    kept = [w for w, s in zip(widths, shown, strict=True) if s]
    return sum(kept) + 2 * (len(kept) - 1)


def _give_way(
    c: int,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    widths: list[int],
    shown: list[bool],
    moved: set[tuple[int, int]],
) -> None:
    """Make column `c` narrower as `table` says: fold it, then move what still cannot fit."""
    column = columns[c]
    header = len(column.header)
    if column.breaks:  # a word wider than the whole line breaks anyway: it sets no floor
        needs = (_need(column, row[c]) for row in rows)
        narrowest = max(header, *(need for need in needs if need <= width))
        widths[c] = max(narrowest, widths[c] - (_total(widths, shown) - width))
    if not column.moves or _total(widths, shown) <= width:
        return
    # Folded as far as it may, still too wide: what does not fit whole goes under its row.
    room = width - _total(widths, shown) + widths[c]  # what the other columns leave it
    for r, row in enumerate(rows):
        if room < header or visible_width(row[c]) > room:
            moved.add((r, c))
    staying = [visible_width(row[c]) for r, row in enumerate(rows) if (r, c) not in moved]
    if any(staying):
        widths[c] = max(header, *staying)
    else:
        shown[c] = False


def _need(column: Column, cell: str) -> int:
    """The narrowest column `cell` fits in: folded as far as the column allows, else whole."""
    whole = visible_width(cell)
    if not column.breaks or whole <= column.min_width:
        return whole
    return max(column.min_width, _longest_piece(cell, column.breaks))


def _longest_piece(cell: str, breaks: str) -> int:
    """The widest part of `cell` that `fold` cannot cut with these `breaks`."""
    plain = _ESCAPE.sub("", cell) if "\x1b" in cell else cell
    words = plain.split() if " " in breaks else [plain]
    for char in breaks.replace(" ", ""):
        words = [piece for word in words for piece in word.replace(char, char + "\n").split("\n")]
    return max(map(len, words), default=0)


def _join(cells: list[list[str]], widths: list[int]) -> list[str]:
    """One row's cells, each a list of lines, side by side; every line right-trimmed."""
    lines = []
    for i in range(max(map(len, cells), default=0)):
        parts = [cell[i] if i < len(cell) else "" for cell in cells]
        padded = [
            p + " " * (w - visible_width(p)) for p, w in zip(parts[:-1], widths, strict=False)
        ]
        lines.append("  ".join([*padded, parts[-1]]).rstrip(" "))
    return lines


def _as_text(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """The last resort, for a width narrower than the columns that stay whole: rows as text."""
    header = "  ".join(column.header for column in columns if column.header)
    lines = fold(header, width) if header else []
    for row in rows:
        lines += fold("  ".join(cell for cell in row if cell), width)
    return lines
