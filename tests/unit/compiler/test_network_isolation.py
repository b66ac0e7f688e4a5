"""``network_isolation`` on a job section: the compiled requests enable it, the training code arrives in a channel
(an isolated container cannot download it), and the role's limits follow what the definition asks for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.compiler.contract import check_definition
from constructs_lib.constructs.execution_role import JobLimits, job_limits_from_definition
from constructs_lib.errors import ConfigError
from tests.conftest import FIXTURES, ROOT
from tests.unit.compiler.conftest import compile_globs

SEMANTICS = FIXTURES / "compile" / "semantics"
# Where SDK v2 estimators put the code of an isolated training job (the training toolkit extracts it from there).
ISOLATED_CODE_CHANNEL = "code"
ISOLATED_SUBMIT_DIRECTORY = "/opt/ml/input/data/code/sourcedir.tar.gz"


def _project(tmp_path: Path, sections: tuple[str, ...], keep_serving_code: bool = False) -> Path:
    """The semantics fixture with ``network_isolation: true`` in ``sections`` (text edits keep its YAML as is)."""
    root = tmp_path / "p"
    shutil.copytree(SEMANTICS, root)
    text = (root / "conf.yaml").read_text()
    for section in sections:
        text = text.replace(f"\n      {section}:\n", f"\n      {section}:\n        network_isolation: true\n", 1)
    if not keep_serving_code:
        text = text.replace("        entry_point: inference.py\n", "")
    (root / "conf.yaml").write_text(text)
    return root


def _steps(definition: str) -> dict[str, dict[str, Any]]:
    out = {}
    for step in json.loads(definition)["Steps"]:
        out[step["Name"]] = step
        arguments = step.get("Arguments", {})
        for nested in arguments.get("IfSteps", []) + arguments.get("ElseSteps", []):
            out[nested["Name"]] = nested
    return out


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = _project(tmp_path_factory.mktemp("iso"), ("preprocess", "train", "evaluate", "transform"))
    return str(compile_globs(["conf.yaml"], root).definition)


def test_isolated_jobs_and_models_enable_network_isolation(isolated: str) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for step in _steps(isolated).values():
        by_type.setdefault(step["Type"], []).append(step["Arguments"])
    assert by_type["Processing"] and all(
        a["NetworkConfig"]["EnableNetworkIsolation"] is True for a in by_type["Processing"]
    )
    assert all(a["EnableNetworkIsolation"] is True for a in by_type["Training"] + by_type["Model"])
    assert check_definition(isolated) == []


def test_isolated_training_code_arrives_in_a_channel(isolated: str) -> None:
    (training,) = [s["Arguments"] for s in _steps(isolated).values() if s["Type"] == "Training"]
    hyperparameters = training["HyperParameters"]
    assert hyperparameters["sagemaker_submit_directory"] == ISOLATED_SUBMIT_DIRECTORY
    (code,) = [c for c in training["InputDataConfig"] if c["ChannelName"] == ISOLATED_CODE_CHANNEL]
    assert code["DataSource"]["S3DataSource"]["S3Uri"].endswith("/sourcedir.tar.gz")


def test_role_limits_require_isolation_where_every_job_asks(isolated: str) -> None:
    limits = job_limits_from_definition(isolated)
    assert all(limits[kind].network_isolation for kind in ("Processing", "Training", "Model"))
    assert not limits["Transform"].network_isolation  # CreateTransformJob: the model's setting applies


def test_mixed_jobs_of_a_kind_leave_the_role_without_the_condition(tmp_path: Path) -> None:
    root = _project(tmp_path, ("preprocess",))  # evaluate (also Processing) is not isolated
    limits = job_limits_from_definition(compile_globs(["conf.yaml"], root).definition)
    assert not limits["Processing"].network_isolation
    assert JobLimits(network_isolation=True).union(JobLimits()) == JobLimits()


def test_without_the_option_nothing_changes(tmp_path: Path) -> None:
    definition = compile_globs(["conf.yaml"], _project(tmp_path, ())).definition
    assert '"EnableNetworkIsolation": true' not in definition
    assert not any(limit.network_isolation for limit in job_limits_from_definition(definition).values())


def test_serving_code_with_isolation_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, ("transform",), keep_serving_code=True)
    with pytest.raises(ConfigError) as info:
        compile_globs(["conf.yaml"], root)
    (problem,) = info.value.problems
    assert problem.key_path == "conf.models.m.transform.network_isolation"
    assert "entry_point" in problem.message


def test_isolated_tuning_jobs_enable_it_in_the_training_job_definition(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "model_repos", tmp_path / "model_repos", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(FIXTURES / "tuning", tmp_path / "tests" / "fixtures" / "tuning")
    conf = tmp_path / "tests" / "fixtures" / "tuning" / "conf.yaml"
    conf.write_text(conf.read_text().replace("\n      train:\n", "\n      train:\n        network_isolation: true\n"))
    definition = compile_globs(["tests/fixtures/tuning/conf.yaml"], tmp_path).definition
    (tuning,) = [s["Arguments"] for s in _steps(definition).values() if s["Type"] == "Tuning"]
    training = tuning["TrainingJobDefinition"]
    assert training["EnableNetworkIsolation"] is True
    assert training["StaticHyperParameters"]["sagemaker_submit_directory"] == ISOLATED_SUBMIT_DIRECTORY
    assert ISOLATED_CODE_CHANNEL in [c["ChannelName"] for c in training["InputDataConfig"]]
    assert job_limits_from_definition(definition)["Tuning"].network_isolation
    assert check_definition(definition) == []
