"""Every command's --help reads well in 80 columns: paragraphs rewrapped, nothing cut or escaped."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from ws.cli.main import app


def _commands() -> list[tuple[str, ...]]:
    """Every command path of the app: ("sync",), ("list", "defs"), ..."""
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = [()]

    def walk(group: Any, prefix: tuple[str, ...]) -> None:  # Typer's own Click group
        for name, command in group.commands.items():
            found.append((*prefix, name))
            if hasattr(command, "commands"):
                walk(command, (*prefix, name))

    walk(root, ())
    return found


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "ws")
def test_help_fits_80_columns_and_reads_as_written(
    command: tuple[str, ...],
    ws,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = ws(*command, "--help")

    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), result.out
    assert "\\[" not in result.out  # no markup escapes shown
    text = " ".join(result.out.split())
    assert "[tool.ws]" in text or "tool.ws" not in text  # no table name eaten as markup
