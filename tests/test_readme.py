"""README.md stays true: its test command is what CI runs, its demo command exists."""

from __future__ import annotations

import re

from conftest import REPO


def _first_command_after(heading: str, text: str) -> str:
    block = re.search(re.escape(heading) + r".*?```bash\n(.*?)\n```", text, re.DOTALL)
    assert block, f"README.md has no bash block after {heading!r}"
    return block[1].strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    command = _first_command_after("**Tests**", readme)
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert command in ci_lines, f".ci/run does not run the README's test command: {command}"


def test_the_readme_demo_command_is_there() -> None:
    readme = (REPO / "README.md").read_text()
    assert readme.index("**Demo**") < readme.index("**Tests**") < readme.index("## Using ws")
    command = _first_command_after("**Demo**", readme)
    assert command == "bash scripts/demo.sh"
    script = (REPO / "scripts" / "demo.sh").read_text()
    for step in ("init", "--example", "sync", "list projects", "list defs"):
        assert step in script


def test_readme_lists_every_ws_dev_event() -> None:
    from typing import get_args

    from ws.dev.events import EventKind

    text = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [kind for kind in get_args(EventKind) if f"| `{kind}` |" not in text]
    assert missing == []
