"""`ws run`: a command with a project's env active, once the env is known to be ready."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ws import process
from ws.envs.environment import BIN, Environment, env_root, interpreter_for, is_built
from ws.envs.state import sync_warning
from ws.errors import ProjectFailed

if TYPE_CHECKING:
    from ws.pythons.requests import Resolver
    from ws.workspace.model import Project


def require_ready(project: Project, resolver: Resolver) -> tuple[Path, str | None]:
    """The env's folder and a warning to show (its last sync failed, before installing
    anything: it is used as last built), or a ProjectFailed saying why it cannot be used."""
    if project.problem_message is not None:
        raise ProjectFailed(f"{project.name}: {project.problem_message}")
    plan = Environment(project, interpreter_for(project, resolver)).plan()
    if plan.action != "none":
        warning = sync_warning(project)
        if warning is not None and is_built(project):
            return env_root(project), warning
        why = "not built yet" if plan.reason == "new" else plan.reason
        raise ProjectFailed(
            f"the environment of {project.name} ({project.venv}) is not ready: {why}; "
            f"run `ws sync {project.name}` first, or `ws run --sync {project.name} -- ...`."
        )
    return env_root(project), None


def activated_environ(venv: Path) -> dict[str, str]:
    """os.environ as `source <venv>/bin/activate` would leave it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "__PYVENV_LAUNCHER__")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / BIN), env.get("PATH", "")])
    return env


def run_in_environment(
    venv: Path, command: Sequence[str], *, cwd: Path | None = None, replace: bool = False
) -> int:
    """Run a command with the env active, on the terminal, in `cwd`; return its exit code.

    With `replace`, the command takes this process's place where the system can (exec) and
    this returns only where it cannot.
    """
    env = activated_environ(venv)
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        raise ProjectFailed(
            f"command {command[0]!r} is not in {venv / BIN} nor on PATH; check its spelling, "
            "or add the package that provides it to the project's dependencies."
        )
    if replace:
        process.become([executable, *command[1:]], env=env, cwd=cwd)
    return process.run_foreground([executable, *command[1:]], env=env, cwd=cwd)
