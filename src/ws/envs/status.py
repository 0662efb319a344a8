"""What `ws list projects` says of each project: its Python request, interpreter and env state.

Cheap by design: interpreter discovery answers from its probe cache, and env state compares the
env's marker with file hashes; nothing is built or run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ws.workspace.model import Project


@dataclass(frozen=True)
class ProjectStatus:
    project: Project
    interpreter: str | None  # absolute path of the interpreter the request resolves to
    interpreter_version: str | None
    interpreter_error: str | None
    env: str  # ready | stale | missing | failed
    env_reason: str | None


def project_statuses(projects: Sequence[Project]) -> list[ProjectStatus]:
    from ws.envs.environment import interpreter_for
    from ws.envs.state import EnvState, environment_state
    from ws.errors import WsError
    from ws.pythons.discovery import Interpreter
    from ws.pythons.requests import Resolver

    resolver = Resolver()
    statuses = []
    for project in projects:
        found: Interpreter | None = None
        error = None
        try:
            found = interpreter_for(project, resolver)
        except WsError as exc:
            error = str(exc)
        if project.problem is not None:
            state = EnvState("missing")  # `problem` already says why
        else:
            state = environment_state(project, found)
        statuses.append(
            ProjectStatus(
                project,
                found.executable if found else None,
                found.version if found else None,
                error,
                state.state,
                state.reason,
            )
        )
    return statuses
