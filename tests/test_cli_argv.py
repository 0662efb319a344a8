"""Global options after the command move before it; a command's own words never move."""

from __future__ import annotations

import pytest

from ws.cli._argv import hoist_global_options


@pytest.mark.parametrize(
    ("given", "read_as"),
    [
        ("sync -q", "-q sync"),
        ("sync -j 2 --color never billing", "--color never sync -j 2 billing"),
        ("list defs --json -v", "-v list defs --json"),
        ("python list --quiet", "--quiet python list"),
        ("-w a sync -w b", "-w a -w b sync"),
        ("check --color=never", "--color=never check"),
        ("sync -- -q", "sync -- -q"),  # after `--`: not ws's
        ("run app -- pytest -q", "run app -- pytest -q"),
        ("run -v app pytest -q", "-v run app pytest -q"),  # NAME starts the command's words
        ("run --sync -q -- python -V", "-q run --sync -- python -V"),
        ("-q", "-q"),
        ("", ""),
    ],
)
def test_global_options_move_before_the_command(given: str, read_as: str) -> None:
    assert hoist_global_options(given.split()) == read_as.split()
