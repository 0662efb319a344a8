"""`open_project`: a one-project command (`ws run`) reads that project's files and no other's."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend.samples import write_project, write_workspace

from ws.errors import ConfigError
from ws.workspace import pyproject
from ws.workspace.ws_toml import open_project, read_workspace


@pytest.fixture
def three(tmp_path: Path) -> Path:
    """Projects a, b (named `beta` in ws.toml) and c, whose pyproject.toml calls it `other`."""
    write_project(tmp_path / "a", "a")
    write_project(tmp_path / "b", "b")
    write_project(tmp_path / "c", "other")
    return write_workspace(tmp_path, [{"path": "a"}, {"path": "b", "name": "beta"}, {"path": "c"}])


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The pyproject.toml files read, in order (the seam: the project reader's TOML reader)."""
    seen: list[Path] = []
    real = pyproject.read_toml

    def spy(path: Path) -> dict[str, object]:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(pyproject, "read_toml", spy)
    return seen


def test_a_named_project_is_read_alone_and_as_the_whole_workspace_reads_it(
    three: Path, reads: list[Path]
) -> None:
    found = open_project(three, cwd=three, name="A")
    assert reads == [three / "a" / "pyproject.toml"]
    assert found == read_workspace(three).project("a")
    reads.clear()
    assert open_project(three, cwd=three, name="beta") == read_workspace(three).project("beta")
    assert reads[0] == three / "b" / "pyproject.toml"


def test_the_project_you_stand_in_is_read_alone(three: Path, reads: list[Path]) -> None:
    found = open_project(three, cwd=three / "b" / "src", name=None)
    assert reads == [three / "b" / "pyproject.toml"]
    assert found == read_workspace(three).project("beta")


def test_what_takes_every_project_is_left_to_the_whole_workspace(three: Path) -> None:
    # named by its pyproject.toml only, unknown, or asked from a folder in no project: None, and
    # the whole workspace finds it or words the error
    assert open_project(three, cwd=three, name="other") is None
    assert read_workspace(three).project("other").path == "c"
    assert open_project(three, cwd=three, name="c") is None
    assert open_project(three, cwd=three, name="nope") is None
    assert open_project(three, cwd=three, name=None) is None


def test_a_dg_toml_workspace_is_read_whole(tmp_path: Path) -> None:
    write_project(tmp_path / "projects" / "a", "a")
    (tmp_path / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n\n[[workspace.projects]]\npath = "projects/a"\n'
    )
    assert open_project(tmp_path, cwd=tmp_path, name="a") is None


def test_a_broken_ws_toml_is_an_error_even_for_one_project(three: Path) -> None:
    config = three / "ws.toml"
    config.write_text(config.read_text() + '\n[[workspace.projects]]\npath = "d"\nvenvv = "x"\n')
    with pytest.raises(ConfigError, match="venvv"):
        open_project(three, cwd=three, name="a")


def test_two_entries_for_one_folder_are_refused_here_too(three: Path) -> None:
    config = three / "ws.toml"
    config.write_text(
        config.read_text() + '\n[[workspace.projects]]\npath = "a"\nname = "a2"\nvenv = ".v2"\n'
    )
    for name in ("a", None):
        with pytest.raises(ConfigError, match="both the folder"):
            open_project(three, cwd=three / "a", name=name)
