"""Sync many environments at once: check each cheaply, build those that need it in parallel.

Progress goes to a callback as `SyncEvent`s (from worker threads: the callback must be
thread-safe); nothing is printed. One project failing never stops the others. Ctrl-C ends every
installer child (each in its own process group) and leaves no env marked that is not complete.

`<workspace>/.ws/envs.json` records every env ws builds for the workspace, so that `--prune` can
find the envs of projects that are no longer listed (and deletes only those carrying the marker).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ws import process
from ws.envs import environment as envs
from ws.errors import WsError, error_message
from ws.files import cache_dir, path_key, write_atomic

if TYPE_CHECKING:
    from ws.pythons.interpreters import Interpreter
    from ws.workspace.model import Project, Workspace

SyncStatus = Literal["created", "updated", "unchanged", "failed", "external"]
EventKind = Literal["queued", "waiting", "creating", "installing", "done"]
RECORD = Path(".ws") / "envs.json"
log = logging.getLogger("ws")
_RECORD_VERSION = 1


@dataclass(frozen=True)
class ProjectResult:
    name: str
    status: SyncStatus
    python: str | None  # the interpreter's version, None when none was found
    seconds: float
    error: str | None = None
    reason: str | None = None  # why the env was (re)built: "pyproject.toml changed"


@dataclass(frozen=True)
class SyncEvent:
    """`queued` (needs building), `waiting` (another process holds its lock), `creating`,
    `installing`, then `done` with the result."""

    project: str
    kind: EventKind
    result: ProjectResult | None = None


@dataclass(frozen=True)
class PruneResult:
    deleted: tuple[Path, ...]
    kept: tuple[Path, ...]  # recorded, but without ws's marker: never deleted


@dataclass(frozen=True)
class SyncReport:
    results: tuple[ProjectResult, ...]
    pruned: PruneResult | None = None

    @property
    def failed(self) -> tuple[ProjectResult, ...]:
        return tuple(r for r in self.results if r.status == "failed")


def sync_projects(
    workspace: Workspace,
    projects: Sequence[Project],
    *,
    jobs: int | None = None,
    reinstall: bool = False,
    offline: bool = False,
    prune: bool = False,
    on_event: Callable[[SyncEvent], None] | None = None,
) -> SyncReport:
    """Bring each project's env up to date; `jobs` builds at once (default: the CPU count)."""
    report = on_event or (lambda event: None)
    resolve = _Resolver()
    results: dict[str, ProjectResult] = {}
    todo: list[tuple[Project, envs.Environment, envs.Plan]] = []
    for project in projects:
        if project.external_python is not None:  # someone else's env: never built nor deleted
            why = f"uses {project.external_python} as it is"
            results[project.name] = ProjectResult(project.name, "external", None, 0.0, None, why)
            report(SyncEvent(project.name, "done", results[project.name]))
            continue
        start = time.monotonic()
        python = None
        try:
            env = envs.Environment(project, resolve(project))
            python = env.interpreter.version
            plan = env.plan()
        except Exception as exc:  # any error: one project's failure never stops the others
            message = _message(exc, project)
            results[project.name] = _failure(project, message, python, start, report)
            continue
        if plan.action == "none" and not reinstall:
            envs.clear_failure(project.venv)
            result = ProjectResult(project.name, "unchanged", python, time.monotonic() - start)
            results[project.name] = result
            report(SyncEvent(project.name, "done", result))
        else:
            todo.append((project, env, plan))
            report(SyncEvent(project.name, "queued"))
    # Recorded before building, so that prune also finds an env whose build was interrupted.
    failed = {name for name, result in results.items() if result.status == "failed"}
    ours = [p for p in projects if p.name not in failed and p.external_python is None]
    _record_envs(workspace, ours)
    if todo:
        from ws.envs.build import uv_binary  # here: an up-to-date sync builds and locks nothing

        uv_binary()  # in this thread: its first lookup is not thread-safe
        for result in _build_all(todo, jobs, reinstall, offline, report):
            results[result.name] = result
    pruned = prune_environments(workspace) if prune else None
    return SyncReport(tuple(results[p.name] for p in projects), pruned)


def prune_environments(workspace: Workspace) -> PruneResult:
    """Delete the recorded envs that no listed project uses, if they carry ws's marker."""
    from ws.envs.locks import env_lock

    in_use = {_normal(p.venv) for p in workspace.projects}
    roots = [_normal(p.root) for p in workspace.projects] + [_normal(workspace.root)]
    deleted: list[Path] = []
    kept: list[Path] = []
    with _record_locked(workspace):
        remaining = []
        for venv in _read_record(workspace):
            if venv in in_use:
                remaining.append(venv)
            elif not venv.exists():
                continue
            elif envs.read_marker(venv) is None or any(
                r == venv or venv in r.parents for r in roots
            ):
                kept.append(venv)
                remaining.append(venv)
            else:
                with env_lock(venv, on_wait=lambda: None):
                    shutil.rmtree(venv)
                envs.clear_failure(venv)
                deleted.append(venv)
        _write_record(workspace, remaining)
    return PruneResult(tuple(deleted), tuple(kept))


