"""Shared test setup: a clean, offline, deterministic environment for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SMP_SHARED_DIR") or ROOT.parent / "shared")
SEED_EXAMPLES = SHARED / "seed-examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The project's own configs in the original framework's layout and idioms: the same behaviours as the seed examples,
# available in every clone (CI's build has no ../shared).
OWN_EXAMPLES = FIXTURES / "original_shape"

HAS_SEED_EXAMPLES = SEED_EXAMPLES.is_dir()
SEED_SKIP_REASON = (
    f"needs the original framework's example files at {SEED_EXAMPLES} (absent in this clone; "
    "tests/fixtures/original_shape covers the same behaviours)"
)
# Mark a test (or a module: pytestmark = requires_shared) that reads ../shared: it skips, with the reason shown
# by pytest -ra, when the folder is absent.
requires_shared = pytest.mark.skipif(not HAS_SEED_EXAMPLES, reason=SEED_SKIP_REASON)

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


def own_example_sets() -> dict[str, list[str]]:
    """The project's own example projects in the original's shape: config globs relative to OWN_EXAMPLES."""
    return {
        "housing": ["examples/housing/conf/conf.yaml"],
        "churn": ["examples/churn/conf/conf.yaml"],
        "summarize": ["examples/summarize/conf/conf.yaml"],
        "two-models": ["examples/two-models/*/conf/conf-two-models.yaml"],
        "housing+framework-conf": ["examples/housing/conf/conf.yaml", "framework/conf/conf.yaml"],
    }
