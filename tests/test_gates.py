"""Code gates, part of `./dev test`: ruff (lint and format) and mypy report zero, with pyproject.toml's config.

To fix locally: `./dev-gates-fix.sh` (ruff's own fixes and the formatter), then the remaining findings by hand.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _tool(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    probe = subprocess.run([sys.executable, "-m", args[0], "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(
            f"{args[0]} is not installed in {sys.prefix}: run ./dev setup (it is pinned in requirements-dev.txt)"
        )
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_lint_is_clean() -> None:
    result = _tool("ruff", "check", "--no-fix", "--output-format", "concise", ".")
    assert result.returncode == 0, f"ruff check found:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"


def test_ruff_format_changes_nothing() -> None:
    result = _tool("ruff", "format", "--check", ".")
    assert result.returncode == 0, f"ruff format would rewrite (run ruff format .):\n{result.stdout[-6000:]}"


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    """The package and app.py, with pyproject.toml's [tool.mypy] (incremental: .mypy_cache makes re-runs fast)."""
    result = _tool("mypy")
    assert result.returncode == 0, f"mypy found:\n{result.stdout[-8000:]}{result.stderr[-2000:]}"
