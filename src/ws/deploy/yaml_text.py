"""YAML text for the files `ws export` writes: block style, keys in the order given, two-space
indents, strings quoted only where YAML would read them as something else.

Written here rather than through PyYAML's dumper so that the bytes depend on ws alone (not on
the PyYAML release installed) and read like the files Dagster's own examples show. Values are
dicts, lists, strings, ints and bools; a double-quoted string is JSON's, which YAML reads as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

Value = str | int | bool | None | Mapping[str, "Value"] | Sequence["Value"]

# A plain scalar that YAML reads back as this same string: no indicator characters, not a
# number, and none of the words YAML 1.1 (PyYAML, docker-compose) takes for booleans or null.
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def dump_yaml(document: Mapping[str, Value]) -> str:
    """The document as block YAML, ending in a newline."""
    return "".join(line + "\n" for line in _mapping(document, 0))


def scalar(value: str | int | bool | None) -> str:
    """One scalar as YAML reads it back: `true`, `4000`, `marketing`, `"3000:3000"`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _PLAIN.match(value) and value.lower() not in _SPECIAL:
        return value
    return json.dumps(value)


def _mapping(table: Mapping[str, Value], indent: int) -> list[str]:
    lines: list[str] = []
    for key, value in table.items():
        lines += _entry(" " * indent + f"{scalar(key)}:", " ", value, indent + 2)
    return lines


def _sequence(items: Sequence[Value], indent: int) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines += _entry(" " * indent + "-", " ", item, indent + 2, inline=True)
    return lines


def _entry(head: str, gap: str, value: Value, indent: int, *, inline: bool = False) -> list[str]:
    """`head` followed by the value: on its line (a scalar, `{}`, `[]`), or below it; a list
    item's first key or item stays on the dash's line (`- name: marketing`)."""
    if value is None or isinstance(value, (str, int, bool)):
        return [f"{head}{gap}{scalar(value)}"]
    if isinstance(value, Mapping):
        inner = _mapping(value, indent)
        empty = "{}"
    else:
        inner = _sequence(value, indent)
        empty = "[]"
    if not inner:
        return [f"{head}{gap}{empty}"]
    if inline:
        return [f"{head}{gap}{inner[0].lstrip()}", *inner[1:]]
    return [head, *inner]
