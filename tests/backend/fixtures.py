"""Session fixtures shared by the environment tests (loaded with `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.samples import offline, write_wheels


@pytest.fixture(scope="session")
def uv_offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The variables that point uv at local wheels only and at a cache of this run's own."""
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
    with offline(uv_offline):
        yield uv_offline
