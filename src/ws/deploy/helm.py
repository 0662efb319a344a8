"""Values for Dagster's Helm chart (`dagster/dagster`): its `dagster-user-deployments` subchart
enabled, with one deployment per location. The chart runs `dagster code-server start -h 0.0.0.0
-p PORT` followed by `codeServerArgs` in the location's image, and reaches it through a Service
named after the deployment: the host workspace.yaml names. Each deployment is valid against the
subchart's own values schema (tests check it against a copy of that schema).
"""

from __future__ import annotations

from typing import Any

from ws.deploy.locations import DEFAULT_TAG, Location


def helm_values(locations: list[Location]) -> dict[str, Any]:
    return {
        "dagster-user-deployments": {
            "enabled": True,
            "deployments": [_deployment(location) for location in locations],
        }
    }


def _deployment(location: Location) -> dict[str, Any]:
    # A moving tag must be pulled each time; a version tag names one image.
    pull = "Always" if location.tag == DEFAULT_TAG else "IfNotPresent"
    return {
        "name": location.name,
        "image": {"repository": location.repository, "tag": location.tag, "pullPolicy": pull},
        "codeServerArgs": location.code_server_args(),
        "port": location.port,
        "env": {"PYTHONUNBUFFERED": "1"},  # the server's lines reach `kubectl logs` as printed
    }
