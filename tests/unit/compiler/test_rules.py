"""Each compiler rule (run-time checks): one compliant and one non-compliant project, through the rule alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from constructs_lib.compiler.context import CompileContext
from constructs_lib.compiler.rules import RULES
from constructs_lib.config.loader import load_project
from constructs_lib.graph.builder import build_graph
from tests.conftest import FIXTURES

FULL = yaml.safe_load((FIXTURES / "valid" / "full" / "conf.yaml").read_text())


def _project(tmp_path: Path, change: Callable[[dict, Path], None] | None = None) -> CompileContext:
    data = copy.deepcopy(FULL)
    (tmp_path / "scripts").mkdir(parents=True)
    if change:
        change(data, tmp_path)
    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    project = load_project(["conf.yaml"], cwd=tmp_path, environ={})
    return CompileContext(project=project, graph=build_graph(project), bindings=None, session=None, assets=None)


def _models(data: dict) -> dict:
    return data["conf"]["models"]


def _extra_model(data: dict, root: Path) -> None:
    _models(data)["spare"] = copy.deepcopy(_models(data)["churn"])


def _volume_size(data: dict, root: Path) -> None:
    _models(data)["churn"]["transform"]["volume_size"] = 30


def _requirements(data: dict, root: Path) -> None:
    (root / "scripts" / "requirements.txt").write_text("pandas\n")


def _requirements_and_wheels(data: dict, root: Path) -> None:
    _requirements(data, root)
    (root / "scripts" / "wheelhouse").mkdir()


def _isolate(data: dict, root: Path) -> None:
    _models(data)["churn"]["train"]["network_isolation"] = True


def _subfolder(imports: str) -> Callable[[dict, Path], None]:
    def change(data: dict, root: Path) -> None:
        (root / "scripts" / "prep").mkdir()
        (root / "scripts" / "prep" / "helper.py").write_text("X = 1\n")
        (root / "scripts" / "prep" / "run.py").write_text(imports)
        _models(data)["churn"]["preprocess"]["entry_point"] = "prep/run.py"

    return change


#: rule id -> (change making a compliant project, change making a non-compliant one, text of its message)
CASES = {
    "SMP-C1": (None, _extra_model, "model 'spare' is not in the pipeline"),
    "SMP-C2": (None, _volume_size, "transform.volume_size has no effect"),
    "SMP-C3": (_requirements_and_wheels, _requirements, "installed from PyPI at job start"),
    "SMP-C6": (
        lambda d, root: (_requirements_and_wheels(d, root), _isolate(d, root)),
        lambda d, root: (_requirements(d, root), _isolate(d, root)),
        "the train job runs with network isolation and reaches no package index",
    ),
    "SMP-C5": (
        None,
        lambda d, root: _models(d)["churn"].update(
            tune={
                "objective_metric_name": "m",
                "objective_metric_regex": "m=(.*)",
                "ranges": {"depth": {"type": "Integer", "min_value": 1, "max_value": 3}},
            }
        ),
        "has no Tuning step",
    ),
    "SMP-C4": (
        _subfolder("from prep import helper\n"),
        _subfolder("import helper\n"),
        "imports 'helper', a module beside it",
    ),
}


def _findings(tmp_path: Path, change, rule_id: str) -> list[str]:
    ctx = _project(tmp_path, change)
    next(r for r in RULES if r.id == rule_id).check(ctx)
    return [p.message for p in ctx.problems + ctx.warnings]


def test_every_rule_has_an_id_a_description_and_cases() -> None:
    ids = [r.id for r in RULES]
    assert len(set(ids)) == len(ids) and all(r.description for r in RULES) and sorted(ids) == sorted(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_the_compliant_and_flags_the_non_compliant(tmp_path, rule_id) -> None:
    compliant, non_compliant, text = CASES[rule_id]
    assert _findings(tmp_path / "ok", compliant, rule_id) == []
    findings = _findings(tmp_path / "bad", non_compliant, rule_id)
    assert findings and all(text in m for m in findings), findings
