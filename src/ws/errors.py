"""The one exception family of ws; one place (the CLI) turns it into `error: ...` and an exit code."""

from __future__ import annotations


class WsError(Exception):
    """An expected failure: its message is one sentence naming the file, the project and the fix.

    `exit_code` follows the CLI contract: 2 for usage or configuration errors, 1 when a project failed.
    """

    exit_code = 2


class ConfigError(WsError):
    """ws.toml, a project's pyproject.toml, or a command-line value is wrong."""


class WorkspaceNotFound(ConfigError):
    """No ws.toml above the current folder (and none given)."""


class ProjectFailed(WsError):
    """Something went wrong for one project; the others were still done."""

    exit_code = 1


class NoInterpreterFound(ProjectFailed):
    """No interpreter on this machine satisfies a project's (or a command's) Python request."""


class BuildFailed(ProjectFailed):
    """A project's env could not be built; the message holds the installer's relevant lines.

    `env_intact`: the failure came before anything was installed, so an env that worked still
    does (it is stale, not failed).
    """

    def __init__(self, message: str, *, env_intact: bool = False) -> None:
        super().__init__(message)
        self.env_intact = env_intact


def error_message(exc: Exception, rerun: str) -> str:
    """An error's words for an `error:` line. WsError and OSError say what failed and where (the
    OS names the file); anything else is a bug in ws and says so, and how to `rerun` to see where
    (`--verbose` shows the traceback)."""
    if isinstance(exc, (WsError, OSError)):
        return str(exc)
    bug = f"unexpected {type(exc).__name__}: {exc}"
    return f"{bug}; this is a bug in ws: {rerun} shows where, please report it"
