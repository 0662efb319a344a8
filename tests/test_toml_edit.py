"""ws.toml edits keep every comment, blank line, spacing and line ending; only the entry changes."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES

from ws.errors import ConfigError
from ws.workspace.entries import add_project_entry, remove_project_entry
from ws.workspace.toml import read_toml

SAMPLE_FILES = SAMPLES / "ws_toml"


def _copy(tmp_path: Path, name: str) -> tuple[Path, str]:
    config = tmp_path / "ws.toml"
    shutil.copy(SAMPLE_FILES / name, config)
    return config, config.read_bytes().decode()


def _changed_lines(before: str, after: str) -> list[str]:
    """The +/- lines of a diff, line endings kept, so a CRLF->LF change would show."""
    diff = difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True))
    return [line for line in diff if line[:1] in "+-"]


def test_add_appends_only_the_entry_and_keeps_crlf(tmp_path: Path) -> None:
    config, before = _copy(tmp_path, "crlf_commented.toml")
    add_project_entry(config, {"path": "projects/new", "python": "3.9"})
    after = config.read_bytes().decode()
    assert _changed_lines(before, after) == [
        "+ [[workspace.projects]]\r\n",
        '+ path = "projects/new"\r\n',
        '+ python = "3.9"\r\n',
        "+ \r\n",
    ]
    assert after.count("\n") == after.count("\r\n")
    assert after.endswith("# end of file comment\r\n")
    assert [p["path"] for p in read_toml(config)["workspace"]["projects"]][-1] == "projects/new"


@pytest.mark.parametrize(
    ("path", "block"),
    [
        (
            "projects/marketing",
            '# --- marketing ---\r\n[[workspace.projects]]\r\npath = "projects/marketing"\r\n\r\n',
        ),
        (
            "projects/finance",
            "# --- finance: pinned ---\r\n# they need 3.10 for a vendor SDK\r\n[[workspace.projects]]\r\n"
            'path = "projects/finance"   # theirs\r\npython = "3.10"\r\nvenv = ".venvs/finance"\r\n\r\n',
        ),
        (
            "projects/ops",
            '[[workspace.projects]]\r\n  path = "projects/ops"       # indented\r\n\r\n',
        ),
    ],
)
def test_remove_takes_the_entry_and_its_own_comments_only(
    tmp_path: Path, path: str, block: str
) -> None:
    config, before = _copy(tmp_path, "crlf_commented.toml")
    remove_project_entry(config, path)
    assert block in before
    assert config.read_bytes().decode() == before.replace(block, "", 1)
    remaining = [p["path"] for p in read_toml(config)["workspace"]["projects"]]
    assert path not in remaining and len(remaining) == 2


def test_remove_every_entry_leaves_a_valid_file_with_all_other_comments(tmp_path: Path) -> None:
    config, _ = _copy(tmp_path, "crlf_commented.toml")
    for path in ("projects/finance", "projects/marketing", "projects/ops"):
        remove_project_entry(config, path)
    after = config.read_bytes().decode()
    assert "projects" not in read_toml(config)["workspace"]
    for kept in ("# Acme data platform", "odd spacing on purpose", "# end of file comment"):
        assert kept in after


def test_inline_array_entries_are_edited_in_place(tmp_path: Path) -> None:
    config, _ = _copy(tmp_path, "inline_array.toml")
    add_project_entry(config, {"path": "projects/c"})
    remove_project_entry(config, "projects/a")
    after = config.read_text()
    assert "# projects as an inline array" in after
    assert [p["path"] for p in read_toml(config)["workspace"]["projects"]] == [
        "projects/b",
        "projects/c",
    ]


def test_first_entry_in_a_minimal_file(tmp_path: Path) -> None:
    config, before = _copy(tmp_path, "minimal.toml")
    add_project_entry(config, {"path": "projects/a"})
    assert config.read_text() == before + '\n[[workspace.projects]]\npath = "projects/a"\n'


def test_a_broken_file_is_reported_with_line_and_column_and_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "ws.toml"
    config.write_text('[workspace]\nname = "x"\npython = 3.12.1\n')
    before = config.read_bytes()
    with pytest.raises(ConfigError, match=r"line 3, column \d+"):
        add_project_entry(config, {"path": "projects/a"})
    assert config.read_bytes() == before


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, before = _copy(tmp_path, "minimal.toml")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ws.files.os.replace", broken_replace)
    with pytest.raises(OSError):
        add_project_entry(config, {"path": "projects/a"})
    assert config.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ws.toml"]  # no temporary file left behind
