"""The Dockerfiles: one per location (its code server), and the image of Dagster's webserver
and daemon that docker-compose.yml builds; each with the ignore file that keeps its context
small (`<Dockerfile>.dockerignore`, which BuildKit reads beside the Dockerfile).

A location's image is built with the workspace root as its context (`docker build -f
deploy/NAME/Dockerfile .`), copies the folders its project needs to the same paths under
`/app`, installs into `/opt/venv` (on PATH: Dagster's Helm chart runs `dagster ...` as the
container's command), and adds Dagster's deployment libraries the project may not have:
`dagster-postgres` (run and event storage), `dagster-docker` and `dagster-k8s` (the run
launchers of compose and of the Helm chart), with everything the project installed held at its
version. Its command is Dagster's code server on `CODE_SERVER_PORT`.
"""

from __future__ import annotations

import json

from ws.deploy.images import Image

# Installed into every image beside the project: what Dagster's deployment guides ask of a
# code location's image (runs start from it and write to PostgreSQL).
DEPLOYMENT_LIBRARIES = ("dagster-postgres", "dagster-docker", "dagster-k8s")
_ENV = (
    "VIRTUAL_ENV=/opt/venv",
    "UV_PROJECT_ENVIRONMENT=/opt/venv",
    'PATH="/opt/venv/bin:$PATH"',
    "UV_PYTHON_DOWNLOADS=never",
    "UV_COMPILE_BYTECODE=1",
    "UV_LINK_MODE=copy",
)
# Never part of an image: envs, caches, ws's own folder, version control.
_NEVER = ("**/.venv", "**/__pycache__", "**/*.pyc", "**/.ws", "**/.git")


def location_dockerfile(image: Image, requirements: str | None, dockerfile: str) -> str:
    """The body of a location's Dockerfile (after the header); `requirements` and `dockerfile`
    are the paths of its pinned requirements file (lockless) and of itself, from the root."""
    location = image.location
    lines = [
        f"# Build from the workspace root: docker build -f {dockerfile} -t {location.image} .",
        f"FROM python:{image.python}-slim",
        "RUN pip install --no-cache-dir --disable-pip-version-check uv",
        "ENV " + " \\\n    ".join(_ENV),
    ]
    if requirements is not None:
        lines += [
            "RUN uv venv /opt/venv --python /usr/local/bin/python",
            "# Exactly what the project's ws env has: its pins, then its folders without deps.",
            f"COPY {requirements} /opt/requirements.txt",
            "RUN uv pip install --no-deps -r /opt/requirements.txt",
        ]
    lines += [f"COPY {path} /app/{path}" if path != "." else "COPY . /app" for path in image.copies]
    workdir = f"/app/{location.path}" if location.path != "." else "/app"
    if requirements is not None:
        targets = [f"-e /app/{p}" for p in image.editable] + [f"/app/{p}" for p in image.installed]
        lines += [f"RUN uv pip install --no-deps {' '.join(targets)}", f"WORKDIR {workdir}"]
    else:
        lines += [
            f"WORKDIR {workdir}",
            f"# Exactly what {image.lock} says.",
            f"RUN uv sync {' '.join(image.sync_args)} --python /usr/local/bin/python",
        ]
    command = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", str(location.port)]
    lines += [
        "# Dagster's deployment libraries, with everything installed above held as it is.",
        "RUN uv pip freeze --exclude-editable | grep -v ' @ ' > /tmp/installed.txt \\",
        f"    && uv pip install --constraint /tmp/installed.txt {' '.join(DEPLOYMENT_LIBRARIES)} \\",
        "    && rm /tmp/installed.txt",
        f"EXPOSE {location.port}",
        f"CMD {json.dumps([*command, *location.code_server_args()])}",
    ]
    return "\n".join(lines) + "\n"


def location_dockerignore(image: Image, extra: list[str]) -> str:
    """Only what the image copies (`extra`: files such as the pinned requirements), never an
    env or a cache."""
    if image.copies == (".",):
        return "\n".join([*_NEVER, *_own_envs(image)]) + "\n"
    allowed = [f"!{path}" for path in (*image.copies, *extra)]
    return "\n".join(["*", *allowed, *_NEVER, *_own_envs(image)]) + "\n"


def requirements_text(image: Image) -> str:
    """The pinned requirements file of a lockless image: the env's third-party packages."""
    lines = [
        f"# What the ws env of {image.location.name} holds, from `uv pip freeze` (the project,",
        "# its local libraries and ws-defs left out: the image installs those from their folders).",
        *image.pins,
    ]
    return "\n".join(lines) + "\n"


def dagster_dockerfile(python: str, dagster: str) -> str:
    """The image of Dagster's webserver and daemon: no project code, only Dagster and the
    instance's libraries, with dagster.yaml and workspace.yaml in DAGSTER_HOME (as Dagster's
    `deploy_docker` example). `dagster` is a version specifier (`==1.13.3`), None for the newest."""
    pin = dagster or ""
    packages = [
        f'"dagster{pin}"',
        f'"dagster-webserver{pin}"',
        "dagster-postgres",
        "dagster-docker",
    ]
    lines = [
        "# Dagster's webserver and daemon (docker-compose.yml builds this from its own folder).",
        f"FROM python:{python}-slim",
        "RUN pip install --no-cache-dir --disable-pip-version-check uv",
        f"RUN uv pip install --system --no-cache {' '.join(packages)}",
        "ENV DAGSTER_HOME=/opt/dagster/dagster_home/",
        "RUN mkdir -p $DAGSTER_HOME",
        "COPY dagster.yaml workspace.yaml $DAGSTER_HOME",
        "WORKDIR $DAGSTER_HOME",
    ]
    return "\n".join(lines) + "\n"


def dagster_dockerignore() -> str:
    return "*\n!dagster.yaml\n!workspace.yaml\n"


def _own_envs(image: Image) -> list[str]:
    """The project's env when it lives elsewhere than `.venv` (`venv = ...` in ws.toml)."""
    return [image.own_env] if image.own_env else []
