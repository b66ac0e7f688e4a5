"""Shared test setup: a clean, offline, deterministic environment for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SMP_SHARED_DIR", ROOT.parent / "shared"))
SEED_EXAMPLES = SHARED / "seed-examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _no_framework_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own SMP_* variables must not change test results."""
    for name in list(os.environ):
        if name.startswith("SMP_"):
            monkeypatch.delenv(name)


def seed_example_sets() -> dict[str, list[str]]:
    """Each example project of the original framework: its config globs relative to seed-examples/."""
    return {
        "tf": ["examples/tf/conf/conf.yaml"],
        "lgbm": ["examples/lgbm/conf/conf.yaml"],
        "llm-text-summarization": ["examples/llm-text-summarization/conf/conf.yaml"],
        "multi-model": ["examples/multi-model-example/*/conf/conf-multi-model.yaml"],
        "tf+framework-conf": ["examples/tf/conf/conf.yaml", "framework/conf/conf.yaml"],
    }
