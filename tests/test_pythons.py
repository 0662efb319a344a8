"""Interpreter discovery, probing, the probe cache, and what a request like `3.12` picks.

Every test runs on a fake machine (`FakeMachine`): pyenv, uv, asdf and mise trees, PATH and
WS_PYTHONS all point into tmp_path, and the system folders are not scanned. Fake installs are
symlinks to, or small scripts around, real interpreters, so probes are real runs.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from backend.machines import MINE, PYENV_VERSIONS, REAL, FakeMachine, real_pyenv

from ws.errors import ConfigError, NoInterpreterFound, WsError
from ws.pythons import discovery as pythons
from ws.pythons import probe as _probe
from ws.pythons.discovery import Interpreter
from ws.pythons.requests import Resolver, find_interpreter, parse_request, resolve_python

SLEEP = shutil.which("sleep") or "/bin/sleep"  # looked up before a test narrows PATH
TRUE = shutil.which("true") or "/bin/true"


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeMachine:
    return FakeMachine(tmp_path / "machine", monkeypatch)


def interp(version: str, source: str = "pyenv", supported: bool = True, **kw: str) -> Interpreter:
    exe = kw.pop("executable", f"/opt/{source}/{version}/bin/python3")
    impl = kw.pop("implementation", "CPython")
    return Interpreter(
        exe, version, impl, "x86_64", source, supported, None if supported else "old"
    )


# Discovery ------------------------------------------------------------------------------------


def test_every_source_is_scanned_in_order(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = machine.root / "usr-bin"
    monkeypatch.setattr(pythons, "SYSTEM_DIRS", (str(system),))
    expected = [
        (machine.wrapper(machine.root / "explicit" / "python"), "explicit"),
        (machine.wrapper(machine.bin / "python3.11"), "PATH"),
        (machine.wrapper(machine.pyenv_root / "versions" / "3.11.0" / "bin" / "python3"), "pyenv"),
        (machine.wrapper(machine.root / "uv/cpython-3.11.0-linux-x86_64-gnu/bin/python3"), "uv"),
        (machine.wrapper(machine.root / "asdf/installs/python/3.11.0/bin/python3"), "asdf"),
        (machine.wrapper(machine.root / "mise/installs/python/3.11.0/bin/python3"), "mise"),
        (machine.wrapper(system / "python3"), "system"),
    ]
    machine.explicit(monkeypatch, expected[0][0])
    found = pythons.discover_interpreters()
    assert [(Path(i.executable), i.source) for i in found][:-1] == expected
    assert found[-1].source == "running"  # the fakes are scripts, so ws's own is not among them
    assert {i.version for i in found} == {MINE}
    assert all(i.supported and i.implementation == "CPython" for i in found)


def test_default_locations_under_home(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYENV_ROOT", "UV_PYTHON_INSTALL_DIR", "ASDF_DATA_DIR", "MISE_DATA_DIR"):
        monkeypatch.delenv(name)
    monkeypatch.delenv("XDG_DATA_HOME")
    home = Path(os.environ["HOME"])
    expected = [
        (machine.wrapper(home / ".pyenv/versions/3.11.0/bin/python3"), "pyenv"),
        (machine.wrapper(home / ".local/share/uv/python/cpython-3.11.0-x/bin/python3"), "uv"),
        (machine.wrapper(home / ".asdf/installs/python/3.11.0/bin/python3"), "asdf"),
        (machine.wrapper(home / ".local/share/mise/installs/python/3.11.0/bin/python3"), "mise"),
    ]
    machine.script(home / ".local/share/uv/python/.lock", "")  # uv's bookkeeping: not an install
    found = pythons.discover_interpreters()
    assert [(Path(i.executable), i.source) for i in found if i.source != "running"] == expected


def test_one_entry_per_real_file_named_as_found(machine: FakeMachine) -> None:
    python = real_pyenv("3.12")
    first = machine.link(machine.bin / "python3.12", python)
    machine.link(machine.bin / "python3", first)
    machine.link(machine.pyenv_root / "versions" / "3.12.1" / "bin" / "python3", python)
    machine.link(machine.root / "uv/cpython-3.12.1-linux-x86_64-gnu/bin/python3", python)
    found = [i for i in pythons.discover_interpreters() if i.source != "running"]
    assert len(found) == 1
    assert found[0].source == "PATH" and found[0].version.startswith("3.12.")
    assert found[0].executable in (str(machine.bin / "python3"), str(first))  # not resolved


def test_the_running_interpreter_is_not_listed_twice(machine: FakeMachine) -> None:
    machine.link(machine.pyenv_root / "versions" / MINE / "bin" / "python3", REAL)
    found = pythons.discover_interpreters()
    assert [(i.source, i.version) for i in found] == [("pyenv", MINE)]


def test_a_folder_on_path_twice_is_listed_once(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /bin is a link to /usr/bin on most systems, and both are on PATH and among the system folders
    machine.link(machine.bin / "python3", REAL)
    alias = machine.root / "alias-bin"
    alias.symlink_to(machine.bin)
    monkeypatch.setenv("PATH", os.pathsep.join([str(machine.bin), str(alias), str(machine.bin)]))
    monkeypatch.setattr(pythons, "SYSTEM_DIRS", (str(alias),))
    listed: list[str] = []
    real_listdir = os.listdir

    def counting(folder: str | Path) -> list[str]:
        listed.append(str(folder))
        return real_listdir(folder)

    monkeypatch.setattr(pythons.os, "listdir", counting)
    found = pythons.discover_interpreters()
    assert [i.source for i in found] == ["PATH"]
    assert listed.count(str(machine.bin)) + listed.count(str(alias)) == 1


def test_shims_are_never_run(machine: FakeMachine, monkeypatch: pytest.MonkeyPatch) -> None:
    pyenv_shims = machine.pyenv_root / "shims"
    other_shims = machine.root / "asdf" / "shims"
    mise_shims = machine.root / "mise" / "shims"
    machine.wrapper(pyenv_shims / "python3")
    machine.wrapper(other_shims / "python3.12")
    machine.link(mise_shims / "python3", TRUE)  # -> mise binary
    kept = machine.link(machine.root / "tools" / "shims" / "python3", REAL)  # a real interpreter
    monkeypatch.setenv(
        "PATH", os.pathsep.join(map(str, (pyenv_shims, other_shims, mise_shims, kept.parent)))
    )
    found = pythons.discover_interpreters()
    assert [(i.executable, i.source) for i in found] == [(str(kept), "PATH")]
    assert machine.runs() == []


def test_a_hanging_interpreter_is_skipped_within_the_timeout(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_probe, "PROBE_TIMEOUT", 1.0)
    hanging = machine.script(machine.root / "hang" / "python3", f'exec "{SLEEP}" 60\n')
    good = machine.wrapper(machine.bin / "python3")
    machine.explicit(monkeypatch, hanging)
    started = time.monotonic()
    found = pythons.discover_interpreters()
    assert time.monotonic() - started < 5
    assert [i.executable for i in found if i.source != "running"] == [str(good)]


def test_crashing_and_babbling_interpreters_are_skipped(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    crash = machine.script(
        machine.root / "crash" / "python3", "echo 'Segmentation fault' >&2\nexit 139\n"
    )
    babble = machine.script(machine.root / "babble" / "python3", "echo hello\n")
    machine.explicit(monkeypatch, crash, babble)
    with caplog.at_level("DEBUG", logger="ws"):
        found = pythons.discover_interpreters()
    assert [i.source for i in found] == ["running"]
    assert f"skipping {crash}: exit code 139: Segmentation fault" in caplog.text
    assert f"skipping {babble}" in caplog.text


def test_old_pythons_are_listed_unsupported_and_never_chosen(machine: FakeMachine) -> None:
    py27, py36 = real_pyenv("2.7"), real_pyenv("3.6")
    machine.link(machine.pyenv_root / "versions" / "2.7.18" / "bin" / "python", py27)
    machine.link(machine.pyenv_root / "versions" / "3.6.15" / "bin" / "python3", py36)
    found = pythons.discover_interpreters()
    old = [i for i in found if i.source == "pyenv"]
    assert [i.version_tuple[:2] for i in old] == [(2, 7), (3, 6)]  # natural order of folders
    assert not any(i.supported for i in old)
    assert all(i.reason == "ws needs Python 3.8 or newer" for i in old)
    assert find_interpreter("3", "test", found).source == "running"
    with pytest.raises(NoInterpreterFound, match=r"Python 2\.7\.\d+ is installed \(pyenv\) but"):
        find_interpreter("2.7", "test", found)
    with pytest.raises(NoInterpreterFound, match=r"which ws cannot use: ws needs Python 3\.8"):
        find_interpreter(str(py36), "test")


def test_real_pyenv_versions_report_their_versions(machine: FakeMachine) -> None:
    real = [exe for exe in PYENV_VERSIONS.glob("*/bin/python3") if exe.exists()]
    if not real:
        pytest.skip(f"no CPython under {PYENV_VERSIONS}")
    for exe in real:
        machine.link(machine.pyenv_root / "versions" / exe.parent.parent.name / "bin/python3", exe)
    found = {i.version: i for i in pythons.discover_interpreters() if i.source == "pyenv"}
    assert set(found) == {exe.parent.parent.name for exe in real}
    for version, interpreter in found.items():
        assert interpreter.supported == (interpreter.version_tuple >= (3, 8)), version
        assert interpreter.architecture == os.uname().machine


# The probe cache ------------------------------------------------------------------------------


def test_a_warm_cache_runs_no_interpreter(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine.wrapper(machine.bin / "python3")
    machine.wrapper(machine.pyenv_root / "versions" / "3.11.0" / "bin" / "python3")
    first = pythons.discover_interpreters()
    assert len(machine.runs()) == 2

    def no_runs(executable: str) -> _probe.ProbeInfo:
        raise AssertionError(f"probed {executable} again")

    monkeypatch.setattr(_probe, "probe", no_runs)
    assert pythons.discover_interpreters() == first
    assert len(machine.runs()) == 2
    cache = (machine.cache / "pythons.json").read_text()
    assert '"version": 1' in cache


def test_a_changed_file_or_refresh_probes_again(machine: FakeMachine) -> None:
    exe = machine.wrapper(machine.bin / "python3")
    pythons.discover_interpreters()
    pythons.discover_interpreters()
    assert len(machine.runs()) == 1
    stat = exe.stat()
    os.utime(exe, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    pythons.discover_interpreters()
    assert len(machine.runs()) == 2
    pythons.discover_interpreters(refresh=True)
    assert len(machine.runs()) == 3


def test_a_failed_probe_is_remembered_for_a_while(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = machine.script(
        machine.root / "crash" / "python3", f'echo x >> "{machine.log}"\nexit 1\n'
    )
    machine.explicit(monkeypatch, crash)
    pythons.discover_interpreters()
    pythons.discover_interpreters()
    assert len(machine.runs()) == 1
    monkeypatch.setattr(_probe, "RETRY_FAILED_AFTER", 0.0)
    pythons.discover_interpreters()
    assert len(machine.runs()) == 2


def test_a_damaged_cache_is_ignored(machine: FakeMachine) -> None:
    machine.wrapper(machine.bin / "python3")
    machine.cache.mkdir()
    (machine.cache / "pythons.json").write_text("{not json")
    assert [i.source for i in pythons.discover_interpreters()] == ["PATH", "running"]
    assert len(machine.runs()) == 1


# Requests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "implementation", "version", "specifier"),
    [
        ("3", None, (3,), None),
        ("3.12", None, (3, 12), None),
        (" 3.12.1 ", None, (3, 12, 1), None),
        ("cpython3.11", "cpython", (3, 11), None),
        ("cpython-3.11", "cpython", (3, 11), None),
        ("CPython3.11", "cpython", (3, 11), None),
        ("python3.11", None, (3, 11), None),
        ("pypy3.10", "pypy", (3, 10), None),
        (">=3.10,<3.13", None, (), ">=3.10,<3.13"),
        ("~=3.11", None, (), "~=3.11"),
        ("==3.12.*", None, (), "==3.12.*"),
    ],
)
def test_request_forms(
    text: str, implementation: str | None, version: tuple[int, ...], specifier: str | None
) -> None:
    request = parse_request(text, "--python")
    assert (request.implementation, request.version, request.specifier, request.path) == (
        implementation,
        version,
        specifier,
        None,
    )
    assert request.origin == "--python" and request.text == text


def test_path_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parse_request("/opt/py/bin/python3", "o").path == "/opt/py/bin/python3"
    assert parse_request("venv/bin/python", "o").path == str(tmp_path / "venv/bin/python")
    assert parse_request("~/py/python", "o").path == str(tmp_path / "home/py/python")


@pytest.mark.parametrize(
    "text", ["", "banana", "3.x", "3.12.1.4", ">=banana", "cpython", "jython3.1"]
)
def test_bad_requests_name_their_origin_and_the_forms(text: str) -> None:
    origin = "projects/finance/.python-version"
    with pytest.raises(ConfigError) as caught:
        parse_request(text, origin)
    message = str(caught.value)
    assert message.startswith(f"{origin}: {text!r} is not a Python request")
    assert "`3.12`" in message and "`>=3.10,<3.13`" in message and "`cpython3.11`" in message
    assert caught.value.exit_code == 2


def test_newest_supported_match_wins_ties_by_source_order() -> None:
    pool = [
        interp("3.12.1", "PATH"),
        interp("3.13.0rc2", "uv"),
        interp("3.12.3", "uv"),
        interp("3.12.3", "pyenv"),
        interp("3.13.0", "pyenv"),
        interp("3.14.0", "pyenv", supported=False),
        interp("3.11.9", "mise", implementation="PyPy"),
        interp("3.10.4", "asdf"),
    ]

    def pick(text: str) -> Interpreter:
        return find_interpreter(text, "test", pool)

    assert (pick("3.12").version, pick("3.12").source) == ("3.12.3", "uv")
    assert pick("3.12.1").version == "3.12.1"
    assert pick("3").version == "3.13.0"  # the final release above its candidates; 3.14 unusable
    assert pick("3.13").version == "3.13.0"
    assert pick(">=3.10,<3.13").version == "3.12.3"
    assert pick("<3.12").version == "3.11.9"
    assert pick("3.10").source == "asdf"
    assert pick("pypy3").implementation == "PyPy"
    assert pick("cpython3").version == "3.13.0"
    with pytest.raises(NoInterpreterFound):
        pick("cpython3.11")


def test_no_match_names_request_origin_found_versions_and_fix() -> None:
    pool = [interp("3.12.1", "pyenv"), interp("3.7.16", "pyenv", supported=False)]
    with pytest.raises(NoInterpreterFound) as caught:
        find_interpreter("3.13", "ws.toml (project projects/finance)", pool)
    message = str(caught.value)
    assert "'3.13' (ws.toml (project projects/finance))" in message
    assert "found: 3.12.1 (pyenv), 3.7.16 (pyenv, unsupported)" in message
    assert "`pyenv install 3.13`" in message and "`uv python install 3.13`" in message
    assert "WS_PYTHONS" in message
    assert isinstance(caught.value, WsError) and caught.value.exit_code == 1
    with pytest.raises(NoInterpreterFound, match=r"found: none.*`uv python install '>=3\.13'`"):
        find_interpreter(">=3.13", "--python", [])


def test_a_path_request_probes_that_file(machine: FakeMachine) -> None:
    exe = machine.wrapper(machine.root / "elsewhere" / "python")
    found = find_interpreter(str(exe), "--python")
    assert (found.executable, found.source, found.version) == (str(exe), "explicit", MINE)
    assert machine.runs() == [str(exe)]
    known = interp(MINE, "pyenv", executable=str(exe))
    assert find_interpreter(str(exe), "--python", [known]) is known
    assert parse_request(str(exe), "o").matches(known)
    with pytest.raises(NoInterpreterFound, match="which is not a file"):
        find_interpreter(str(machine.root / "nowhere" / "python"), "--python")


def test_resolve_python(machine: FakeMachine) -> None:
    running = resolve_python(None)
    assert running.source == "running" and running.version == MINE and running.supported
    assert os.path.realpath(running.executable) == REAL
    pool = [interp("3.12.1"), interp("3.10.2")]
    assert resolve_python(("3.10", "o"), pool).version == "3.10.2"
    assert re.fullmatch(r"\d+\.\d+\.\d+", resolve_python((MINE, "o")).version)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ((3, 12, 1, "final", 0), "3.12.1"),
        ((3, 14, 0, "alpha", 3), "3.14.0a3"),
        ((3, 13, 0, "candidate", 1), "3.13.0rc1"),
    ],
)
def test_versions_are_spelled_as_pep_440(info: tuple[object, ...], expected: str) -> None:
    assert _probe.pep440_version(info) == expected


def test_one_resolver_scans_the_machine_once_and_only_when_a_request_needs_it(
    machine: FakeMachine,
) -> None:
    """sync, `ws list projects`, `ws python list` and `ws run` resolve through one `Resolver`."""
    machine.wrapper(machine.pyenv_root / "versions" / MINE / "bin" / "python3")
    resolver = Resolver()
    assert resolver.resolve(None).source == "running"
    assert machine.runs() == []  # the interpreter running ws needs no scan nor probe
    first = resolver.resolve((MINE, "o"))
    second = resolver.resolve((f">={MINE}", "o"))
    assert first == second and first.source == "pyenv"
    assert len(machine.runs()) == 1  # one scan, one probe, for both requests
    given = Resolver([interp("3.10.2")])
    assert given.resolve(("3.10", "o")).version == "3.10.2"
    assert len(machine.runs()) == 1  # the interpreters given are the pool: nothing scanned


def test_a_request_only_too_old_interpreters_fit_says_they_are_installed_and_too_old() -> None:
    pool = [interp("3.12.1"), interp("3.7.16", supported=False), interp("3.9.2", "uv")]
    with pytest.raises(NoInterpreterFound) as caught:
        find_interpreter("3.7", "projects/old37/.python-version", pool)
    assert str(caught.value) == (
        "no Python interpreter ws can use matches '3.7' (projects/old37/.python-version): "
        "Python 3.7.16 is installed (pyenv) but project envs need 3.8 or newer (ws's loader runs "
        "in the env); ask for 3.8+ (usable here: 3.12.1, 3.9.2)."
    )
    pool += [interp("3.6.15", "uv", supported=False)]
    with pytest.raises(
        NoInterpreterFound, match=r"Python 3\.7\.16 \(pyenv\) and 3\.6\.15 \(uv\) are"
    ):
        find_interpreter("<3.8", "o", pool)


def test_a_request_only_broken_interpreters_fit_gives_their_reason() -> None:
    broken = Interpreter(
        "/opt/x/python3", "3.12.2", "CPython", "x86_64", "pyenv", False, "its stdlib is broken"
    )
    with pytest.raises(NoInterpreterFound) as caught:
        find_interpreter("3.12", "o", [broken, interp("3.11.1")])
    assert str(caught.value) == (
        "no Python interpreter ws can use matches '3.12' (o): Python 3.12.2 is installed (pyenv) "
        "but ws cannot use it (3.12.2: its stdlib is broken); repair it or ask for another "
        "version (usable here: 3.11.1)."
    )


def test_add_warns_when_no_interpreter_here_fits_its_python(
    machine: FakeMachine, tmp_path: Path, ws
) -> None:  # type: ignore[no-untyped-def]
    """Added all the same (the interpreter may come later), with one line saying what is here."""
    machine.wrapper(machine.pyenv_root / "versions" / MINE / "bin" / "python3")
    root = tmp_path / "acme"
    assert ws("init", str(root)).code == 0
    result = ws("add", "later", "--python", "9.9", cwd=root)
    assert result.code == 0 and "Scaffolded project later" in result.out, result
    assert result.err == (
        f"warning: no installed interpreter matches '9.9' (found: {MINE}); `ws sync` will fail "
        "for later until one is installed.\n"
    )
    assert 'path = "projects/later"' in (root / "ws.toml").read_text()
    runs = len(machine.runs())
    fine = ws("add", "now", "--python", MINE.rsplit(".", 1)[0], cwd=root)
    assert fine.code == 0 and fine.err == "", fine
    assert len(machine.runs()) == runs  # the probe cache answered: `ws add` stays fast


def test_add_and_sync_say_an_old_python_is_installed_but_too_old(
    machine: FakeMachine, tmp_path: Path, ws
) -> None:  # type: ignore[no-untyped-def]
    py37 = real_pyenv("3.7")
    version = py37.parent.parent.name
    machine.link(machine.pyenv_root / "versions" / version / "bin" / "python3", py37)
    root = tmp_path / "acme"
    assert ws("init", str(root)).code == 0
    too_old = (
        f"Python {version} is installed (pyenv) but project envs need 3.8 or newer (ws's "
        "loader runs in the env); ask for 3.8+"
    )
    added = ws("add", "old37", "--python", "3.7", cwd=root)
    assert added.code == 0 and added.err.startswith("warning: ") and too_old in added.err
    synced = ws("sync", "old37", cwd=root)
    assert synced.code == 1 and too_old in synced.err and "pyenv install" not in synced.err
