"""Golden files: each bundled and seed example compiles to a checked-in definition and manifest.

A change to the compiler's output shows up as a diff of tests/golden/. After a deliberate change:
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/compiler/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os

import pytest

from constructs_lib.compiler.contract import check_definition
from constructs_lib.compiler.facade import render
from tests.unit.compiler.conftest import CASES, GOLDEN


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_matches_golden(compiled_cases, case) -> None:
    definition, manifest = render(compiled_cases[case])
    folder = GOLDEN / case
    if os.environ.get("UPDATE_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "definition.json").write_text(definition)
        (folder / "manifest.json").write_text(manifest)
    assert definition == (folder / "definition.json").read_text()
    assert manifest == (folder / "manifest.json").read_text()


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_step_passes_botocore_request_validation(compiled_cases, case) -> None:
    """Each step's Arguments is a valid request of its SageMaker API call (botocore's shapes)."""
    assert [str(p) for p in check_definition(compiled_cases[case].definition)] == []


def test_golden_folder_has_no_stale_case() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) == sorted(CASES)
