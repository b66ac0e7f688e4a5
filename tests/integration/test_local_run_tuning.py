"""``run`` with a Tuning step: trials one after another, the best one's model is the unit's model."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tests.integration.test_local_run import run_cli


def test_tuning_runs_trials_and_the_best_model_is_registered(tmp_path) -> None:
    work = tmp_path / "work"
    result = run_cli(
        ["--config", "tests/fixtures/tuning/conf.yaml", "--workdir", str(work), "--jobs", "1"], cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (execution,) = (work / "executions").iterdir()
    log = (execution / "logs" / "churn-Tuning.log").read_text()
    scores = {
        line.split()[0]: float(line.rsplit("= ", 1)[1]) for line in log.splitlines() if "train:accuracy =" in line
    }
    assert len(scores) == 3  # LOCAL_MAX_TRIALS of the configured max_jobs 6
    best = max(scores, key=scores.__getitem__)
    (package,) = (work / "registry").glob("*/*/package.json")
    model_data = json.loads(package.read_text())["content"]["containers"][0]["ModelDataUrl"]
    assert model_data.endswith(f"/churn-Tuning/model/{best}/output/model.tar.gz")
    # The chained Processing step read the same archive.
    assert "model.joblib" in (execution / "logs" / "explain-Model.log").read_text()


def test_trials_are_distinct_and_span_the_ranges() -> None:
    from constructs_lib.localrun.jobs import tuning_trials

    ranges = {
        "IntegerParameterRanges": [{"Name": "n", "MinValue": "10", "MaxValue": "1000", "ScalingType": "Logarithmic"}],
        "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.1", "MaxValue": "0.3"}],
        "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}],
    }
    assert tuning_trials(ranges, 3) == [
        {"n": "10", "lr": "0.1", "kind": "a"},
        {"n": "100", "lr": "0.2", "kind": "b"},
        {"n": "1000", "lr": "0.3", "kind": "a"},
    ]
    assert tuning_trials({"CategoricalParameterRanges": [{"Name": "k", "Values": ["x"]}]}, 3) == [{"k": "x"}]
