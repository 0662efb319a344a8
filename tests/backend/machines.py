"""A fake machine for interpreter discovery (every source under one tmp folder), and the real
interpreters under ~/.pyenv/versions that tests needing a second Python take, or skip."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ws.pythons import discovery as pythons

REAL = os.path.realpath(sys.executable)
MINE = "{}.{}.{}".format(*sys.version_info[:3])
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


class FakeMachine:
    """A machine whose every interpreter source lives under one tmp folder."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.pyenv_root = root / "pyenv"
        self.cache = root / "cache"
        self.log = root / "runs.log"
        env = {
            "HOME": str(root / "home"),
            "PYENV_ROOT": str(self.pyenv_root),
            "UV_PYTHON_INSTALL_DIR": str(root / "uv"),
            "ASDF_DATA_DIR": str(root / "asdf"),
            "MISE_DATA_DIR": str(root / "mise"),
            "XDG_DATA_HOME": str(root / "xdg"),
            "PATH": str(self.bin),
            "WS_CACHE_DIR": str(self.cache),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("WS_PYTHONS", raising=False)
        monkeypatch.setattr(pythons, "SYSTEM_DIRS", ())

    def link(self, path: Path, real: str | Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(real)
        return path

    def script(self, path: Path, body: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
        return path

    def wrapper(self, path: Path, real: str | Path = REAL) -> Path:
        """A script that runs `real`, noting each run in self.log: a countable interpreter."""
        return self.script(path, f'echo "$0" >> "{self.log}"\nexec "{real}" "$@"\n')

    def runs(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def explicit(self, monkeypatch: pytest.MonkeyPatch, *paths: Path) -> None:
        monkeypatch.setenv("WS_PYTHONS", os.pathsep.join(map(str, paths)))


def real_pyenv(version_prefix: str) -> Path:
    """A real interpreter under ~/.pyenv/versions whose version starts so, or skip."""
    for folder in sorted(PYENV_VERSIONS.glob(f"{version_prefix}.*")):
        for name in ("python3", "python"):
            if (folder / "bin" / name).exists():
                return folder / "bin" / name
    pytest.skip(f"needs Python {version_prefix} under {PYENV_VERSIONS}; none found")
