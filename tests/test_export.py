"""`ws export`: the deployment files of a workspace of two Dagster projects on two Pythons, one
with a uv.lock and one installed from its env; what `--check` sees; what compose, the Helm
chart's schema and Dagster itself make of the files. No image is built (no base image can be
pulled here): the Dockerfiles are checked as text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; the tests read YAML back
from backend.samples import sync, write_project, write_wheels
from conftest import MINE, REPO, SAMPLES, WsResult, other_python

from ws.deploy.yaml_text import dump_yaml

HELM_SCHEMA = (
    REPO.parent / "shared" / "dagster-helm" / "dagster-user-deployments.values.schema.json"
)
DAGSTER = "1.13.3"  # the dagster version the samples' lock and env hold (a tiny wheel offline)
HEADER = "# Written by ws; rewrite with `ws export "


def _lock(folder: Path, name: str, dagster: str = DAGSTER) -> None:
    """A uv.lock as uv writes one, reduced to what ws reads of it (export only copies it)."""
    (folder / "uv.lock").write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n\n'
        f'[[package]]\nname = "dagster"\nversion = "{dagster}"\n'
        'source = { registry = "https://pypi.org/simple" }\n\n'
        f'[[package]]\nname = "{name}"\nversion = "0.2.0"\nsource = {{ editable = "." }}\n'
    )


def _dg_project(folder: Path, name: str, *, extra: str = "", lock: bool = True) -> Path:
    """A Dagster project as create-dagster lays one out: [tool.dg], src/<package>, a uv.lock."""
    package = name.replace("-", "_")
    (folder / "src" / package).mkdir(parents=True)
    (folder / "src" / package / "__init__.py").write_text("")
    (folder / "src" / package / "definitions.py").write_text("import dagster\n")
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.2.0"\nrequires-python = ">=3.10"\n'
        f'dependencies = ["dagster"]\n{extra}\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{package}"\n'
    )
    if lock:
        _lock(folder, name)
    return folder


def _ws_toml(root: Path, entries: list[dict[str, str]], head: str = "") -> None:
    text = f'[workspace]\nname = "acme-data"\n{head}'
    for entry in entries:
        text += "\n[[workspace.projects]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items())
    (root / "ws.toml").write_text(text)


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def finance_python() -> str:
    """The second Python: another minor than the tests' if there is one (marketing asks 3.12)."""
    try:
        return other_python()[0]
    except pytest.skip.Exception:
        return MINE


@pytest.fixture(scope="module")
def offline_links(
    tmp_path_factory: pytest.TempPathFactory, uv_offline: dict[str, str]
) -> dict[str, str]:
    """uv offline, with a tiny `dagster` wheel beside the suite's: the lockless project's env
    then pins dagster as a real one would."""
    links = write_wheels(tmp_path_factory.mktemp("dagster-wheel"), {"dagster": [DAGSTER]})
    return {**uv_offline, "UV_FIND_LINKS": f"{uv_offline['UV_FIND_LINKS']},{links}"}


def _acme(root: Path, finance_python: str, variables: dict[str, str]) -> Path:
    """marketing: [tool.dg], a uv.lock, Python 3.12 from .python-version, an editable local
    library; finance: a dependency on dagster, no lock, Python from ws.toml, its env built;
    billing: a ws-defs project (not Dagster)."""
    marketing = root / "projects" / "marketing"
    marketing.mkdir(parents=True)
    sources = '\n[tool.uv.sources]\ncommon = { path = "../../libs/common", editable = true }\n'
    _dg_project(marketing, "marketing", extra=sources)
    text = (marketing / "pyproject.toml").read_text()
    (marketing / "pyproject.toml").write_text(text.replace('"dagster"]', '"dagster", "common"]'))
    (marketing / ".python-version").write_text("3.12\n")
    common = root / "libs" / "common"
    (common / "src" / "common").mkdir(parents=True)
    (common / "src" / "common" / "__init__.py").write_text("")
    (common / "pyproject.toml").write_text('[project]\nname = "common"\nversion = "0.1"\n')
    write_project(root / "projects" / "finance", "finance", dependencies=["dagster"])
    billing = root / "projects" / "billing"
    write_project(billing, "billing", dependencies=["ws-defs"])
    _ws_toml(
        root,
        [
            {"path": "projects/marketing"},
            {"path": "projects/finance", "python": finance_python},
            {"path": "projects/billing"},
        ],
    )
    sync(root, ["finance"], variables)
    return root


