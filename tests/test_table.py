"""The listings' renderer: where text folds, when a cell moves under its row, and the width."""

from __future__ import annotations

import io
import re

import pytest

from ws.cli._table import Column, Styles, fold, line_width, table, table_width, visible_width

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> Styles:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return Styles()  # capture is not a terminal: no escapes


@pytest.fixture
def styled(monkeypatch: pytest.MonkeyPatch) -> Styles:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return Styles()


# --- the width ----------------------------------------------------------------------------------


def test_columns_sets_the_width_and_piped_without_it_nothing_folds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert line_width() == 80
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr("sys.stdout", io.StringIO())  # piped: not a terminal
    assert line_width() is None
    monkeypatch.setenv("COLUMNS", "not a number")
    assert line_width() is None


# --- folding free text --------------------------------------------------------------------------


def test_text_folds_at_spaces_and_keeps_names_and_versions_whole() -> None:
    text = "no interpreter matches '>=3.10,<3.13' for project marketing-attribution, owned by x"
    lines = fold(text, 30)
    assert all(len(line) <= 30 for line in lines)
    assert lines[0] == "no interpreter matches"
    assert any("'>=3.10,<3.13'" in line for line in lines)
    assert any("marketing-attribution," in line for line in lines)
    assert " ".join(" ".join(lines).split()) == text
    assert all(line.startswith("  ") for line in lines[1:])  # continuation lines hang


def test_a_path_folds_after_a_slash_only_when_it_cannot_fit_whole() -> None:
    assert fold("folder projects/gone is missing", 20) == ["folder projects/gone", "  is missing"]
    root = "/tmp/pytest-of-someone/pytest-123/test_a_long_name0/acme"
    assert fold(f"acme-data ({root})", 40) == [
        "acme-data (/tmp/pytest-of-someone/",
        "  pytest-123/test_a_long_name0/acme)",
    ]


def test_only_a_word_wider_than_the_whole_line_breaks() -> None:
    word = "x" * 25
    assert fold(f"a {word} b", 20) == ["a", "x" * 20, "  xxxxx b"]
    # wider than a continuation line (the hang), but not than the line: whole, at the margin
    assert fold("a " + "y" * 19 + " b", 20) == ["a", "y" * 19, "  b"]


def test_nothing_folds_without_a_width() -> None:
    text = "a line far wider than any terminal " * 10
    assert fold(text, None) == [text]


def test_styles_are_closed_and_reopened_at_a_fold_and_not_counted(styled: Styles) -> None:
    text = styled("bold words that fold", "bold") + " " + styled("and dim ones", "dim")
    assert visible_width(text) == len("bold words that fold and dim ones")
    lines = fold(text, 12)
    assert [ANSI.sub("", line) for line in lines] == [
        "bold words",
        "  that fold",
        "  and dim",
        "  ones",
    ]
    assert all(visible_width(line) <= 12 for line in lines)
    assert lines[1] == "  \x1b[1mthat fold\x1b[0m"
    assert lines[3] == "  \x1b[2mones\x1b[0m"


# --- tables -------------------------------------------------------------------------------------

COLUMNS = [
    Column("project"),
    Column("path", breaks="/", moves=True, label="path: "),
    Column("owner", moves=True, label="owner: "),
    Column("python"),
]
ROWS = [
    ["finance", "projects/finance", "team-fin", "3.12"],
    ["marketing-attribution", "projects/marketing-attribution", "team-marketing", ">=3.10,<3.13"],
]


def test_piped_rows_are_never_folded(plain: Styles) -> None:
    lines = table(COLUMNS, ROWS, None, plain)
    assert lines == [
        "project                path                            owner           python",
        "finance                projects/finance                team-fin        3.12",
        "marketing-attribution  projects/marketing-attribution  team-marketing  >=3.10,<3.13",
    ]
    assert table_width(COLUMNS, ROWS) == len(lines[2])


def test_columns_give_way_from_the_right_folding_before_moving(plain: Styles) -> None:
    # 80: the owner column cannot fold; its wider cell moves under its row, the other stays
    assert table(COLUMNS, ROWS, 80, plain) == [
        "project                path                            owner     python",
        "finance                projects/finance                team-fin  3.12",
        "marketing-attribution  projects/marketing-attribution            >=3.10,<3.13",
        "                       owner: team-marketing",
    ]
    # 60: no owner fits beside the others: the column goes; then the path folds after a slash
    assert table(COLUMNS, ROWS, 60, plain) == [
        "project                path                     python",
        "finance                projects/finance         3.12",
        "                       owner: team-fin",
        "marketing-attribution  projects/                >=3.10,<3.13",
        "                       marketing-attribution",
        "                       owner: team-marketing",
    ]


def test_a_cell_that_cannot_fit_folded_moves_under_its_row(plain: Styles) -> None:
    # 55: folded, the long path still leaves no room: it moves, whole; the short one stays
    assert table(COLUMNS, ROWS, 55, plain)[1:4] == [
        "finance                projects/finance  3.12",
        "                       owner: team-fin",
        "marketing-attribution                    >=3.10,<3.13",
    ]
    # 50: neither fits whole: the column goes, each path under its row (folding there if need be)
    assert table(COLUMNS, ROWS, 50, plain) == [
        "project                python",
        "finance                3.12",
        "                       path: projects/finance",
        "                       owner: team-fin",
        "marketing-attribution  >=3.10,<3.13",
        "                       path: projects/",
        "                             marketing-attribution",
        "                       owner: team-marketing",
    ]


def test_columns_that_stay_whole_and_are_too_wide_leave_rows_folded_as_text(
    plain: Styles,
) -> None:
    lines = table(COLUMNS, ROWS, 25, plain)
    assert all(len(line) <= 25 for line in lines)
    words = " ".join(lines).split()
    assert "marketing-attribution" in words and ">=3.10,<3.13" in words


def test_width_math_ignores_styles(styled: Styles) -> None:
    rows = [[styled(cell, "bold red") for cell in row] for row in ROWS]
    lines = table(COLUMNS, rows, 70, styled)
    unstyled = Styles()
    unstyled.enabled = False
    assert [ANSI.sub("", line) for line in lines] == table(COLUMNS, ROWS, 70, unstyled)
    assert lines[0].startswith("\x1b[1mproject\x1b[0m  ")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_styles_follow_the_terminal_force_color_no_color_and_term(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert Styles()("x", "bold") == "x"  # captured stdout is not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert Styles()("x", "bold red") == "\x1b[1;31mx\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert Styles()("x", "bold red") == "\x1b[1mx\x1b[0m"  # colours go, bold stays
    assert Styles()("x", "red") == "x"
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("sys.stdout", Terminal())
    assert Styles()("x", "bold") == "x"
    monkeypatch.setenv("TERM", "xterm")
    assert Styles()("x", "bold") == "\x1b[1mx\x1b[0m"


def test_a_table_without_rows_is_only_its_header_or_nothing() -> None:
    """A project that defines nothing yet lists no rows: no error, whatever the width."""
    columns = [Column(), Column(breaks=" ")]
    assert table(columns, [], 80, Styles()) in ([], [""])
    assert table(columns, [], None, Styles()) in ([], [""])
