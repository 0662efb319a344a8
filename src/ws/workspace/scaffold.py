"""Render `workspace-template/` into new folders, never overwriting a file.

The template ships inside the wheel as `ws/_template`; in a source checkout it is the top-level
`workspace-template/` folder. `{{var}}` in file contents and `__var__` in file names are replaced.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
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
    """Copy template `kind` into `dest`, skipping files that already exist; return those written."""
    source = template_root() / kind
    written: list[Path] = []
    for src in sorted(source.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = Path(*(_fill_name(part, values) for part in src.relative_to(source).parts))
        target = dest / rel
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(src.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    return written


def render_project_atomically(
    dest: Path, values: Mapping[str, str], extra: Mapping[str, str]
) -> None:
    """Scaffold a project into `dest` (absent or empty) as a whole: built aside, then moved in.

    `extra` maps relative file names to contents written beside the template's files.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        render_tree("project", staging, values)
        for rel, text in extra.items():
            (staging / rel).write_text(text, encoding="utf-8")
        if dest.is_dir():
            dest.rmdir()  # empty, checked by the caller; a rename cannot replace a folder
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fill(text: str, values: Mapping[str, str]) -> str:
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)
    # A placeholder line left empty (an option not given) disappears rather than leaving a hole.
    return re.sub(r"(?m)^\x00\n", "", text)


def _fill_name(part: str, values: Mapping[str, str]) -> str:
    match = re.fullmatch(r"__(\w+)__", part)
    return values.get(match[1], part) if match else part


OMIT = "\x00"
"""Value of a `{{placeholder}}` that stands alone on its line: the line is dropped."""
