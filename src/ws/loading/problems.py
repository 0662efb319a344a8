"""Workspace-wide checks across loaded locations, and the `ws list defs --json` document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ws.loading.model import Asset, LocationResult, Snapshot

DOCUMENT_VERSION = 1

ProblemKind = Literal["duplicate_asset", "missing_dependency", "missing_job"]


@dataclass(frozen=True)
class Problem:
    """A finding across the workspace; its message names the projects and files involved."""

    kind: ProblemKind
    message: str
    projects: tuple[str, ...]
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        data["projects"] = list(self.projects)
        if self.key is not None:
            data["key"] = self.key
        return data


def find_problems(locations: Sequence[LocationResult | Snapshot]) -> list[Problem]:
    """Duplicate asset keys across projects, dependencies nobody defines, schedules on missing jobs.

    Locations that failed to load are skipped; a missing dependency then says which did not load,
    since the key may live there.
    """
    snapshots, failed = _snapshots(locations)
    problems: list[Problem] = []
    owners: dict[str, list[tuple[str, Asset]]] = {}
    for snap in snapshots:
        for a in snap.assets:
            owners.setdefault(a.key, []).append((snap.name, a))
    for key, defined in sorted(owners.items()):
        if len({project for project, _ in defined}) > 1:
            where = ", ".join(f"{project} ({_at(a)})" for project, a in defined)
            problems.append(
                Problem(
                    "duplicate_asset",
                    f"asset key {key!r} is defined in {len(defined)} projects: {where}",
                    tuple(dict.fromkeys(project for project, _ in defined)),
                    key,
                )
            )
    unloaded = f"; {_and(failed)} did not load" if failed else ""
    for snap in snapshots:
        for a in snap.assets:
            for dep in a.deps:
                if dep not in owners:
                    message = (
                        f"asset {a.key!r} in project {snap.name} ({_at(a)}) depends on {dep!r}, "
                        f"which no project defines{unloaded}"
                    )
                    problems.append(Problem("missing_dependency", message, (snap.name,), dep))
    for snap in snapshots:
        problems.extend(_missing_jobs(snap))
    return problems


def _snapshots(
    locations: Sequence[LocationResult | Snapshot],
) -> tuple[list[Snapshot], list[str]]:
    snapshots: list[Snapshot] = []
    failed: list[str] = []
    for location in locations:
        if isinstance(location, Snapshot):
            snapshots.append(location)
        elif location.snapshot is None or location.error is not None:
            failed.append(location.name)
        else:
            snapshots.append(location.snapshot)
    return snapshots, failed


def _missing_jobs(snap: Snapshot) -> list[Problem]:
    jobs = {j.name for j in snap.jobs}
    targets = [("schedule", s.name, s.job) for s in snap.schedules]
    targets += [("sensor", s.name, s.job) for s in snap.sensors]
    return [
        Problem(
            "missing_job",
            f"{what} {name!r} in project {snap.name} ({snap.module}) targets job {job!r}, "
            f"which {snap.name} does not define",
            (snap.name,),
        )
        for what, name, job in targets
        if job and job not in jobs  # a schedule or sensor on assets names no job
    ]


def _at(a: Asset) -> str:
    return a.source or "source unknown"


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def defs_document(
    results: Sequence[LocationResult], problems: Sequence[Problem] | None = None
) -> dict[str, Any]:
    """The `ws list defs --json` document: every location, loaded or not, and the problems.

    `problems` defaults to those among `results` alone; a caller that checked against more of
    the workspace passes its own.
    """
    if problems is None:
        problems = find_problems(results)
    return {
        "version": DOCUMENT_VERSION,
        "locations": [result.to_json() for result in results],
        "problems": [p.to_json() for p in problems],
    }
