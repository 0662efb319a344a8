"""A PEP 517 + PEP 660 build backend in one stdlib file, so tests build projects with no network.

Copied into `<project>/_backend/` by the tests; the project's pyproject.toml says
`build-backend = "tiny_backend"` and `backend-path = ["_backend"]`. It runs in the project's own
interpreter (3.8+), so no tomllib: it reads `name`, `version` and `dependencies` of [project]
with a line reader that understands the few forms the test projects use. It writes only into the
folders the frontend hands it, never into the project (tests check the project stays untouched).
`TINY_BACKEND_STARTED` / `TINY_BACKEND_SLEEP` make an editable build announce itself and stall, so
that tests can interrupt a sync while it installs; a file `_backend/sleep` (seconds) stalls that
one project's build alone.
"""

import ast
import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

_EPOCH = (1980, 1, 1, 0, 0, 0)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {}
    source = _source_root()
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            if name.endswith(".py") or name == "py.typed":
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    files[os.path.relpath(path, source).replace(os.sep, "/")] = handle.read()
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _maybe_stall()
    name, _, _ = _project()
    pth = (os.path.abspath(_source_root()) + "\n").encode()
    return _wheel(wheel_directory, {f"_{_dist_name(name)}_editable.pth": pth})


def build_sdist(sdist_directory, config_settings=None):
    name, version, _ = _project()
    base = f"{_dist_name(name)}-{version}"
    target = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(target, "w:gz") as tar:
        for folder, dirs, names in os.walk("."):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for entry in sorted(names):
                path = os.path.normpath(os.path.join(folder, entry))
                tar.add(path, arcname=base + "/" + path.replace(os.sep, "/"))
    return base + ".tar.gz"


def write_wheel(wheel_directory, name, version, files, requires=()):
    """Write `<name>-<version>-py3-none-any.whl` holding `files` (tests use it for dependencies)."""
    dist = _dist_name(name)
    info = f"{dist}-{version}.dist-info"
    members = dict(files)
    members[info + "/METADATA"] = _metadata(name, version, requires).encode()
    members[info + "/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tiny_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{p},sha256={_digest(d)},{len(d)}" for p, d in sorted(members.items())]
    record.append(info + "/RECORD,,")
    members[info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"{dist}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in members.items():
            wheel.writestr(zipfile.ZipInfo(path, _EPOCH), data)
    with open(os.path.join(wheel_directory, filename), "wb") as handle:
        handle.write(buffer.getvalue())
    return filename


def _wheel(wheel_directory, files):
    name, version, requires = _project()
    return write_wheel(wheel_directory, name, version, files, requires)


def _write_dist_info(metadata_directory):
    name, version, requires = _project()
    info = f"{_dist_name(name)}-{version}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as handle:
        handle.write(_metadata(name, version, requires))
    return info


def _metadata(name, version, requires):
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Requires-Dist: " + r for r in requires]
    return "\n".join(lines) + "\n"


def _maybe_stall():
    """Let a test catch a build in the act: write our pid to a file, then take our time."""
    started = os.environ.get("TINY_BACKEND_STARTED")
    if started:
        with open(started, "w") as handle:
            handle.write(str(os.getpid()))
    time.sleep(float(os.environ.get("TINY_BACKEND_SLEEP", "0")))
    own = os.path.join("_backend", "sleep")  # the frontend runs us in the project's folder
    if os.path.exists(own):
        with open(own) as handle:
            time.sleep(float(handle.read()))


def _source_root():
    return "src" if os.path.isdir("src") else "."


def _project():
    """(name, version, dependencies) from pyproject.toml's [project] table."""
    values = {}
    section = None
    pending = None
    with open("pyproject.toml") as handle:
        for line in handle:
            stripped = line.strip()
            if pending is not None:
                pending[1].append(stripped)
                text = " ".join(pending[1])
                if text.count("[") == text.count("]"):
                    values[pending[0]] = ast.literal_eval(text)
                    pending = None
                continue
            header = re.match(r"^\[([^\]]+)\]$", stripped)
            if header:
                section = header.group(1)
                continue
            match = re.match(r"^([A-Za-z0-9_-]+)\s*=\s*(.+)$", stripped)
            if section == "project" and match:
                key, value = match.group(1), match.group(2)
                if value.count("[") != value.count("]"):
                    pending = (key, [value])
                else:
                    values[key] = ast.literal_eval(value)
    return values["name"], values.get("version", "0.0.0"), list(values.get("dependencies", []))


def _dist_name(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
