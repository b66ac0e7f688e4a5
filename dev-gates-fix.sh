#!/usr/bin/env bash
# Bring the code gates of tests/test_gates.py to zero (config: pyproject.toml [tool.ruff], [tool.mypy]).
# Run after merging branches: ruff's safe fixes, the formatter, then what is left to fix by hand.
set -euo pipefail
cd "$(dirname "$0")"
PY=.venv/bin/python
$PY -m ruff check --fix .          # safe fixes only (imports, unused noqa, ...)
$PY -m ruff format .               # rewrites files: commit it separately ("ruff format, no other change")
echo "== left for hand fixes (ruff):"; $PY -m ruff check --output-format concise . || true
echo "== left for hand fixes (mypy):"; $PY -m mypy || true