def _build_all(
    todo: Sequence[tuple[Project, envs.Environment, envs.Plan]],
    jobs: int | None,
    reinstall: bool,
    offline: bool,
    report: Callable[[SyncEvent], None],
) -> list[ProjectResult]:
    cancel = threading.Event()
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ws-sync")
    futures: list[Future[ProjectResult]] = [
        pool.submit(_build_one, env, plan, reinstall, offline, cancel, report)
        for _, env, plan in todo
    ]
    try:
        done = [future.result() for future in as_completed(futures)]
    except BaseException:  # Ctrl-C: end the installers, let the workers see `cancel` and stop
        cancel.set()
        process.end_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return done


def _build_one(
    env: envs.Environment,
    plan: envs.Plan,
    reinstall: bool,
    offline: bool,
    cancel: threading.Event,
    report: Callable[[SyncEvent], None],
) -> ProjectResult:
    from ws.envs.build import build_environment
    from ws.envs.locks import Cancelled, env_lock

    project = env.project
    start = time.monotonic()
    python = env.interpreter.version

    def stage(kind: EventKind) -> None:
        report(SyncEvent(project.name, kind))

    try:
        with env_lock(env.venv, on_wait=lambda: stage("waiting"), cancel=cancel):
            if not reinstall:
                plan = env.plan()  # another ws may have built it while this one waited
            if plan.action == "none" and not reinstall:
                status: SyncStatus = "unchanged"
            else:
                status = build_environment(
                    env, plan, reinstall=reinstall, offline=offline, on_stage=stage, cancel=cancel
                )
    except Cancelled:  # Ctrl-C: not this project's failure, nothing to remember
        raise
    except Exception as exc:  # any error: one project's failure never stops the others
        return _failure(project, _message(exc, project), python, start, report)
    envs.clear_failure(project.venv)
    reason = None if status == "unchanged" else ("--reinstall" if reinstall else plan.reason)
    result = ProjectResult(project.name, status, python, time.monotonic() - start, None, reason)
    report(SyncEvent(project.name, "done", result))
    return result


def _message(exc: Exception, project: Project) -> str:
    """An error's words for the project's result; a bug's traceback goes to --verbose's log."""
    if not isinstance(exc, (WsError, OSError)):
        log.debug("unexpected error while syncing %s", project.name, exc_info=exc)
    return error_message(exc, f"`ws --verbose sync {project.name}`")


def _failure(
    project: Project,
    message: str,
    python: str | None,
    start: float,
    report: Callable[[SyncEvent], None],
) -> ProjectResult:
    envs.record_failure(project.venv, message)
    result = ProjectResult(project.name, "failed", python, time.monotonic() - start, message)
    report(SyncEvent(project.name, "done", result))
    return result


class _Resolver:
    """Each project's interpreter; interpreters are discovered once per sync, and only if asked."""

    def __init__(self) -> None:
        self._pool: list[Interpreter] | None = None

    def __call__(self, project: Project) -> Interpreter:
        from ws.pythons.interpreters import discover_interpreters, resolve_python

        if project.problem is not None:
            raise WsError(project.problem_message)
        if project.python is None:
            return resolve_python(None)
        if self._pool is None:
            self._pool = discover_interpreters()
        return resolve_python(project.python, self._pool)


def _record_envs(workspace: Workspace, projects: Sequence[Project]) -> None:
    """Add these projects' envs to the workspace's record (no write when all are known)."""
    known = set(_read_record(workspace))
    wanted = [_normal(p.venv) for p in projects if _normal(p.venv) not in known]
    if not wanted:
        return
    with _record_locked(workspace):
        current = _read_record(workspace)
        _write_record(workspace, current + [v for v in wanted if v not in current])


def _read_record(workspace: Workspace) -> list[Path]:
    try:
        data = json.loads((workspace.root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return []
    paths = data.get("environments", [])
    return [_normal(workspace.root / p) for p in paths if isinstance(p, str)]


def _write_record(workspace: Workspace, venvs: Sequence[Path]) -> None:
    root = _normal(workspace.root)
    paths = [
        v.relative_to(root).as_posix() if root in v.parents else str(v) for v in sorted(set(venvs))
    ]
    document = {"version": _RECORD_VERSION, "environments": paths}
    write_atomic(workspace.root / RECORD, json.dumps(document, indent=2) + "\n")


def _record_locked(workspace: Workspace) -> AbstractContextManager[None]:
    from ws.envs.locks import file_lock

    key = path_key(_normal(workspace.root))
    return file_lock(cache_dir() / "locks" / f"record-{key}.lock", on_wait=lambda: None)


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))
