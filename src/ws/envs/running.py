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


def find_command(venv: Path, name: str, cwd: Path) -> tuple[str, str | None]:
    """Where the activated env's PATH finds `name` (a path with a `/`: from `cwd`, the folder
    it runs in), and a warning when that is a Python script from outside the env: it runs on
    its own interpreter, without the project's packages (a `pytest` the env lacks, found on
    PATH, then cannot import the project), as `uv run` would run it too, silently."""
    lookup = str(cwd / name) if os.sep in name else name
    executable = shutil.which(lookup, path=activated_environ(venv)["PATH"])
    if executable is None:
        raise ProjectFailed(
            f"command {name!r} is not in {venv / BIN} nor on PATH; check its spelling, "
            "or add the package that provides it to the project's dependencies."
        )
    outside = os.sep not in name and Path(executable).parent != venv / BIN
    if outside and _is_python_script(executable):
        return executable, (
            f"{name} is not in the env {venv}: running {executable} from PATH, on its own "
            f"Python, without the project's packages; add {name} to the project's "
            "dependencies (or its dev group) and run `ws sync`."
        )
    return executable, None


def _is_python_script(path: str) -> bool:
    """Whether the file starts with a `#!` line naming a Python interpreter (a console script),
    or is a pyenv shim (pyenv makes them for what its Pythons install, and each runs there)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    if Path(path).parent == pyenv_root / "shims":
        return True
    try:
        with open(path, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def run_in_environment(
    venv: Path, command: Sequence[str], *, cwd: Path | None = None, replace: bool = False
) -> int:
    """Run a command (its executable found by `find_command`) with the env active, on the
    terminal, in `cwd`; return its exit code.

    With `replace`, the command takes this process's place where the system can (exec) and
    this returns only where it cannot.
    """
    env = activated_environ(venv)
    if replace:
        process.become(command, env=env, cwd=cwd)
    return process.run_foreground(command, env=env, cwd=cwd)
