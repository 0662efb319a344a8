"""Sample workspaces for the sync tests, built in tmp folders with no network.

Projects use `tiny_backend` (copied into `<project>/_backend/`); their dependencies come from a
folder of hand-written wheels that uv sees through `UV_FIND_LINKS`, with `UV_OFFLINE=1` so that no
test ever reaches an index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

BACKEND = Path(__file__).parent / "tiny_backend.py"
SAMPLES = Path(__file__).parents[1] / "samples"
sys.path.insert(0, str(BACKEND.parent))
import tiny_backend  # noqa: E402  (a plain module beside this one, also copied into projects)

# A ws-defs project's definitions that other samples depend on, from another interpreter.
FINANCE = '''\
"""Finance's rates and budget, which defs-ok depends on from another interpreter."""
from ws_defs import Definitions, asset, job, schedule


@asset(key_prefix="finance", group="rates")
def fx_rates():
    return {"EUR": 1.1}


@asset(key_prefix=["finance"])
def budget():
    return 100


rates = job("rates", assets=[fx_rates])
defs = Definitions(
    assets=[fx_rates, budget],
    jobs=[rates],
    schedules=[schedule("hourly", cron="0 * * * *", job=rates)],
)
'''


def write_wheels(folder: Path, versions: Mapping[str, Sequence[str]]) -> Path:
    """One tiny wheel per (name, version); each module says its VERSION."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, numbers in versions.items():
        for version in numbers:
            module = f"{name}/__init__.py"
            tiny_backend.write_wheel(
                str(folder), name, version, {module: f"VERSION = {version!r}\n".encode()}
            )
    return folder


def write_project(
    folder: Path,
    name: str,
    *,
    dependencies: Sequence[str] = (),
    groups: Mapping[str, Sequence[str]] | None = None,
    tool_groups: Sequence[str] = (),
) -> Path:
    """A project built by tiny_backend: pyproject.toml, src/<name>/__init__.py, _backend/."""
    package = folder / "src" / name.replace("-", "_")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"NAME = {name!r}\n")
    (folder / "_backend").mkdir()
    shutil.copy(BACKEND, folder / "_backend" / BACKEND.name)
    lines = [
        "[build-system]",
        "requires = []",
        'build-backend = "tiny_backend"',
        'backend-path = ["_backend"]',
        "",
        "[project]",
        f'name = "{name}"',
        'version = "0.1"',
        "dependencies = [",
        *(f'    "{d}",' for d in dependencies),
        "]",
    ]
    if tool_groups:
        lines += ["", "[tool.ws]", "groups = [" + ", ".join(f'"{g}"' for g in tool_groups) + "]"]
    if groups:
        lines += ["", "[dependency-groups]"]
        lines += [
            f"{g} = [" + ", ".join(f'"{d}"' for d in deps) + "]" for g, deps in groups.items()
        ]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return folder


def write_workspace(root: Path, entries: Sequence[Mapping[str, str]]) -> Path:
    """ws.toml listing `entries` ({"path": ..., "python": ...})."""
    root.mkdir(parents=True, exist_ok=True)
    text = '[workspace]\nname = "sample"\n'
    for entry in entries:
        text += "\n[[workspace.projects]]\n"
        text += "".join(f'{key} = "{value}"\n' for key, value in entry.items())
    (root / "ws.toml").write_text(text)
    return root


@contextmanager
def offline(variables: Mapping[str, str]) -> Iterator[None]:
    """Set the variables that keep uv offline, for code that cannot take `monkeypatch`."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in variables.items():
            patch.setenv(key, value)
        yield


def project_files(folder: Path) -> dict[str, bytes]:
    """A project's files and bytes, its env left out: sync must never change the rest."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".venv" not in p.relative_to(folder).parts
    }


def child_env(**extra: str) -> dict[str, str]:
    """os.environ for a `ws` child process (the offline variables are already set in it)."""
    env = dict(os.environ)
    env.update(extra)
    return env


_BUILD_SYSTEM = (
    '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["_backend"]\n\n'
)


def buildable(folder: Path) -> Path:
    """Make a project folder installable offline: tiny_backend as its build backend."""
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(_BUILD_SYSTEM + pyproject.read_text())
    (folder / "_backend").mkdir()
    shutil.copy(BACKEND, folder / "_backend" / BACKEND.name)
    return folder


def copy_sample(sample: str, dest: Path, *, owner: str | None = None) -> Path:
    """A sample project under `dest`, ready for `ws sync`."""
    shutil.copytree(SAMPLES / sample, dest)
    if owner:
        pyproject = dest / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + f'owner = "{owner}"\n')
    return buildable(dest)


def write_defs_project(dest: Path, name: str, code: str, *, owner: str | None = None) -> Path:
    """A ws-defs project `name` whose definitions module is `code`."""
    package = dest / "src" / name.replace("-", "_")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "definitions.py").write_text(code)
    lines = ["[project]", f'name = "{name}"', 'version = "0.1"', 'dependencies = ["ws-defs"]']
    if owner:
        lines += ["", "[tool.ws]", f'owner = "{owner}"']
    (dest / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return buildable(dest)


def ws_child(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`ws` in a process of its own, as users run it."""
    return subprocess.run(
        [sys.executable, "-m", "ws", *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def sync(root: Path, names: list[str], variables: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ws", "sync", "--offline", "--json", *names],
        cwd=root,
        env={**child_env(), **variables},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
