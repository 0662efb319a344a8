"""Fixtures shared by the whole suite. Keep case-specific fixtures in the test module that uses them."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
SAMPLES = TESTS / "samples"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test run gets its own ws cache, so nothing leaks between runs or from the user's."""
    old = os.environ.get("WS_CACHE_DIR")
    os.environ["WS_CACHE_DIR"] = str(tmp_path_factory.mktemp("ws-cache"))
    yield
    if old is None:
        os.environ.pop("WS_CACHE_DIR", None)
    else:
        os.environ["WS_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _no_outer_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A WS_WORKSPACE in the developer's shell must not steer the tests."""
    monkeypatch.delenv("WS_WORKSPACE", raising=False)


def pyenv_pythons() -> dict[str, Path]:
    """Real CPython interpreters under ~/.pyenv/versions, by minor version ("3.12": path)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found: dict[str, Path] = {}
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            match = re.fullmatch(r"(\d+)\.(\d+)\.\d+", entry.name)
            exe = entry / "bin" / "python3"
            if match and exe.exists():
                found[f"{match[1]}.{match[2]}"] = exe
    return found


def other_python() -> tuple[str, Path]:
    """A real interpreter of another minor version than the one running the tests, or skip."""
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    others = {
        k: v
        for k, v in pyenv_pythons().items()
        if k != mine and tuple(map(int, k.split("."))) >= (3, 8)
    }
    if not others:
        pytest.skip(
            f"needs a second CPython (3.8+) besides {mine} under ~/.pyenv/versions; none found"
        )
    version = max(others, key=lambda v: tuple(map(int, v.split("."))))
    return version, others[version]


class WsResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"WsResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def ws(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the ws CLI in-process: `ws("list", "projects", cwd=path)` -> WsResult(code, out, err)."""
    from ws.cli.main import run

    def invoke(*args: str, cwd: Path | None = None) -> WsResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return WsResult(code, captured.out, captured.err)

    return invoke


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: compare two to prove nothing changed on disk."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