@pytest.fixture(scope="module")
def acme(
    tmp_path_factory: pytest.TempPathFactory, finance_python: str, offline_links: dict[str, str]
) -> Path:
    """The workspace, synced once; tests write under their own --out folder."""
    return _acme(tmp_path_factory.mktemp("acme"), finance_python, offline_links)


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    """A workspace of two locked Dagster projects and nothing to build: for tests that edit it."""
    root = tmp_path / "locked"
    _dg_project(root / "projects" / "marketing", "marketing")
    (root / "projects" / "marketing" / ".python-version").write_text("3.12\n")
    _dg_project(root / "projects" / "finance", "finance")
    (root / "projects" / "finance" / ".python-version").write_text("3.11\n")
    _ws_toml(root, [{"path": "projects/marketing"}, {"path": "projects/finance"}])
    return root


@pytest.mark.slow
def test_files_for_two_dagster_projects_on_two_pythons(
    acme: Path,
    finance_python: str,
    ws,  # type: ignore[no-untyped-def]
) -> None:
    result: WsResult = ws("export", "--out", "out/all", cwd=acme)

    assert result.code == 0, result
    assert "left out billing: not a Dagster project" in result.out
    files = _files(acme / "out" / "all")
    assert sorted(files) == [
        "dagster.Dockerfile",
        "dagster.Dockerfile.dockerignore",
        "dagster.yaml",
        "docker-compose.yml",
        "finance/Dockerfile",
        "finance/Dockerfile.dockerignore",
        "finance/requirements.txt",
        "marketing/Dockerfile",
        "marketing/Dockerfile.dockerignore",
        "values.yaml",
        "workspace.yaml",
    ]
    for name, text in files.items():
        target = {"workspace.yaml": "workspace", "values.yaml": "helm"}.get(name, "docker")
        if name.startswith(("dagster.", "docker-compose")):
            target = "compose"
        assert text.startswith(f"{HEADER}{target} --out out/all` at the workspace root"), name
        assert str(acme) not in text and str(Path.home()) not in text, name  # no path of here

    marketing = files["marketing/Dockerfile"]
    assert "FROM python:3.12-slim\n" in marketing
    assert (
        "COPY libs/common /app/libs/common\nCOPY projects/marketing /app/projects/marketing\n"
        in marketing
    )
    assert "WORKDIR /app/projects/marketing\n" in marketing
    assert "RUN uv sync --frozen --python /usr/local/bin/python\n" in marketing
    assert "requirements" not in marketing
    assert marketing.endswith(
        'CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", '
        '"-m", "marketing.definitions"]\n'
    )
    assert (
        "!libs/common\n!projects/marketing\n**/.venv\n"
        in files["marketing/Dockerfile.dockerignore"]
    )

    finance = files["finance/Dockerfile"]
    assert f"FROM python:{finance_python}-slim\n" in finance
    assert "COPY out/all/finance/requirements.txt /opt/requirements.txt\n" in finance
    assert "RUN uv pip install --no-deps -e /app/projects/finance\n" in finance
    assert "uv sync" not in finance
    assert '"-m", "finance.definitions"]' in finance
    pins = [line for line in files["finance/requirements.txt"].splitlines() if line[:1] != "#"]
    assert pins == [f"dagster=={DAGSTER}"]  # not finance itself, not ws-defs
    assert "!out/all/finance/requirements.txt\n" in files["finance/Dockerfile.dockerignore"]

    workspace = yaml.safe_load(files["workspace.yaml"])
    assert workspace == {
        "load_from": [
            {"grpc_server": {"host": n, "port": 4000, "location_name": n}}
            for n in ("marketing", "finance")
        ]
    }
    compose = yaml.safe_load(files["docker-compose.yml"])
    assert list(compose["services"]) == [
        "dagster-postgresql",
        "marketing",
        "finance",
        "dagster-webserver",
        "dagster-daemon",
    ]
    assert compose["services"]["marketing"]["build"] == {
        "context": "../..",
        "dockerfile": "out/all/marketing/Dockerfile",
    }
    assert compose["services"]["finance"]["image"] == "finance:0.1"
    assert compose["networks"]["dagster"]["name"] == "acme-data_dagster"
    dagster_image = files["dagster.Dockerfile"]
    assert f'"dagster=={DAGSTER}" "dagster-webserver=={DAGSTER}"' in dagster_image
    newest = max(["3.12", finance_python], key=lambda v: tuple(map(int, v.split("."))))
    assert f"FROM python:{newest}-slim\n" in dagster_image
    values = yaml.safe_load(files["values.yaml"])["dagster-user-deployments"]
    assert values["enabled"] is True
    assert [d["name"] for d in values["deployments"]] == ["marketing", "finance"]
    assert values["deployments"][0]["image"] == {
        "repository": "marketing",
        "tag": "0.2.0",
        "pullPolicy": "IfNotPresent",
    }

    again: WsResult = ws("export", "--out", "out/all", cwd=acme)
    assert again.code == 0 and "11 unchanged" in again.out, again


