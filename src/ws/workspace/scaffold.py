"""Render `workspace-template/` into folders, never overwriting a file or replacing a folder.

The template ships inside the wheel as `ws/_template`; in a source checkout it is the top-level
`workspace-template/` folder. `{{var}}` in file contents and `__var__` in file names are replaced.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def template_root() -> Path:
    """The installed template (inside the wheel), else the source tree's."""
    import importlib.resources

    installed = Path(str(importlib.resources.files("ws") / "_template"))
    if installed.is_dir():
        return installed
    source = Path(__file__).resolve().parents[3] / "workspace-template"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"ws's template is missing (looked in {installed} and {source})")


def uv_build_requirement() -> str:
    """`uv_build` in the range of the uv ws installs with (as `uv init` writes it).

    uv builds a project whose backend is a uv_build its own version satisfies in-process, with
    no Python build backend to start: an editable install of a new project takes ~0.05 s instead
    of hatchling's ~0.9 s, on every cold sync, and needs nothing from the registry.
    """
    from importlib.metadata import version

    from packaging.version import Version

    uv = Version(version("uv"))
    return f"uv_build>={uv.base_version},<{uv.major}.{uv.minor + 1}"


def render_tree(kind: str, dest: Path, values: Mapping[str, str]) -> list[Path]:
    """Copy template `kind` into `dest`, skipping files that already exist; return those written.

    A failure part way removes what this call wrote, and nothing else.
    """
    return _render(kind, dest, values, {}).files


def render_project(dest: Path, values: Mapping[str, str], extra: Mapping[str, str]) -> Written:
    """Scaffold a project into `dest` (absent or empty), file by file; return what was written.

    An existing folder is written into, never replaced: the user's shell may stand in it, and
    rename(2) would silently replace an empty folder that appeared at the path meanwhile, so ws
    renames nothing onto a project's path. A failure part way removes what this call wrote (a
    caller whose next step fails calls `Written.remove()`). `extra` maps relative file names to
    contents written beside the template's files.
    """
    return _render("project", dest, values, extra)


@dataclass
class Written:
    """What one render made: files, and the folders it had to create (parents first)."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def remove(self) -> None:
        """Take back exactly this render: its files, then its folders if nothing else is in them."""
        for file in reversed(self.files):
            file.unlink(missing_ok=True)
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):  # not empty: what arrived in it is not ours
                folder.rmdir()


def _render(kind: str, dest: Path, values: Mapping[str, str], extra: Mapping[str, str]) -> Written:
    source = template_root() / kind
    files: dict[Path, str] = {}
    for src in sorted(source.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = Path(*(_fill_name(part, values) for part in src.relative_to(source).parts))
        files[rel] = _fill(src.read_text(encoding="utf-8"), values)
    files.update({Path(rel): text for rel, text in extra.items()})
    # pyproject.toml last: a render cut short (SIGKILL) never looks like a project to `ws add`.
    order = sorted(files, key=lambda rel: rel == Path("pyproject.toml"))
    written = Written()
    try:
        _make_folder(dest, written)
        for rel in order:
            _make_folder((dest / rel).parent, written)
            with (
                contextlib.suppress(FileExistsError),
                open(dest / rel, "x", encoding="utf-8") as out,
            ):
                written.files.append(dest / rel)  # "x": created now, never overwritten
                out.write(files[rel])
    except BaseException:
        written.remove()
        raise
    return written


def _make_folder(folder: Path, written: Written) -> None:
    """Create `folder` and its missing parents, noting each one this call created."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # made by someone else meanwhile: not ours to remove
        written.folders.append(path)


def _fill(text: str, values: Mapping[str, str]) -> str:
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)
    # A placeholder line left empty (an option not given) disappears rather than leaving a hole.
    return re.sub(r"(?m)^\x00\n", "", text)


def _fill_name(part: str, values: Mapping[str, str]) -> str:
    match = re.fullmatch(r"__(\w+)__", part)
    return values.get(match[1], part) if match else part


OMIT = "\x00"
"""Value of a `{{placeholder}}` that stands alone on its line: the line is dropped."""
