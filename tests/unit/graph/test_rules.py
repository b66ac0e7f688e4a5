"""Each graph rule: one compliant and one non-compliant configuration (cdk-nag style), run through the rule alone."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from constructs_lib.config.loader import load_project
from constructs_lib.graph.builder import _nodes
from constructs_lib.graph.rules import RULES, GraphCheck
from tests.conftest import FIXTURES, ROOT

FULL = yaml.safe_load((FIXTURES / "valid" / "full" / "conf.yaml").read_text())
TUNING = yaml.safe_load((FIXTURES / "tuning" / "conf.yaml").read_text())


def _steps(data: dict, model: str = "churn") -> list[dict]:
    return data["conf"]["sagemakerPipeline"]["models"][model]["steps"]


def _step(data: dict, name: str) -> dict:
    return next(s for s in _steps(data) if s["step_name"] == name)


def _full(mutate=None) -> dict:
    data = copy.deepcopy(FULL)
    if mutate:
        mutate(data)
    return data


def _tuning(mutate=None) -> dict:
    data = copy.deepcopy(TUNING)
    if mutate:
        mutate(data)
    return data


def _tune(data: dict) -> dict:
    return data["conf"]["models"]["churn"]["tune"]


def _second_training(d: dict) -> None:
    _steps(d).append({"step_name": "churn-Training2", "step_class": "Training"})


def _tuning_beside_training(d: dict) -> None:
    _steps(d).append({"step_name": "churn-Tuning", "step_class": "Tuning"})
    d["conf"]["models"]["churn"]["tune"] = copy.deepcopy(_tune(TUNING))


#: rule id -> (compliant config, non-compliant config, text of the non-compliant message)
CASES = {
    "SMP-G1": (_full(), _full(_second_training), "a second Training step"),
    "SMP-G2": (_tuning(), _full(_tuning_beside_training), "has two model sources"),
    "SMP-G3": (
        _full(),
        _full(lambda d: _step(d, "churn-Training").update(step_type="evaluate")),
        "does not fit step_class Training",
    ),
    "SMP-G4": (
        _full(),
        _full(lambda d: _step(d, "churn-CreateModel").update(enable_cache=True)),
        "cannot cache CreateModel steps",
    ),
    "SMP-G5": (_tuning(), _tuning(lambda d: d["conf"]["models"]["churn"].pop("train")), "needs the 'train' section"),
    "SMP-G6": (_full(), _full(lambda d: _steps(d).remove(_step(d, "churn-Training"))), "has no Training step"),
    "SMP-G7": (
        _full(),
        _full(lambda d: [d["conf"]["models"]["churn"].pop(k) for k in ("transform", "registry")]),
        "has no serving image",
    ),
    "SMP-G8": (_full(), _full(lambda d: _steps(d).remove(_step(d, "churn-CreateModel"))), "has no CreateModel step"),
    "SMP-G9": (
        _full(),
        _full(
            lambda d: (
                d["conf"]["models"]["churn"]["registry"].update(quality_gate={"metric": "accuracy", "threshold": 0.5}),
                _steps(d).remove(_step(d, "churn-Metrics")),
            )
        ),
        "needs a Metrics step",
    ),
    "SMP-G10": (
        _full(),
        _full(lambda d: d["conf"]["models"]["churn"]["evaluate"].update(channels=["a", "b"])),
        "takes one channel",
    ),
    "SMP-G11": (
        _full(),
        _full(lambda d: _step(d, "churn-Training").update(chain_input_additional_prefix="x")),
        "only allowed on Transform steps",
    ),
    "SMP-G12": (
        _full(),
        _full(lambda d: _step(d, "churn-Register").update(chain_input_source_step=["churn-Metrics"])),
        "takes no chained inputs",
    ),
    "SMP-G13": (
        _full(),
        _full(
            lambda d: _step(d, "churn-Transform").update(
                chain_input_source_step=["churn-Preprocessing", "churn-Metrics"]
            )
        ),
        "exactly one chain source",
    ),
    "SMP-G14": (_tuning(), _tuning(lambda d: _tune(d).update(strategy="Grid")), "Categorical ranges only"),
    "SMP-G15": (_tuning(), _tuning(lambda d: _tune(d).update(strategy="Hyperband")), "does its own early stopping"),
    "SMP-G16": (
        _tuning(),
        _tuning(lambda d: d["conf"]["models"]["churn"]["train"]["hyperparams"].update(max_depth=4)),
        "both tuned and fixed",
    ),
}


def _problems(tmp_path: Path, data: dict, rule_id: str) -> list[str]:
    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    cwd = ROOT if "tune" in data["conf"]["models"].get("churn", {}) else tmp_path
    project = load_project([str(tmp_path / "conf.yaml")], cwd=cwd, environ={})
    check = GraphCheck(project, [])
    check.nodes = _nodes(project, check)
    for node in check.nodes:
        check.units.setdefault(node.model, {}).setdefault(node.step_class, node)
    check.problems.clear()
    next(r for r in RULES if r.id == rule_id).check(check)
    return [p.message for p in check.problems]


def test_every_rule_has_an_id_a_description_and_cases() -> None:
    ids = [r.id for r in RULES]
    assert len(set(ids)) == len(ids) and all(r.description for r in RULES)
    assert sorted(ids) == sorted(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES, key=lambda i: int(i.rsplit("G", 1)[1])))
def test_rule_passes_the_compliant_and_flags_the_non_compliant(tmp_path, rule_id) -> None:
    compliant, non_compliant, text = CASES[rule_id]
    assert _problems(tmp_path, compliant, rule_id) == []
    problems = _problems(tmp_path, non_compliant, rule_id)
    assert problems and all(text in m for m in problems), problems
