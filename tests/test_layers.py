"""The house's shape: packages import only downward, and no module imports itself in a circle.

Every import counts, those inside functions too (they are how no-op commands stay fast, and
they hide circles just as well). Read from the source with `ast`; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# cli -> dev -> deploy -> loading -> envs -> workspace, pythons -> base (DESIGN.md, "Layout").
RANK = {
    "cli": 7,
    "__main__": 8,
    "dev": 6,
    "deploy": 5,
    "loading": 4,
    "envs": 3,
    "workspace": 2,
    "pythons": 2,
    "errors": 1,
    "process": 1,
    "files": 1,
    "__init__": 1,
    # Leaves under the base: they import nothing of ws, and the base itself uses them.
    "digest": 0,
    "log": 0,
}
# Side by side, one way only: `ws add --python` has the request checked where it is recorded.
SIDEWAYS = {("workspace", "pythons")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, relative: bool = True) -> set[str]:
    """Every `ws...` module `path` imports, at any depth of the file (`relative`: also those
    named relative to its package)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and not relative:
                continue
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "ws" or m.startswith("ws.")}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (SRC / "ws").rglob("*.py") if "_shim" not in p.parts}
    return {
        name: {m for m in _imports(path) if m in files and m != name}
        for name, path in files.items()
    }


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def test_packages_import_only_downward() -> None:
    wrong = []
    for module, targets in sorted(_graph().items()):
        here = _layer(module)
        for target in sorted(targets):
            there = _layer(target)
            if there == here or (here, there) in SIDEWAYS:
                continue
            if RANK[there] >= RANK[here]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_circle_anywhere() -> None:
    graph = _graph()
    circles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in trail:
                circles.append([*trail[trail.index(target) :], target])
            elif target not in done:
                visit(target, [*trail, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert circles == []


@pytest.mark.parametrize("folder", ["ws/_shim", "ws_defs"])
def test_code_that_runs_in_project_envs_imports_nothing_of_ws(folder: str) -> None:
    for path in (SRC / folder).rglob("*.py"):
        assert _imports(path, relative=False) == set(), path
