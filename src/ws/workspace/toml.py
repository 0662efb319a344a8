"""Read TOML files as plain data, and take typed values out of them with errors naming the file.

ws.toml, pyproject.toml and dg.toml are all read through these, so a bad value gets the same
words whichever file holds it. Reading uses the standard library's parser where there is one (it
is several times faster than tomlkit, and no-op commands read every project's pyproject.toml);
edits go through `ws.workspace.entries`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ws.errors import ConfigError


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a ConfigError naming the file, line and column."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}.") from None
    text = raw.decode("utf-8", errors="replace")
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid TOML: {exc}; fix that line and run again."
            ) from None
    else:
        return _read_toml_with_tomlkit(text, path)


def _read_toml_with_tomlkit(text: str, path: Path) -> dict[str, Any]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        return dict(tomlkit.parse(text).unwrap())
    except ParseError as exc:
        raise ConfigError(
            f"{path} is not valid TOML at line {exc.line}, column {exc.col}; fix it and run again."
        ) from None


def reject_unknown_keys(table: dict[str, Any], allowed: set[str], path: Path, where: str) -> None:
    """Raise a ConfigError naming the first key of `table` that is not `allowed` (a typo, mostly)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} in {where}; allowed there: "
            f"{', '.join(sorted(allowed))}."
        )


def optional_str(table: dict[str, Any], key: str, path: Path, where: str) -> str | None:
    """`table[key]` if it is a string, None if it is absent; anything else is a ConfigError."""
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"{path}: {key} in {where} must be a string, not {value!r}.")
