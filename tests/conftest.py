"""Fixtures shared by the whole suite. Keep case-specific fixtures in the test module that uses them."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ws.loading.model import LoadTarget

TESTS = Path(__file__).parent
REPO = TESTS.parent
SAMPLES = TESTS / "samples"
MINE = f"{sys.version_info[0]}.{sys.version_info[1]}"  # the interpreter running the tests


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


@pytest.fixture(autouse=True)
def _no_outer_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output as piped, whatever the developer's shell says: a test of printed output that
    assumes a width sets `COLUMNS` itself (and FORCE_COLOR, if it wants colour)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


# --- environments several test modules share: each is built once per run --------------------


@pytest.fixture(scope="session")
def uv_offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The variables that point uv at local wheels only and at a cache of this run's own."""
    from backend.samples import write_wheels

    links = write_wheels(
        tmp_path_factory.mktemp("links"), {"tinydep": ["1.0", "2.0"], "groupdep": ["1.0"]}
    )
    return {
        "UV_FIND_LINKS": str(links),
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(tmp_path_factory.mktemp("uv-cache")),
        "PYTHONDONTWRITEBYTECODE": "1",  # importing tiny_backend must not leave __pycache__ behind
    }


@pytest.fixture
def offline_env(uv_offline: dict[str, str]) -> Iterator[dict[str, str]]:
    """uv kept offline for one test (and for the `ws` children it starts)."""
    from backend.samples import offline

    with offline(uv_offline):
        yield uv_offline


@pytest.fixture(scope="session")
def ws_defs_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only a copy of ws_defs: envs see the SDK but not ws itself."""
    folder = tmp_path_factory.mktemp("ws-defs-only")
    shutil.copytree(REPO / "src" / "ws_defs", folder / "ws_defs")
    return folder


@pytest.fixture(scope="session")
def env_python(
    tmp_path_factory: pytest.TempPathFactory, ws_defs_only: Path
) -> Callable[[str], Path]:
    """Build (once per session) a real venv on Python `minor` with ws_defs importable."""
    import virtualenv

    pythons = pyenv_pythons()
    built: dict[str, Path] = {}

    def build(minor: str) -> Path:
        if minor not in pythons:
            pytest.skip(f"no CPython {minor} under ~/.pyenv/versions")
        if minor not in built:
            dest = tmp_path_factory.mktemp(f"env-{minor}")
            virtualenv.cli_run([str(dest), "--no-seed", "-p", str(pythons[minor]), "--quiet"])
            site_packages = next(dest.glob("lib/python*/site-packages"))
            (site_packages / "ws_defs_only.pth").write_text(f"{ws_defs_only}\n")
            built[minor] = dest / "bin" / "python"
        return built[minor]

    return build


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


def target(sample: str, python: Path, where: Path) -> LoadTarget:
    """A copy of `sample` under `where` (so bytecode never lands in the repository), ready to load."""
    from ws.loading.model import LoadTarget

    root = where / sample
    if not root.exists():
        shutil.copytree(SAMPLES / sample, root)
    return LoadTarget(
        name=sample.replace("_", "-"),
        python=python,
        root=root,
        module=f"{sample}.definitions",
        sys_path=("src",),
        env=python.parent.parent,
    )
