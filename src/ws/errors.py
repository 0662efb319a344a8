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
