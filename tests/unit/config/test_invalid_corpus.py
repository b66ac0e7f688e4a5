"""Each invalid config in tests/fixtures/invalid/ is rejected with exactly the pinned messages.

A case is a directory: the YAML files, ``case.json`` (description, optional environment) and ``expected.txt``
(the exact stderr). ``tests/fixtures/regen_expected.sh`` rewrites expected.txt after a deliberate change.
"""

from __future__ import annotations

import json

import pytest

from constructs_lib.cli import main
from tests.conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_config_is_rejected_with_expected_message(case, capsys, monkeypatch) -> None:
    meta = json.loads((case / "case.json").read_text())
    for name, value in meta.get("env", {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(case)
    before = sorted(p.name for p in case.iterdir())
    assert main(["validate", "--config", "*.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (case / "expected.txt").read_text()
    assert "Traceback" not in captured.err
    assert sorted(p.name for p in case.iterdir()) == before, "nothing is written on error"


def test_every_problem_line_has_location_and_key_path() -> None:
    """Format contract: `path:line:col: key.path: message` for file problems."""
    import re

    pattern = re.compile(r"^[^:]+\.yaml:\d+:\d+: (conf[\w.\[\]-]*: )?\S.*$|^environment: SMP_\w+: \S.*$")
    for case in CASES:
        lines = (case / "expected.txt").read_text().splitlines()
        assert lines[-1].endswith("nothing was written.")
        for line in lines[:-1]:
            assert pattern.match(line), (case.name, line)
