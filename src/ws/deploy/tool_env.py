"""The tool env `ws ui` runs Dagster's webserver and daemon from: `<workspace>/.ws/ui-env`.

It holds `dagster` and `dagster-webserver` on the interpreter running ws, at one version: ws.toml's
`[workspace] dagster`, else the newest the projects' locks or envs hold (as `ws export` picks the
webserver's image, whose code is reused here), else the release line ws is tested against. Its
marker (`ws-ui-env.json`, versioned) names the requirement it was built for and the interpreter,
so a second `ws ui` builds nothing; it is written last, so an interrupted build is redone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ws import process
from ws.deploy.locations import Location, read_settings
from ws.envs.locks import env_lock
from ws.errors import BuildFailed, ProjectFailed
from ws.files import write_atomic
from ws.workspace.model import Workspace

# The release line ws is tested against: tests/samples/dagster-constraints.txt says the same
# (tests/test_ui.py keeps the two in step). Used when neither ws.toml nor a project names one.
TESTED_DAGSTER = ">=1.13,<1.14"
MARKER = "ws-ui-env.json"
_MARKER_VERSION = 1

Stage = Literal["waiting", "creating", "installing"]


@dataclass(frozen=True)
class ToolEnv:
    """The tool env: its folder, the specifier it holds dagster at, and why that one."""

    venv: Path
    requirement: str  # a specifier: `==1.13.3`, `==1.13.*`, `>=1.13,<1.14`
    source: str  # `[workspace] dagster`, `the projects' envs and locks`, `ws's tested line`

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def tool_env(workspace: Workspace, locations: Sequence[Location]) -> ToolEnv:
    """Where the tool env lives and which dagster it must hold (not built yet)."""
    venv = workspace.root / ".ws" / "ui-env"
    settings = read_settings(workspace, None, None)
    if settings.dagster is not None:
        from ws.deploy.export import dagster_pin  # ws export's reading of [workspace] dagster

        return ToolEnv(venv, dagster_pin(settings, []), "[workspace] dagster in ws.toml")
    newest = _projects_dagster(workspace, locations)
    if newest is not None:
        return ToolEnv(
            venv, _same_line(newest), "the newest dagster the projects' locks and envs hold"
        )
    return ToolEnv(venv, TESTED_DAGSTER, "the dagster release line ws is tested against")


def ensure_tool_env(
    env: ToolEnv, *, on_stage: Callable[[Stage], None] = lambda stage: None
) -> bool:
    """Build the tool env unless its marker says it holds `env.requirement` on this Python;
    True when it was built. Two `ws ui` at once wait for each other here."""
    if _current(env):
        return False
    with env_lock(env.venv, lambda: on_stage("waiting")):
        if _current(env):  # the other process built it while this one waited
            return False
        env.venv.joinpath(MARKER).unlink(missing_ok=True)
        on_stage("creating")
        _create(env.venv)
        on_stage("installing")
        _install(env)
        document = {"version": _MARKER_VERSION, **_wanted(env)}
        write_atomic(env.venv / MARKER, json.dumps(document, indent=2) + "\n")
    return True


def _projects_dagster(workspace: Workspace, locations: Sequence[Location]) -> str | None:
    """`==` the newest dagster the locations' locks or envs hold, as `ws export` reads them;
    None when none can be read (no lock, no built env)."""
    from ws.deploy.export import dagster_pin
    from ws.deploy.images import Image, image_for
    from ws.pythons.requests import Resolver

    resolver = Resolver()
    images: list[Image] = []
    for location in locations:
        try:
            images.append(image_for(location, workspace.root, resolver))
        except ProjectFailed:
            continue  # its env is not current, or it depends on ws-defs: it names no version
    return dagster_pin(read_settings(workspace, None, None), images) if images else None


def _same_line(pin: str) -> str:
    """`==1.13.29` as `>=1.13,<=1.13.29`: the projects' minor line, no newer than theirs.

    Each dagster-webserver release pins one dagster exactly and may lag behind it (on the
    registry, dagster-webserver 1.13.28 needs dagster 1.13.27, and no webserver needs 1.13.29),
    so the projects' exact version may have no webserver; within a minor line the webserver
    and the code servers' gRPC API agree.
    """
    version = pin.removeprefix("==")
    parts = version.split(".")
    if not pin.startswith("==") or len(parts) < 2 or "*" in version:
        return pin
    return f">={parts[0]}.{parts[1]},<={version}"


def _wanted(env: ToolEnv) -> dict[str, str]:
    return {"requirement": env.requirement, "python": sys.executable, "python_version": sys.version}


def _current(env: ToolEnv) -> bool:
    try:
        document = json.loads((env.venv / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(document, dict) or document.get("version") != _MARKER_VERSION:
        return False
    wanted = _wanted(env)
    return (
        all(document.get(key) == value for key, value in wanted.items())
        and (env.bin / "dagster").exists()
    )


def _create(venv: Path) -> None:
    import virtualenv  # only when the tool env is really (re)built

    args = [str(venv), "--no-seed", "--clear", "--quiet", "--python", sys.executable]
    try:
        virtualenv.cli_run(args, setup_logging=False)
    except (Exception, SystemExit) as exc:  # virtualenv reports errors as either
        raise BuildFailed(f"virtualenv could not create {venv}: {exc}") from None


def _install(env: ToolEnv) -> None:
    from ws.envs.build import _uv_env, relevant_lines, uv_binary

    # dagster-webserver pins its dagster exactly: uv picks the one that fits the requirement.
    specs = [f"dagster{env.requirement}", "dagster-webserver"]
    args = [uv_binary(), "pip", "install", "--python", str(env.python), "--color", "never", *specs]
    result = process.run(args, cwd=env.venv, env=_uv_env())
    if not result.ok:
        raise BuildFailed(
            f"uv could not install {' '.join(specs)} into {env.venv} (the tool env of `ws ui`; "
            f"dagster from {env.source}):\n" + relevant_lines(result.stderr or result.stdout)
        )
