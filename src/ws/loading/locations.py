"""Load the selected projects' definitions, each in its own env, reusing cached snapshots.

A project that cannot be loaded (folder gone, env never built) becomes an error result of its own;
the others are loaded regardless. The snapshot cache is consulted first; only misses start an
interpreter, in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ws.envs.environment import env_python, env_root, is_built
from ws.loading.cache import SnapshotCache, source_key
from ws.loading.model import LoadTarget, LocationResult, failed
from ws.loading.problems import Problem, find_problems
from ws.workspace.model import Project, Workspace


def load_target(project: Project) -> LoadTarget:
    return LoadTarget(
        name=project.name,
        python=env_python(project),
        root=project.root,
        module=project.module,
        attribute=project.settings.attribute,
        sys_path=project.sys_path,
        env=env_root(project),
        libraries=tuple(lib.path for lib in project.libraries if lib.editable),
    )


def unloadable(project: Project) -> LocationResult | None:
    """An error result when the project cannot be loaded at all, else None."""
    if project.problem_message is not None:
        # A folder gone means no environment to load from; anything else is the project's own
        # files (an invalid pyproject.toml, a library path that does not exist): its own kind.
        kind = "env_missing" if project.problem == "missing" else "invalid_project"
        return failed(project.name, kind, project.problem_message)
    if project.external_python is not None:
        if project.external_python.exists():
            return None
        message = (
            f"{project.name} uses the external interpreter {project.external_python}, which does "
            "not exist; create that environment (ws never builds an external one) or fix the "
            "setting that names it (external_python, executable_path, DG_PROJECT_PYTHON_EXECUTABLE)"
        )
    elif not is_built(project):
        message = (
            f"{project.name} has no environment at {project.venv}; run `ws sync {project.name}`"
        )
    else:
        return None
    return failed(project.name, "env_missing", message)


def load_project_locations(
    workspace: Workspace,
    projects: Sequence[Project],
    *,
    jobs: int,
    timeout: float,
    use_cache: bool = True,
    on_done: Callable[[LocationResult], None] | None = None,
) -> list[LocationResult]:
    """One result per project, in the order given."""
    cache = SnapshotCache(workspace)
    results: dict[str, LocationResult] = {}
    to_load: list[Project] = []
    for project in projects:
        early = unloadable(project)
        cached = cache.get(project) if use_cache and early is None else None
        if early is not None:
            results[project.name] = early
        elif cached is not None:
            results[project.name] = cached
        else:
            to_load.append(project)
            continue
        if on_done is not None:
            on_done(results[project.name])
    if to_load:
        from ws.loading.shim import (
            load_locations,  # only now: a fully cached listing starts nothing
        )

        keys = [source_key(p) for p in to_load]  # before loading: a save meanwhile is not seen
        loaded = load_locations(
            [load_target(p) for p in to_load], jobs=jobs, timeout=timeout, on_done=on_done
        )
        for project, key, result in zip(to_load, keys, loaded, strict=True):
            results[project.name] = result
            cache.put(project, result, key=key)
        cache.save()
    return [results[p.name] for p in projects]


def workspace_problems(
    workspace: Workspace,
    results: Sequence[LocationResult],
    *,
    load_others: bool,
    jobs: int,
    timeout: float,
) -> list[Problem]:
    """The problems that involve the given projects, checked against the whole workspace.

    A subset (`ws check NAME`, the project one stands in) may depend on or clash with the other
    projects. Their cached snapshots count. Those the cache does not know are loaded (and cached)
    with `load_others`, so a verdict never depends on what happened to be loaded before;
    without it (a listing) they count as not loaded, which a missing dependency's message says.
    """
    given = {result.name: result for result in results}
    if len(given) == len(workspace.projects):
        return find_problems(results)
    others = [p for p in workspace.projects if p.name not in given]
    if load_others:
        known = load_project_locations(workspace, others, jobs=jobs, timeout=timeout)
    else:
        cache = SnapshotCache(workspace)
        known = [_as_known(cache, p) for p in others]
    by_name = {**{r.name: r for r in known}, **given}
    # In ws.toml order, so that a message reads the same whatever was selected.
    context = [by_name[p.name] for p in workspace.projects]
    return [p for p in find_problems(context) if not given.keys().isdisjoint(p.projects)]


def _as_known(cache: SnapshotCache, project: Project) -> LocationResult:
    """The project as the cache knows it (stat calls only); unknown reads as not loaded."""
    known = cache.get(project) if unloadable(project) is None else None
    return known or LocationResult(project.name, None, None)
