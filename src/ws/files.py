"""Where ws keeps its own files, and the one way it writes any file: atomically."""

from __future__ import annotations

import os
from pathlib import Path

from ws.digest import sha256


def cache_dir() -> Path:
    """ws's per-user cache: `$WS_CACHE_DIR`, else `$XDG_CACHE_HOME/ws`, else `~/.cache/ws`."""
    explicit = os.environ.get("WS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ws"


def path_key(path: Path) -> str:
    """A folder's name among ws's cache files (an env's lock and last failure, a workspace's
    record lock): a hash of its absolute path."""
    return sha256(str(path.absolute()).encode()).hexdigest()[:24]


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, then a rename.

    Text is written as given (no newline translation), so a CRLF file stays CRLF.
    """
    import tempfile  # here, not at the top: most commands only read (tempfile pulls in random)

    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: str | bytes) -> bool:
    """`write_atomic` unless the file holds these bytes already (a running reader, such as a code
    server, keeps seeing the same file); whether it wrote."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file() and path.read_bytes() == raw:
        return False
    write_atomic(path, raw)
    return True


def beside(folder: Path, suffix: str) -> Path:
    """A sibling of `folder` named after it (`.venv` -> `.venv.ws-previous`)."""
    return folder.with_name(folder.name + suffix)


def move_aside(folder: Path, suffix: str) -> Path:
    """Rename `folder` to `beside(folder, suffix)` in one atomic step, removing what an earlier,
    interrupted use of that name left there; the new path. How ws deletes a tree without ever
    leaving half of it at its path, and keeps an env while its replacement is built."""
    import shutil  # here: most commands delete nothing

    aside = beside(folder, suffix)
    if aside.exists():
        shutil.rmtree(aside, ignore_errors=True)
    os.replace(folder, aside)
    return aside
