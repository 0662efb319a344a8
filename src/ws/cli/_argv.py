"""Global options after the command: `ws sync -q` as `ws -q sync`, as uv takes its own.

Click reads a group's options only before the command's name. Before Click sees the arguments,
the global options written after the command (and a group's subcommand: `ws list defs -q`) move
in front of it, in their order. Nothing moves from after `--`, nor, for `ws run`, from after its
first argument: those words are the command's to run (`ws run app -- pytest -q`); nor does the
value of the command's own option (`ws init --python -v`: `-v` is the Python asked for, and
Click then says what is wrong with it). Which options exist, and which take a value, is read
from the Click command itself.
"""

from __future__ import annotations

from typing import Any


def hoist_global_options(argv: list[str], group: Any) -> list[str]:
    """`argv` with each global option after the command moved before it; `group` is the CLI's
    Click group (Typer vendors its own Click, so groups and options are read by their
    attributes)."""
    flags, valued = _options(group.params)
    at = _command_index(argv, valued)
    if at is None:
        return argv
    command = group.commands.get(argv[at])
    start = at + 1
    if hasattr(command, "commands") and start < len(argv):  # `list defs`, `python find`
        command = command.commands.get(argv[start])
        start += 1
    if command is None:
        return argv  # an unknown command: Click says so
    own_flags, own_valued = _options(command.params)
    moved: list[str] = []
    rest: list[str] = []
    tokens = iter(argv[start:])
    for token in tokens:
        if token == "--" or (command.name == "run" and not token.startswith("-")):
            rest += [token, *tokens]
            break
        name = token.split("=", 1)[0]
        if token in own_valued:  # the command's own option: its value stays with it
            rest.append(token)
            rest += [value for value in [next(tokens, None)] if value is not None]
        elif token in own_flags or name in own_valued:
            rest.append(token)
        elif token in valued:
            value = next(tokens, None)
            if value is None:  # no value: left where it is, for Click to say so
                rest.append(token)
            else:
                moved += [token, value]
        elif token in flags or name in valued or _joined(token, flags, valued):
            moved.append(token)  # also `--color=never`, `-vq`, `-wDIR`
        else:
            rest.append(token)
    return [*argv[:at], *moved, *argv[at:start], *rest]


def _joined(token: str, flags: set[str], valued: set[str]) -> bool:
    """Whether `token` is short options written together, as Click reads them: flags (`-vq`),
    maybe ending in one that takes the rest as its value (`-vwDIR`)."""
    if not token.startswith("-") or token.startswith("--") or len(token) < 3:
        return False
    for index, letter in enumerate(token[1:], start=1):
        if f"-{letter}" in valued:
            return index < len(token) - 1  # its value is the rest of the word
        if f"-{letter}" not in flags:
            return False
    return True


def _options(params: list[Any]) -> tuple[set[str], set[str]]:
    """The option words of `params`: those that stand alone, and those that take a value."""
    flags: set[str] = set()
    valued: set[str] = set()
    for param in params:
        if param.param_type_name == "option":
            words = {*param.opts, *param.secondary_opts}
            (flags if param.is_flag or param.count else valued).update(words)
    return flags, valued


def _command_index(argv: list[str], valued: set[str]) -> int | None:
    """Where the command's name is: the first word that is neither a global option nor a value."""
    tokens = iter(enumerate(argv))
    for index, token in tokens:
        if token in valued:
            next(tokens, None)
        elif token == "--":
            return None
        elif not token.startswith("-"):
            return index
    return None
