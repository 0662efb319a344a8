"""The `ws` command: global options, command registration, and the one place errors become exits.

Command modules are imported here (they are thin), but each command imports the core modules it
needs inside its body, so `ws --version` pays only for Typer.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from ws import __version__
from ws.cli import (
    _common,
    defs_cmd,
    dev_cmd,
    export_cmd,
    projects_cmd,
    python_cmd,
    sync_cmd,
    ui_cmd,
)
from ws.errors import WsError, error_message

app = typer.Typer(
    name="ws",
    help="Manage a workspace of Python projects: one virtualenv each, one view of their definitions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's own help: it rewraps each paragraph to the terminal (Rich's kept the docstrings'
    # line breaks mid-sentence and read `[tool.ws]` as markup).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
list_app = typer.Typer(
    help="List the workspace's projects or their definitions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
python_app = typer.Typer(
    help="Find the Python interpreters installed on this machine.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class _Color(str, enum.Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"ws {__version__}\n")
        raise typer.Exit()


@app.callback()
def _global_options(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="WS_WORKSPACE",
            help="The workspace folder (the one holding ws.toml). Default: found by walking up.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Say what ws runs; show tracebacks on errors.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print results only: no progress while ws works."),
    ] = False,
    no_progress: Annotated[
        bool,
        typer.Option(
            "--no-progress", help="Show no progress on stderr (results and errors still print)."
        ),
    ] = False,
    color: Annotated[
        _Color,
        typer.Option(
            "--color",
            help="When to use colours: auto (on a terminal, unless NO_COLOR is set), always, "
            "never.",
        ),
    ] = _Color.auto,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print ws's version and exit."
        ),
    ] = False,
) -> None:
    _common.options.workspace = workspace
    _common.options.verbose = verbose
    _common.options.quiet = quiet
    _common.options.no_progress = no_progress
    _common.options.color = color.value
    if verbose:
        import logging  # only here: --version and quiet commands need not pay for it

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("ws").addHandler(handler)
        logging.getLogger("ws").setLevel(logging.DEBUG)
        _common.options.log_handler = handler


# Under each command's help: the options `ws --help` explains, which go after it too.
_GLOBALS = (
    "Global options, before or after the command (see ws --help): -w/--workspace DIR, "
    "-v/--verbose, -q/--quiet, --no-progress, --color auto|always|never."
)
_RUN_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}

app.command("init", epilog=_GLOBALS)(projects_cmd.init)
app.command("add", epilog=_GLOBALS)(projects_cmd.add)
app.command("remove", epilog=_GLOBALS)(projects_cmd.remove)
list_app.command("projects", epilog=_GLOBALS)(projects_cmd.list_projects)
app.command("sync", epilog=_GLOBALS)(sync_cmd.sync)
app.command("run", context_settings=_RUN_SETTINGS, epilog=_GLOBALS)(sync_cmd.run)
list_app.command("defs", epilog=_GLOBALS)(defs_cmd.list_defs)
app.command("check", epilog=_GLOBALS)(defs_cmd.check)
app.command("dev", epilog=_GLOBALS)(dev_cmd.dev)
app.command("export", epilog=_GLOBALS)(export_cmd.export)
app.command("ui", epilog=_GLOBALS)(ui_cmd.ui)
python_app.command("list", epilog=_GLOBALS)(python_cmd.list_pythons)
python_app.command("find", epilog=_GLOBALS)(python_cmd.find_python)
app.add_typer(list_app, name="list")
app.add_typer(python_app, name="python")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code instead of exiting (tests call this in-process)."""
    from ws.cli._argv import hoist_global_options

    # Built once (~40 ms), read by the hoisting, then run: called directly, not through
    # `app()`, which would build it again; what `app()` adds (Typer's traceback hook) is for
    # errors, which the except clauses below handle.
    command = typer.main.get_command(app)
    arguments = hoist_global_options(list(sys.argv[1:] if argv is None else argv), command)
    _common.options.argv = arguments
    try:
        # Standalone mode lets Typer render usage errors itself; it ends every run in SystemExit.
        command(args=arguments, prog_name="ws")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except Exception as exc:  # the one place any error becomes a line and an exit code
        if _common.options.verbose:
            import traceback

            traceback.print_exc()
        _common.print_error(error_message(exc, "a rerun with --verbose"))
        return exc.exit_code if isinstance(exc, WsError) else 1
    finally:
        _end_verbose_logging()
    return 0


def _end_verbose_logging() -> None:
    """Detach --verbose's handler, so a later in-process run does not log to a stale stream."""
    handler = _common.options.log_handler
    if handler is not None:
        import logging

        logging.getLogger("ws").removeHandler(handler)
        logging.getLogger("ws").setLevel(logging.NOTSET)
        _common.options.log_handler = None


def main() -> None:
    _common.options.own_process = True
    sys.exit(run())