@pytest.mark.slow
def test_another_machine_writes_the_same_bytes(
    acme: Path,
    tmp_path: Path,
    offline_links: dict[str, str],
    ws,  # type: ignore[no-untyped-def]
) -> None:
    """A clone elsewhere, its own env built there: every file is byte for byte the same."""
    assert ws("export", "--out", "out/same", cwd=acme).code == 0
    clone = tmp_path / "elsewhere" / "acme"
    shutil.copytree(acme, clone, ignore=shutil.ignore_patterns(".venv", "out"))
    sync(clone, ["finance"], offline_links)

    result: WsResult = ws("export", "--out", "out/same", cwd=clone)

    assert result.code == 0, result
    assert _files(clone / "out" / "same") == _files(acme / "out" / "same")


def test_check_sees_project_edits_and_not_code_commits(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("export", cwd=locked).code == 0
    clean: WsResult = ws("export", "--check", cwd=locked)
    assert clean.code == 0 and "deploy/ is up to date" in clean.out, clean

    code = locked / "projects" / "marketing" / "src" / "marketing" / "assets.py"
    code.write_text("import dagster\n")  # a code commit: no file changes
    assert ws("export", "--check", cwd=locked).code == 0

    pyproject = locked / "projects" / "marketing" / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text + 'code_location_target_module = "marketing.defs"\n')  # new target
    (locked / "projects" / "finance" / ".python-version").write_text("3.13\n")  # new Python
    _lock(locked / "projects" / "finance", "finance", dagster="1.13.5")  # new lock
    before = _files(locked / "deploy")

    result: WsResult = ws("export", "--check", cwd=locked)

    assert result.code == 1, result
    assert _files(locked / "deploy") == before  # --check writes nothing
    differs = sorted(line.split()[-1] for line in result.out.splitlines() if "differs:" in line)
    assert differs == [
        "deploy/dagster.Dockerfile",  # the newest dagster and Python
        "deploy/finance/Dockerfile",  # its Python
        "deploy/marketing/Dockerfile",  # its target
        "deploy/values.yaml",  # marketing's codeServerArgs
    ]
    assert "out of date in deploy/; `ws export` rewrites them" in result.out
    assert ws("export", cwd=locked).code == 0
    files = _files(locked / "deploy")
    assert '"-m", "marketing.defs"]' in files["marketing/Dockerfile"]
    assert "FROM python:3.13-slim" in files["finance/Dockerfile"]
    assert '"dagster==1.13.5"' in files["dagster.Dockerfile"]


