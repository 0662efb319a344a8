"""ws.sync with real envs: many projects at once, failures alone, locks honoured, files untouched."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from backend.samples import offline, project_files, write_project, write_workspace

from ws.envs.environment import read_marker
from ws.envs.prune import RECORD, prune_environments
from ws.envs.state import environment_state
from ws.envs.sync import SyncEvent, SyncReport, sync_projects
from ws.pythons.requests import resolve_python
from ws.workspace.model import Workspace
from ws.workspace.ws_toml import read_workspace

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_env")]


@dataclass
class Synced:
    root: Path
    report: SyncReport
    events: list[SyncEvent]
    before: dict[str, dict[str, bytes]]

    @property
    def workspace(self) -> Workspace:
        return read_workspace(self.root)

    def result(self, name: str) -> str:
        return next(r.status for r in self.report.results if r.name == name)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]) -> Synced:
    """Four projects synced once: plain, groups + ws-defs dependency, uv.lock, unresolvable."""
    root = tmp_path_factory.mktemp("ws")
    projects = root / "projects"
    write_project(projects / "plain", "plain", dependencies=["tinydep"])
    write_project(
        projects / "grouped",
        "grouped",
        dependencies=["ws-defs"],
        groups={"dev": ["groupdep"], "docs": ["nosuchdoc"]},
        tool_groups=["dev"],
    )
    locked = write_project(
        projects / "locked",
        "locked",
        dependencies=["tinydep"],
        groups={"dev": ["groupdep"]},
        tool_groups=["dev"],
    )
    write_project(projects / "broken", "broken", dependencies=["tinydep", "nosuchpkg>=1"])
    names = ["plain", "grouped", "locked", "broken"]
    write_workspace(root, [{"path": f"projects/{n}"} for n in names])
    _lock_with_old_tinydep(locked, uv_offline, tmp_path_factory.mktemp("links-v1"))
    before = {n: project_files(projects / n) for n in names}
    workspace = read_workspace(root)
    events: list[SyncEvent] = []
    with offline(uv_offline):
        report = sync_projects(workspace, workspace.projects, jobs=2, on_event=events.append)
    return Synced(root, report, events, before)


def _lock_with_old_tinydep(project: Path, variables: dict[str, str], links: Path) -> None:
    """Write uv.lock while only tinydep 1.0 exists, so the lock pins an older version."""
    import sys

    from backend.samples import write_wheels
    from uv import find_uv_bin

    write_wheels(links, {"tinydep": ["1.0"], "groupdep": ["1.0"]})
    env = {**variables, "UV_FIND_LINKS": str(links), "UV_PYTHON_DOWNLOADS": "never"}
    with offline(env):
        subprocess.run(
            [find_uv_bin(), "lock", "--quiet", "--python", sys.executable],
            cwd=project,
            check=True,
        )


def _python(env: Path, code: str) -> str:
    done = subprocess.run(
        [env / "bin" / "python", "-c", code], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_each_project_is_built_and_the_broken_one_fails_alone(synced: Synced) -> None:
    statuses = {r.name: r.status for r in synced.report.results}
    assert statuses == {
        "plain": "created",
        "grouped": "created",
        "locked": "created",
        "broken": "failed",
    }
    broken = next(r for r in synced.report.results if r.name == "broken")
    assert broken.error is not None and "nosuchpkg" in broken.error
    assert len(broken.error.splitlines()) <= 15  # uv's relevant lines, not pages
    broken_marker = read_marker(synced.root / "projects/broken/.venv")
    assert broken_marker is None or not broken_marker.ready  # never marked ready
    for name in ("plain", "grouped", "locked"):
        marker = read_marker(synced.root / "projects" / name / ".venv")
        assert marker is not None and marker.ready and marker.origin == "created"


def test_the_envs_hold_what_each_project_asks_for(synced: Synced) -> None:
    projects = synced.root / "projects"
    check = "import ws_defs, tinydep; print(tinydep.VERSION)"
    assert _python(projects / "plain/.venv", check) == "2.0"
    # uv.lock wins over the newest version on offer: the locked pin is installed, with uv's
    # default group; ws-defs only where a locked project depends on it (as `uv sync` would).
    locked = "import tinydep, groupdep; print(tinydep.VERSION)"
    assert _python(projects / "locked/.venv", locked) == "1.0"
    with pytest.raises(subprocess.CalledProcessError):
        _python(projects / "locked/.venv", "import ws_defs")
    # The [tool.ws] group is installed (only that one: 'docs' would not resolve); ws-defs listed
    # as an ordinary dependency resolves to ws's own wheel.
    code = "import groupdep, ws_defs, grouped; print(ws_defs.__version__)"
    assert _python(projects / "grouped/.venv", code)


def test_sync_reports_progress_per_project(synced: Synced) -> None:
    kinds = [e.kind for e in synced.events if e.project == "plain"]
    assert kinds == ["queued", "creating", "installing", "done"]
    assert [e.kind for e in synced.events if e.project == "broken"][-1] == "done"


def test_project_files_are_untouched(synced: Synced) -> None:
    for name, files in synced.before.items():
        assert project_files(synced.root / "projects" / name) == files, name


def test_state_says_ready_or_failed(synced: Synced) -> None:
    workspace = synced.workspace
    running = resolve_python(None)
    assert environment_state(workspace.project("plain"), running).state == "ready"
    failed = environment_state(workspace.project("broken"), running)
    assert failed.state == "failed" and failed.reason


def test_a_second_sync_does_nothing(synced: Synced) -> None:
    workspace = synced.workspace
    events: list[SyncEvent] = []
    report = sync_projects(workspace, workspace.projects, on_event=events.append)
    statuses = {r.name: r.status for r in report.results}
    assert statuses == {
        "plain": "unchanged",
        "grouped": "unchanged",
        "locked": "unchanged",
        "broken": "failed",
    }
    assert not [e for e in events if e.kind in ("creating", "installing") and e.project != "broken"]


@pytest.fixture
def single(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "ws"
    write_project(root / "app", "app", dependencies=["tinydep<2"])
    write_workspace(root, [{"path": "app"}])
    yield root


def test_changes_update_or_recreate_the_env(single: Path) -> None:
    from conftest import other_python

    def sync(**options: bool) -> tuple[str, str | None]:
        workspace = read_workspace(single)
        (result,) = sync_projects(workspace, workspace.projects, **options).results
        return result.status, result.reason

    venv = single / "app" / ".venv"
    assert sync() == ("created", "new")
    assert _python(venv, "import tinydep; print(tinydep.VERSION)") == "1.0"

    pyproject = single / "app" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("tinydep<2", "tinydep>=2"))
    app = read_workspace(single).project("app")
    stale = environment_state(app, resolve_python(None))
    assert stale == type(stale)("stale", "pyproject.toml changed")
    assert sync() == ("updated", "pyproject.toml changed")
    assert _python(venv, "import tinydep; print(tinydep.VERSION)") == "2.0"

    assert sync(reinstall=True) == ("created", "--reinstall")
    assert sync() == ("unchanged", None)

    version, _ = other_python()
    write_workspace(single, [{"path": "app", "python": version}])
    status, reason = sync()
    assert status == "created"
    assert reason is not None and reason.startswith("interpreter 3.")
    assert _python(venv, "import sys; print('%d.%d' % sys.version_info[:2])") == version


def test_prune_deletes_only_envs_ws_built(single: Path) -> None:
    workspace = read_workspace(single)
    sync_projects(workspace, workspace.projects)
    venv = single / "app" / ".venv"
    # A recorded folder without ws's marker (say, an env the user made there since) is kept.
    foreign = single / "other" / ".venv"
    foreign.mkdir(parents=True)
    (foreign / "keep.txt").write_text("mine")
    record = single / RECORD
    record.write_text(record.read_text().replace('"app/.venv"', '"app/.venv", "other/.venv"'))

    write_workspace(single, [])  # the project is no longer listed
    pruned = prune_environments(read_workspace(single))
    assert pruned.deleted == (venv,)
    assert pruned.kept == (foreign,)
    assert not venv.exists() and (foreign / "keep.txt").exists()
    assert (single / "app" / "pyproject.toml").exists()


def test_a_folder_that_is_not_an_env_is_never_replaced(single: Path) -> None:
    venv = single / "app" / ".venv"
    venv.mkdir()
    (venv / "notes.txt").write_text("not an env")
    workspace = read_workspace(single)
    (result,) = sync_projects(workspace, workspace.projects).results
    assert result.status == "failed"
    assert result.error is not None and "is not a virtual environment" in result.error
    assert (venv / "notes.txt").read_text() == "not an env"


def test_a_missing_interpreter_fails_that_project_alone(single: Path) -> None:
    write_project(single / "ok", "ok")
    write_workspace(single, [{"path": "app", "python": "3.1"}, {"path": "ok"}])
    workspace = read_workspace(single)
    report = sync_projects(workspace, workspace.projects)
    assert [r.status for r in report.results] == ["failed", "created"]
    assert report.results[0].python is None
    assert report.results[0].error


def test_an_unexpected_error_fails_that_project_alone(
    single: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in ws (an exception it does not expect) while building one env is reported as that
    project's failure, named as a bug; the other project is still built. The one fake here is
    the bug itself."""
    from ws.envs import build as env_build
    from ws.envs import environment as envs

    write_project(single / "ok", "ok")
    write_workspace(single, [{"path": "app"}, {"path": "ok"}])
    build = env_build.build_environment

    def buggy(env: envs.Environment, plan: envs.Plan, **options: object) -> object:
        if env.project.name == "app":
            raise KeyError("boom")
        return build(env, plan, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(env_build, "build_environment", buggy)
    workspace = read_workspace(single)
    report = sync_projects(workspace, workspace.projects, jobs=2)
    assert [r.status for r in report.results] == ["failed", "created"]
    error = report.results[0].error or ""
    assert "unexpected KeyError: 'boom'" in error and "ws --verbose sync app" in error
    assert environment_state(workspace.projects[0], resolve_python(None)).state == "failed"
