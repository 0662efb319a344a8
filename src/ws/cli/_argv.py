"""Global options after the command: `ws sync -q` as `ws -q sync`, as uv takes its own.

Click reads a group's options only before the command's name. Before Click sees the arguments,
the global options written after the command (and a group's subcommand: `ws list defs -q`) move
in front of it, in their order. Nothing moves from after `--`, nor, for `ws run`, from after its
first argument: those words are the command's to run (`ws run app -- pytest -q`).
"""

from __future__ import annotations

# The top-level callback's options (`cli/main.py`), with whether each takes a value.
_FLAGS = {"-v", "--verbose", "-q", "--quiet", "--no-progress"}
_VALUED = {"-w", "--workspace", "--color"}
_GROUPS = {"list", "python"}  # whose first word is a subcommand


def hoist_global_options(argv: list[str]) -> list[str]:
    """`argv` with each global option after the command moved before it."""
    at = _command_index(argv)
    if at is None:
        return argv
    start = at + 1
    if argv[at] in _GROUPS and start < len(argv) and not argv[start].startswith("-"):
        start += 1
    moved: list[str] = []
    rest: list[str] = []
    tokens = iter(argv[start:])
    for token in tokens:
        if token == "--" or (argv[at] == "run" and not token.startswith("-")):
            rest += [token, *tokens]
            break
        if token in _VALUED:
            value = next(tokens, None)
            moved += [token] if value is None else [token, value]
        elif token in _FLAGS or token.split("=", 1)[0] in _VALUED:  # `--color=never` too
            moved.append(token)
        else:
            rest.append(token)
    return [*argv[:at], *moved, *argv[at:start], *rest]


def _command_index(argv: list[str]) -> int | None:
    """Where the command's name is: the first word that is neither a global option nor a value."""
    tokens = iter(enumerate(argv))
    for index, token in tokens:
        if token in _VALUED:
            next(tokens, None)
        elif not token.startswith("-"):
            return index
        elif token == "--":
            return None
    return None
