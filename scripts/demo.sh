#!/usr/bin/env bash
# The README's demo: install ws into .venv, make a workspace with two example projects on two
# Python versions (the two newest installed), build their environments, and show what they define.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
demo="${1:-$repo/demo}"
python3 -m venv "$repo/.venv"
"$repo/.venv/bin/pip" install -q -e "$repo"
ws="$repo/.venv/bin/ws"
if [ ! -f "$demo/ws.toml" ]; then
  "$ws" init "$demo" --name demo --example
fi
cd "$demo"
"$ws" sync
"$ws" list projects
"$ws" list defs
"$ws" check
