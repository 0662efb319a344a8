"""docker-compose.yml and dagster.yaml, wired as Dagster's `examples/deploy_docker`: PostgreSQL
for every kind of storage, a code server per location (its image built from its Dockerfile),
the webserver and the daemon (one image, `dagster.Dockerfile`, reading workspace.yaml), all on
one named network that the daemon's DockerRunLauncher also starts runs on.

The PostgreSQL user, password and database are compose variables with the example's values as
defaults (`DAGSTER_POSTGRES_PASSWORD=... docker compose up` sets another without an edit).
"""

from __future__ import annotations

from typing import Any

from ws.deploy.locations import Location, Settings
from ws.errors import ConfigError

POSTGRES = "dagster-postgresql"
WEBSERVER = "dagster-webserver"
DAEMON = "dagster-daemon"
WEBSERVER_PORT = 3000
_NETWORK = "dagster"
_POSTGRES_IMAGE = "postgres:16"
_VARIABLES = {
    "DAGSTER_POSTGRES_USER": "postgres_user",
    "DAGSTER_POSTGRES_PASSWORD": "postgres_password",
    "DAGSTER_POSTGRES_DB": "postgres_db",
}
# The daemon launches runs in containers of the host's Docker, which share the io manager's
# folder with the servers (as in Dagster's example).
_VOLUMES = [
    "/var/run/docker.sock:/var/run/docker.sock",
    "/tmp/io_manager_storage:/tmp/io_manager_storage",
]


def compose_document(
    locations: list[Location], settings: Settings, context: str, dockerfiles: dict[str, str]
) -> dict[str, Any]:
    """The compose file; `context` is the workspace root seen from the file's folder, and
    `dockerfiles` each location's Dockerfile seen from the root."""
    _refuse_clashes(locations)
    environment = {name: f"${{{name}:-{value}}}" for name, value in _VARIABLES.items()}
    services: dict[str, Any] = {
        POSTGRES: {
            "image": _POSTGRES_IMAGE,
            "environment": {
                "POSTGRES_USER": environment["DAGSTER_POSTGRES_USER"],
                "POSTGRES_PASSWORD": environment["DAGSTER_POSTGRES_PASSWORD"],
                "POSTGRES_DB": environment["DAGSTER_POSTGRES_DB"],
            },
            "networks": [_NETWORK],
            "healthcheck": {
                "test": ["CMD-SHELL", 'pg_isready -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'],
                "interval": "10s",
                "timeout": "8s",
                "retries": 5,
            },
        }
    }
    for location in locations:
        services[location.name] = {
            "build": {"context": context, "dockerfile": dockerfiles[location.name]},
            "image": location.image,
            "restart": "always",
            "environment": {
                **environment,
                "DAGSTER_CURRENT_IMAGE": location.image,  # runs start from the same image
                "PYTHONUNBUFFERED": "1",
            },
            "networks": [_NETWORK],
        }
    started = {location.name: {"condition": "service_started"} for location in locations}
    depends = {POSTGRES: {"condition": "service_healthy"}, **started}
    dagster = {"build": {"context": ".", "dockerfile": "dagster.Dockerfile"}}
    port = str(WEBSERVER_PORT)
    services[WEBSERVER] = {
        **dagster,
        "entrypoint": ["dagster-webserver", "-h", "0.0.0.0", "-p", port, "-w", "workspace.yaml"],
        "expose": [port],
        "ports": [f"{port}:{port}"],
        "environment": environment,
        "volumes": _VOLUMES,
        "networks": [_NETWORK],
        "depends_on": depends,
    }
    services[DAEMON] = {
        **dagster,
        "entrypoint": ["dagster-daemon", "run"],
        "restart": "on-failure",
        "environment": environment,
        "volumes": _VOLUMES,
        "networks": [_NETWORK],
        "depends_on": depends,
    }
    network = {"driver": "bridge", "name": settings.network}
    return {"services": services, "networks": {_NETWORK: network}}


def instance_document(settings: Settings) -> dict[str, Any]:
    """dagster.yaml of the webserver and daemon: the daemon's scheduler and run queue, runs
    launched as containers on the compose network, every storage in PostgreSQL."""
    postgres = {
        "hostname": POSTGRES,
        "username": {"env": "DAGSTER_POSTGRES_USER"},
        "password": {"env": "DAGSTER_POSTGRES_PASSWORD"},
        "db_name": {"env": "DAGSTER_POSTGRES_DB"},
        "port": 5432,
    }
    return {
        "scheduler": {"module": "dagster._core.scheduler", "class": "DagsterDaemonScheduler"},
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "run_launcher": {
            "module": "dagster_docker",
            "class": "DockerRunLauncher",
            "config": {
                "env_vars": list(_VARIABLES),
                "network": settings.network,
                "container_kwargs": {"volumes": _VOLUMES},
            },
        },
        "storage": {"postgres": {"postgres_db": postgres}},
    }


def _refuse_clashes(locations: list[Location]) -> None:
    for location in locations:
        if location.name in (POSTGRES, WEBSERVER, DAEMON):
            raise ConfigError(
                f"project {location.name!r} has the name of a service docker-compose.yml runs "
                f"beside the code servers ({POSTGRES}, {WEBSERVER}, {DAEMON}); rename it "
                "([project] name in its pyproject.toml) to export compose."
            )
