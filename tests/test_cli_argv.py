"""Global options after the command move before it; a command's own words never move."""

from __future__ import annotations

import pytest
import typer

from ws.cli._argv import hoist_global_options
from ws.cli.main import app


def _hoist(line: str) -> list[str]:
    return hoist_global_options(line.split(), typer.main.get_command(app))


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
        ("run --sync -w x app -- python -V", "-w x run --sync app -- python -V"),
        ("init --python -v .", "init --python -v ."),  # the command's option keeps its value
        ("add app --owner -q", "add app --owner -q"),
        ("sync app -w", "sync app -w"),  # no value: left for Click to say so
        ("nosuch -q", "nosuch -q"),
        ("sync -vq", "-vq sync"),  # short options written together, as Click reads them
        ("sync -w/tmp/acme billing", "-w/tmp/acme sync billing"),
        ("sync -qj2", "sync -qj2"),  # -j is sync's own: the word stays whole, with it
        ("sync -vw", "sync -vw"),  # -w without its value: left for Click to say so
        ("-q", "-q"),
        ("", ""),
    ],
)
def test_global_options_move_before_the_command(given: str, read_as: str) -> None:
    assert _hoist(given) == read_as.split()
