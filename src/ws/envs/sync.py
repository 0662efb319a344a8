"""Sync many environments at once: check each cheaply, build those that need it in parallel.

Progress goes to a callback as `SyncEvent`s (from worker threads: the callback must be
thread-safe); nothing is printed. One project failing never stops the others. Ctrl-C ends every
installer child (each in its own process group) and leaves no env marked that is not complete.
Every env it builds goes into the workspace's record first (`ws.envs.prune`), so that `--prune`
also finds one whose build was interrupted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ws import process
from ws.envs.environment import Environment, Plan, interpreter_for
from ws.envs.prune import PruneResult, prune_environments, record_envs
from ws.envs.state import clear_failure, record_failure
from ws.errors import BuildFailed, ProjectFailed, WsError, error_message

if TYPE_CHECKING:
    from ws.pythons.discovery import Interpreter
    from ws.pythons.requests import Resolver
    from ws.workspace.model import Project, Workspace

SyncStatus = Literal["created", "updated", "unchanged", "failed", "external"]
EventKind = Literal["queued", "waiting", "creating", "installing", "phase", "done"]
log = logging.getLogger("ws")
_POLL = 0.1  # seconds between the waiting thread's looks at a signal another thread received
# Seconds an interrupted sync waits for its workers once the installers are killed: enough for
# an env being created in-process (virtualenv: ~15 ms, far more on a busy machine) to finish.
_STOP_WAIT = 5.0


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
    `installing`, any number of `phase` (what uv reports doing, in `detail`), then `done` with
    the result."""

    project: str
    kind: EventKind
    result: ProjectResult | None = None
    detail: str | None = None


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
    phases: bool = False,
    compile_bytecode: bool = False,
) -> SyncReport:
    """Bring each project's env up to date; `jobs` builds at once (default: the CPU count).
    With `phases`, uv runs with `-v` and what it reports doing comes as `phase` events. With
    `compile_bytecode`, every env gets bytecode for all its files (one built without it is
    updated), as `[tool.ws] compile-bytecode` or UV_COMPILE_BYTECODE ask per project or for all."""
    from ws.pythons.requests import Resolver

    report = on_event or (lambda event: None)
    resolver = Resolver()
    results: dict[str, ProjectResult] = {}
    todo: list[tuple[Project, Environment, Plan]] = []
    for project in projects:
        if project.external_python is not None:  # someone else's env: never built nor deleted
            results[project.name] = _external(project)
            report(SyncEvent(project.name, "done", results[project.name]))
            continue
        start = time.monotonic()
        python = None
        try:
            interpreter = _interpreter(project, resolver)
            env = Environment(project, interpreter, compile_bytecode=compile_bytecode)
            python = env.interpreter.version
            plan = env.plan()
        except Exception as exc:  # any error: one project's failure never stops the others
            results[project.name] = _failure(project, exc, python, start, report)
            continue
        if plan.action == "none" and not reinstall:
            clear_failure(project.venv)
            result = ProjectResult(project.name, "unchanged", python, time.monotonic() - start)
            results[project.name] = result
            report(SyncEvent(project.name, "done", result))
        else:
            todo.append((project, env, plan))
            report(SyncEvent(project.name, "queued"))
    # Recorded before building, so that prune also finds an env whose build was interrupted.
    failed = {name for name, result in results.items() if result.status == "failed"}
    ours = [p for p in projects if p.name not in failed and p.external_python is None]
    record_envs(workspace, ours)
    if todo:
        from ws.envs.build import uv_binary  # here: an up-to-date sync builds and locks nothing

        uv_binary()  # in this thread: its first lookup is not thread-safe
        for result in _build_all(todo, jobs, reinstall, offline, report, phases):
            results[result.name] = result
    pruned = prune_environments(workspace) if prune else None
    return SyncReport(tuple(results[p.name] for p in projects), pruned)