def test_files_of_a_project_no_longer_exported_are_stale_then_removed(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("export", cwd=locked).code == 0
    mine = locked / "deploy" / "finance" / "notes.txt"
    mine.write_text("a file of the user's, beside ws's\n")
    (locked / "deploy" / "README.md").write_text("ours\n")
    _ws_toml(locked, [{"path": "projects/marketing"}])

    check: WsResult = ws("export", "--check", cwd=locked)

    assert check.code == 1
    assert "would remove: deploy/finance/Dockerfile\n" in check.out
    assert "would remove: deploy/finance/Dockerfile.dockerignore\n" in check.out
    assert "notes.txt" not in check.out and "README" not in check.out
    done: WsResult = ws("export", cwd=locked)
    assert done.code == 0, done
    assert "removed deploy/finance/Dockerfile\n" in done.out
    assert sorted(p.name for p in (locked / "deploy" / "finance").iterdir()) == ["notes.txt"]
    assert (locked / "deploy" / "README.md").read_text() == "ours\n"
    assert ws("export", "--check", cwd=locked).code == 0


def test_a_file_ws_did_not_write_is_never_replaced(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (locked / "deploy").mkdir()
    (locked / "deploy" / "values.yaml").write_text("# the team's own values\n")

    result: WsResult = ws("export", cwd=locked)

    assert result.code == 2
    assert "deploy/values.yaml exists and ws did not write it" in result.err
    assert (locked / "deploy" / "values.yaml").read_text() == "# the team's own values\n"
    assert sorted(p.name for p in (locked / "deploy").iterdir()) == ["values.yaml"]


def test_targets_write_only_their_files_and_compose_what_it_builds(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    assert ws("export", "helm", cwd=locked).code == 0
    assert sorted(_files(locked / "deploy")) == ["values.yaml"]
    assert ws("export", "compose", cwd=locked).code == 0
    assert "workspace.yaml" in _files(locked / "deploy")
    assert "marketing/Dockerfile" in _files(locked / "deploy")
    bad: WsResult = ws("export", "kubernetes", cwd=locked)
    assert bad.code == 2 and "no target 'kubernetes'" in bad.err


def test_flags_name_images_and_the_command_that_rewrites(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    result: WsResult = ws("export", "--registry", "ghcr.io/acme/", "--tag", "2.0", cwd=locked)

    assert result.code == 0, result
    files = _files(locked / "deploy")
    assert files["values.yaml"].startswith(
        f"{HEADER}helm --registry ghcr.io/acme --tag 2.0` at the workspace root"
    )
    deployment = yaml.safe_load(files["values.yaml"])["dagster-user-deployments"]["deployments"][0]
    assert deployment["image"]["repository"] == "ghcr.io/acme/marketing"
    assert deployment["image"]["tag"] == "2.0"
    compose = yaml.safe_load(files["docker-compose.yml"])
    assert compose["services"]["finance"]["image"] == "ghcr.io/acme/finance:2.0"
    assert "-t ghcr.io/acme/marketing:2.0 ." in files["marketing/Dockerfile"]
    bad: WsResult = ws("export", "--registry", "GHCR.io/Acme", cwd=locked)
    assert bad.code == 2 and "not an image registry" in bad.err


def test_workspace_settings_registry_and_dagster(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    from ws.workspace import ws_toml

    keys: set[str] = getattr(ws_toml, "_WORKSPACE_KEYS", set())
    if not {"registry", "dagster"} <= keys:
        pytest.skip(
            "ws.toml does not accept [workspace] registry and dagster yet (_WORKSPACE_KEYS)"
        )
    _ws_toml(
        locked,
        [{"path": "projects/marketing"}, {"path": "projects/finance"}],
        head='registry = "ghcr.io/acme"\ndagster = "1.13.*"\n',
    )
    assert ws("export", cwd=locked).code == 0
    files = _files(locked / "deploy")
    assert "-t ghcr.io/acme/marketing:0.2.0 ." in files["marketing/Dockerfile"]
    assert '"dagster==1.13.*" "dagster-webserver==1.13.*"' in files["dagster.Dockerfile"]
    assert files["values.yaml"].startswith(f"{HEADER}helm` at")  # a setting, not a flag
    flag: WsResult = ws("export", "--registry", "registry.example:5000/data", cwd=locked)
    assert flag.code == 0
    values = yaml.safe_load((locked / "deploy" / "values.yaml").read_text())
    repository = values["dagster-user-deployments"]["deployments"][0]["image"]["repository"]
    assert repository == "registry.example:5000/data/marketing"


def test_a_lockless_project_needs_its_env_built_and_current(locked: Path, ws) -> None:  # type: ignore[no-untyped-def]
    (locked / "projects" / "finance" / "uv.lock").unlink()

    result: WsResult = ws("export", cwd=locked)

    assert result.code == 1, result
    assert "finance: it has no uv.lock, so its image installs what its env has" in result.err
    assert "not built yet; run `ws sync finance` first" in result.err
    files = _files(locked / "deploy")
    assert "marketing/Dockerfile" in files and "finance/Dockerfile" not in files
    values = yaml.safe_load(files["values.yaml"])["dagster-user-deployments"]
    assert [d["name"] for d in values["deployments"]] == ["marketing", "finance"]


def test_autoload_and_attribute_targets(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "targets"
    autoload = _dg_project(root / "auto", "auto")
    text = (autoload / "pyproject.toml").read_text()
    (autoload / "pyproject.toml").write_text(text + "autoload_defs = true\n")
    attribute = _dg_project(root / "attr", "attr")
    (attribute / "pyproject.toml").write_text(
        (attribute / "pyproject.toml").read_text() + '\n[tool.ws]\nattribute = "defs"\n'
    )
    (root / "other").mkdir()
    (root / "other" / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "1"\n')
    _ws_toml(
        root,
        [{"path": "auto", "python": "3.12"}, {"path": "attr", "python": "3.12"}, {"path": "other"}],
    )

    result: WsResult = ws("export", "helm", cwd=root)

    assert result.code == 0, result
    assert "left out other: not a Dagster project" in result.out
    values = yaml.safe_load((root / "deploy" / "values.yaml").read_text())
    args = [d["codeServerArgs"] for d in values["dagster-user-deployments"]["deployments"]]
    assert args == [
        ["--autoload-defs-module-name", "auto.defs"],
        ["-m", "attr.definitions", "-a", "defs"],
    ]


def test_a_dg_workspace_exports_with_flags_and_defaults(tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "dg"
    _dg_project(root / "projects" / "marketing", "marketing")
    (root / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n\n[[workspace.projects]]\n'
        'path = "projects/marketing"\n'
    )

    result: WsResult = ws("export", "--registry", "ghcr.io/acme", cwd=root)

    assert result.code == 0, result
    assert "this machine's pick for '>=3.10'" in result.out  # requires-python only: noted
    compose = yaml.safe_load((root / "deploy" / "docker-compose.yml").read_text())
    assert compose["networks"]["dagster"]["name"] == "dagster"  # no name in dg.toml
    assert compose["services"]["marketing"]["image"] == "ghcr.io/acme/marketing:0.2.0"


def test_out_must_be_a_folder_inside_the_workspace(locked: Path, tmp_path: Path, ws) -> None:  # type: ignore[no-untyped-def]
    outside: WsResult = ws("export", "--out", str(tmp_path / "elsewhere"), cwd=locked)
    assert outside.code == 2 and "outside the workspace" in outside.err
    root: WsResult = ws("export", "--out", ".", cwd=locked)
    assert root.code == 2 and "the workspace root" in root.err


def test_yaml_text_reads_back_as_written() -> None:
    document: dict[str, Any] = {
        "plain": "marketing",
        "quoted": ["yes", "no", "on", "null", "3.12", "-m", "0.0.0.0", "a b", "${X:-y}", "a:b"],
        "numbers": [4000, True, False, None],
        "empty": {"map": {}, "list": []},
        "nested": [{"name": "m", "args": ["-m", "x"]}, [1, 2]],
    }
    assert yaml.safe_load(dump_yaml(document)) == document


# --- what compose, the Helm chart's schema and Dagster make of the files -----------------------


@pytest.fixture
def exported(locked: Path, ws) -> Path:  # type: ignore[no-untyped-def]
    result: WsResult = ws("export", cwd=locked)
    assert result.code == 0, result
    return locked / "deploy"


def _compose_command() -> list[str]:
    """`docker compose` (the plugin) or Debian's `docker-compose`; skip, saying why, with neither."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.skip(
        "neither `docker compose` nor `docker-compose` is installed; .ci/run installs Debian's "
        "docker-compose so that CI checks the compose file"
    )


def test_compose_accepts_the_compose_file(exported: Path) -> None:
    command = [*_compose_command(), "-f", str(exported / "docker-compose.yml"), "config", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr


def test_each_deployment_is_valid_against_the_chart_schema(exported: Path) -> None:
    import jsonschema

    if not HELM_SCHEMA.is_file():
        pytest.skip(f"no copy of the chart's schema at {HELM_SCHEMA} (shared/dagster-helm)")
    schema = _any_kubernetes_type(json.loads(HELM_SCHEMA.read_text()))
    deployment = {"$defs": schema["$defs"], "$ref": "#/$defs/UserDeployment"}
    jsonschema.Draft202012Validator.check_schema(deployment)
    validator = jsonschema.Draft202012Validator(deployment)
    values = yaml.safe_load((exported / "values.yaml").read_text())
    chart = values["dagster-user-deployments"]
    assert chart["enabled"] is True
    assert len(chart["deployments"]) == 2
    for item in chart["deployments"]:
        errors = [error.message for error in validator.iter_errors(item)]
        assert errors == [], item
    broken = {**chart["deployments"][0], "port": "4000"}
    assert list(validator.iter_errors(broken)), "the schema check must be able to fail"


def _any_kubernetes_type(node: Any) -> Any:
    """The schema with each $ref to kubernetesjsonschema.dev dropped, so that it allows any
    value there: no machine here reaches that site (the schema's README says to do so)."""
    if isinstance(node, dict):
        return {
            key: _any_kubernetes_type(value)
            for key, value in node.items()
            if not (key == "$ref" and str(value).startswith("https://kubernetesjsonschema.dev"))
        }
    if isinstance(node, list):
        return [_any_kubernetes_type(item) for item in node]
    return node


@pytest.fixture(scope="module")
def dagster_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dagster from the registry, on the tested release line, in a venv of its own."""
    from uv import find_uv_bin

    env = tmp_path_factory.mktemp("dagster-export-env")
    uv = find_uv_bin()
    variables = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(env)], check=True, env=variables
    )
    install = [uv, "pip", "install", "--quiet", "--python", str(env / "bin" / "python")]
    install += ["-c", str(SAMPLES / "dagster-constraints.txt"), "dagster"]
    subprocess.run(install, check=True, env=variables)
    yield env / "bin" / "python"


@pytest.mark.network
def test_dagster_accepts_the_workspace_and_the_instance(exported: Path, dagster_env: Path) -> None:
    """Dagster's own loaders read workspace.yaml (grpc_server entries; no server needs to run)
    and dagster.yaml; its code server takes the arguments the Dockerfiles give it."""
    script = (
        "import json, sys\n"
        "from dagster._core.workspace.load import location_origins_from_yaml_paths\n"
        "from dagster._core.instance.config import dagster_instance_config\n"
        "origins = location_origins_from_yaml_paths([sys.argv[1] + '/workspace.yaml'])\n"
        "config, _ = dagster_instance_config(sys.argv[1])\n"
        "print(json.dumps({'origins': [[o.location_name, o.host, o.port] for o in origins],\n"
        "                  'instance': sorted(config)}))\n"
    )
    done = subprocess.run(
        [str(dagster_env), "-c", script, str(exported)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["origins"] == [["marketing", "marketing", 4000], ["finance", "finance", 4000]]
    assert answer["instance"] == ["run_coordinator", "run_launcher", "scheduler", "storage"]

    dagster = dagster_env.parent / "dagster"
    help_text = subprocess.run(
        [str(dagster), "code-server", "start", "--help"], capture_output=True, text=True, check=True
    ).stdout
    command = json.loads((exported / "marketing" / "Dockerfile").read_text().splitlines()[-1][4:])
    assert command[:3] == ["dagster", "code-server", "start"]
    for option in (word for word in command[3:] if word.startswith("-")):
        assert option in help_text, option
