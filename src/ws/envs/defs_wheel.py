"""The `ws-defs` wheel, built by hand from ws's own `ws_defs` package and cached.

Every project env gets ws-defs, and a project may list it as an ordinary dependency, so the wheel
is offered to uv through `--find-links`: resolution needs no index for it. A wheel is a zip with
three metadata files, so the standard library writes it; no build backend is needed at run time.
The cache key is a hash of the package's files, so the wheel is built once per ws-defs content.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from ws.digest import sha256
from ws.files import cache_dir, write_atomic

DIST_NAME = "ws-defs"
_PACKAGE = "ws_defs"
_REQUIRES_PYTHON = ">=3.8"
# Fixed timestamps make the same files give the same wheel bytes (zip's epoch is 1980).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DefsPackage:
    """What the fingerprint needs to know about ws-defs, read without building anything."""

    version: str
    digest: str  # sha256 of the package's files: names and bytes
    files: tuple[tuple[str, Path], ...]  # (path inside the wheel, file)

    @property
    def token(self) -> str:
        """`0.1.0+<hash>`: changes whenever the installed ws-defs would change."""
        return f"{self.version}+{self.digest[:16]}"

    @property
    def wheel_name(self) -> str:
        return f"{_PACKAGE}-{self.version}-py3-none-any.whl"


@functools.cache
def defs_package() -> DefsPackage:
    """Read ws_defs's version and hash its files (a few small files: well under a millisecond)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the ws_defs package is missing from ws's install; reinstall ws.")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = tuple(
        (f"{_PACKAGE}/{p.relative_to(folder).as_posix()}", p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    digest = sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return DefsPackage(_read_version(folder / "__init__.py"), digest.hexdigest(), files)


def defs_wheel() -> Path:
    """The path of the ws-defs wheel, built into `cache_dir()/wheels/` on first use.

    Its folder holds nothing else, so it can be handed to uv as a `--find-links` location.
    """
    package = defs_package()
    wheel = cache_dir() / "wheels" / f"ws-defs-{package.digest[:16]}" / package.wheel_name
    if not wheel.is_file():
        # Atomic: a concurrent ws either sees no wheel or a whole one, and both write the same bytes.
        write_atomic(wheel, _wheel_bytes(package))
    return wheel


def _wheel_bytes(package: DefsPackage) -> bytes:
    # Imported here: every fingerprint check needs the digest, only a first build the wheel.
    import io
    import zipfile

    info = f"{_PACKAGE}-{package.version}.dist-info"
    members = {name: path.read_bytes() for name, path in package.files}
    members[f"{info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        f"Name: {DIST_NAME}\n"
        f"Version: {package.version}\n"
        "Summary: Declare a project's definitions for ws (built by ws from its own ws_defs).\n"
        f"Requires-Python: {_REQUIRES_PYTHON}\n"
    ).encode()
    members[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: ws.defs_wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{name},sha256={_record_hash(data)},{len(data)}" for name, data in members.items()]
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            entry = zipfile.ZipInfo(name, _ZIP_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def _record_hash(data: bytes) -> str:
    """RECORD's hash form: urlsafe base64 of the sha256 digest, without padding (PEP 376/427)."""
    import base64

    return base64.urlsafe_b64encode(sha256(data).digest()).rstrip(b"=").decode()


def _read_version(init: Path) -> str:
    """`__version__` from ws_defs/__init__.py, read as text: no import of the SDK into ws."""
    for line in init.read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError(f"{init} has no __version__ line; the ws_defs package is damaged.")