def _build_all(
    todo: Sequence[tuple[Project, Environment, Plan]],
    jobs: int | None,
    reinstall: bool,
    offline: bool,
    report: Callable[[SyncEvent], None],
    phases: bool,
) -> list[ProjectResult]:
    """Build in worker threads while this thread waits; on Ctrl-C (or SIGTERM, which the CLI
    raises as one), end every installer, give the workers a bounded time to stop, re-raise.

    The wait wakes every `_POLL` seconds: a signal that the kernel hands to a worker thread
    only flags the main thread, which must be running to notice it. Workers are daemon threads,
    so one that does not stop in time (an env being created in-process) cannot keep ws alive.
    """
    cancel = threading.Event()
    waiting: queue.SimpleQueue[tuple[Environment, Plan]] = queue.SimpleQueue()
    for _, env, plan in todo:
        waiting.put((env, plan))
    finished: queue.SimpleQueue[ProjectResult | BaseException] = queue.SimpleQueue()

    def work() -> None:
        while not cancel.is_set():
            try:
                env, plan = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                built = _build_one(env, plan, reinstall, offline, cancel, report, phases)
                finished.put(built)
            except BaseException as exc:  # Cancelled, or a bug: raised in the waiting thread
                finished.put(exc)

    count = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    workers = [
        threading.Thread(target=work, name=f"ws-sync-{i}", daemon=True) for i in range(count)
    ]
    done: list[ProjectResult] = []
    try:
        for worker in workers:
            worker.start()
        while len(done) < len(todo):
            with contextlib.suppress(queue.Empty):
                item = finished.get(timeout=_POLL)
                if isinstance(item, BaseException):
                    raise item
                done.append(item)
    except BaseException:
        with process.interrupts_held():  # a second Ctrl-C must not cut the cleanup short
            cancel.set()
            process.end_all()
            _join(workers, _STOP_WAIT)
        raise
    return done


def _join(threads: Sequence[threading.Thread], timeout: float) -> None:
    """Wait for the threads that started, `timeout` seconds at most in all."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        if thread.ident is not None:
            thread.join(max(0.0, deadline - time.monotonic()))


def _build_one(
    env: Environment,
    plan: Plan,
    reinstall: bool,
    offline: bool,
    cancel: threading.Event,
    report: Callable[[SyncEvent], None],
    phases: bool,
) -> ProjectResult:
    from ws.envs.build import build_environment
    from ws.envs.locks import Cancelled, env_lock

    project = env.project
    start = time.monotonic()
    python = env.interpreter.version

    def stage(kind: EventKind) -> None:
        report(SyncEvent(project.name, kind))

    def phase(text: str) -> None:
        report(SyncEvent(project.name, "phase", detail=text))

    try:
        with env_lock(env.venv, on_wait=lambda: stage("waiting"), cancel=cancel):
            if not reinstall:
                plan = env.plan()  # another ws may have built it while this one waited
            if plan.action == "none" and not reinstall:
                status: SyncStatus = "unchanged"
            else:
                status = build_environment(
                    env,
                    plan,
                    reinstall=reinstall,
                    offline=offline,
                    on_stage=stage,
                    on_phase=phase if phases else None,
                    cancel=cancel,
                )
    except Cancelled:  # Ctrl-C: not this project's failure, nothing to remember
        raise
    except Exception as exc:  # any error: one project's failure never stops the others
        if cancel.is_set():  # what broke as the sync was interrupted is the next sync's to judge
            raise Cancelled from exc
        return _failure(project, exc, python, start, report)
    clear_failure(project.venv)
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
    exc: Exception,
    python: str | None,
    start: float,
    report: Callable[[SyncEvent], None],
) -> ProjectResult:
    """Record and report a project's failure. Only an install that failed part-way (or a bug)
    leaves its env failed; anything before that leaves a good env as it was."""
    message = _message(exc, project)
    intact = isinstance(exc, WsError) and getattr(
        exc, "env_intact", not isinstance(exc, BuildFailed)
    )
    record_failure(project.venv, message, env_intact=intact)
    result = ProjectResult(project.name, "failed", python, time.monotonic() - start, message)
    report(SyncEvent(project.name, "done", result))
    return result


def _external(project: Project) -> ProjectResult:
    """An env the user named (external_python, executable_path): never built; missing is a failure."""
    python = project.external_python
    assert python is not None
    if python.exists():
        return ProjectResult(project.name, "external", None, 0.0, None, f"uses {python} as it is")
    message = (
        f"{project.name} uses the external interpreter {python}, which does not exist; create "
        "that environment (ws never builds an external one) or fix the setting that names it"
    )
    return ProjectResult(project.name, "failed", None, 0.0, message)


def _interpreter(project: Project, resolver: Resolver) -> Interpreter:
    if project.problem_message is not None:
        raise ProjectFailed(project.problem_message)
    return interpreter_for(project, resolver)
