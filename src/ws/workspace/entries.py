"""Edit ws.toml through tomlkit so that every comment, blank line and line ending survives.

tomlkit stores the comments above a `[[workspace.projects]]` header at the end of the body of
whatever comes before it. Adding or removing an entry therefore moves that trailing trivia along,
so a comment stays with the entry it describes and nothing else in the file changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ws.errors import ConfigError
from ws.files import write_atomic


def add_project_entry(config: Path, entry: dict[str, str]) -> None:
    """Append one `[[workspace.projects]]` table (atomically)."""
    import tomlkit

    doc, crlf = _parse(config)
    workspace = doc.get("workspace")
    if workspace is None:
        raise ConfigError(f"{config} has no [workspace] table; add one before adding projects.")
    projects = workspace.get("projects")
    if projects is None:
        aot = tomlkit.aot()
        aot.append(_table(entry))
        workspace.append("projects", aot)
    elif isinstance(projects, tomlkit.items.AoT):
        _append_table(projects, _table(entry))
    elif isinstance(projects, tomlkit.items.Array):
        inline = tomlkit.inline_table()
        inline.update(entry)
        projects.append(inline)
    else:
        raise ConfigError(f"{config}: [workspace] projects must be [[workspace.projects]] tables.")
    _write(config, doc.as_string(), crlf)


def remove_project_entry(config: Path, path: str) -> None:
    """Remove the entry whose `path` is `path` (atomically); everything else stays as it was."""
    import tomlkit

    doc, crlf = _parse(config)
    workspace = doc["workspace"]
    projects = workspace["projects"]
    index = next(i for i, item in enumerate(projects) if item.get("path") == path)
    if isinstance(projects, tomlkit.items.AoT):
        _remove_table(workspace.value.body, projects, index)
    else:
        del projects[index]
    _write(config, doc.as_string(), crlf)


def _remove_table(holder: list[tuple[Any, Any]], aot: Any, index: int) -> None:
    """Cut table `index` out of the AoT, moving comment trivia so each stays with what it describes.

    Works on the body lists only (what rendering reads): tomlkit's key index would go stale if we
    mixed list edits with its key-based methods.
    """
    tables = aot.body
    own_tail = _pop_trailing_trivia(tables[index].value.body)
    if index == 0:
        at = next(i for i, (_, item) in enumerate(holder) if item is aot)
        while at > 0 and holder[at - 1][0] is None and _is_comment(holder[at - 1][1]):
            del holder[at - 1]
            at -= 1
        if own_tail and at > 0 and _is_blank(holder[at - 1][1]) and _is_blank(own_tail[0][1]):
            own_tail = own_tail[1:]
        holder[at:at] = own_tail
    else:
        before = tables[index - 1].value.body
        while before and before[-1][0] is None and _is_comment(before[-1][1]):
            before.pop()
        if own_tail and before and _is_blank(before[-1][1]) and _is_blank(own_tail[0][1]):
            own_tail = own_tail[1:]
        before.extend(own_tail)
    del tables[index]
    if not tables:  # an empty AoT would render as `projects = []`
        holder[:] = [(key, item) for key, item in holder if item is not aot]


def _parse(config: Path) -> tuple[Any, bool]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    text = config.read_bytes().decode("utf-8")
    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigError(
            f"{config} is not valid TOML at line {exc.line}, column {exc.col}; fix it and run again."
        ) from None
    return doc, "\r\n" in text


def _write(config: Path, text: str, crlf: bool) -> None:
    if crlf:  # tomlkit writes new lines as "\n"; keep a CRLF file all CRLF
        text = re.sub(r"(?<!\r)\n", "\r\n", text)
    write_atomic(config, text)


def _table(entry: dict[str, str]) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key, value in entry.items():
        table.add(key, value)
    return table


def _append_table(aot: Any, table: Any) -> None:
    """Put the new table right after the last entry, before the trailing comments of the file."""
    import tomlkit

    last_body = aot.body[-1].value.body
    tail = _pop_trailing_trivia(last_body)
    last_body.append((None, tomlkit.items.Whitespace("\n")))
    if tail and not _is_blank(tail[0][1]):
        tail.insert(0, (None, tomlkit.items.Whitespace("\n")))
    aot.append(table)
    table.value.body.extend(tail if tail else [])


def _pop_trailing_trivia(body: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Remove and return the comments and blank lines at the end of a table body."""
    tail: list[tuple[Any, Any]] = []
    while body and body[-1][0] is None and _is_trivia(body[-1][1]):
        tail.insert(0, body.pop())
    return tail


def _is_trivia(item: Any) -> bool:
    return _is_comment(item) or _is_blank(item)


def _is_comment(item: Any) -> bool:
    from tomlkit.items import Comment

    return isinstance(item, Comment)


def _is_blank(item: Any) -> bool:
    from tomlkit.items import Whitespace

    return isinstance(item, Whitespace)
