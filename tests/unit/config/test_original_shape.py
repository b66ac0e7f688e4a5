"""Configs written in the original framework's shape are accepted as they are (the project's own files).

The same behaviours as test_seed_examples.py, on tests/fixtures/original_shape/: they run in every clone.
"""

from __future__ import annotations

import pytest

from constructs_lib.cli import main
from constructs_lib.config.loader import load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from tests.conftest import OWN_EXAMPLES, own_example_sets


@pytest.mark.parametrize("name", sorted(own_example_sets()))
def test_example_validates(name: str) -> None:
    project = load_project(own_example_sets()[name], cwd=OWN_EXAMPLES, environ={})
    graph = build_graph(project)
    configured = [s.step_name for unit in project.pipeline.models.values() for s in unit.steps]
    assert [n.name for n in graph.nodes] == configured


def test_odd_forms_are_normalised() -> None:
    """`channels: train` (bare), `train:` (null body), `ModelRepack: "False"` mean what the original meant."""
    project = load_project(["examples/housing/conf/conf.yaml"], cwd=OWN_EXAMPLES, environ={})
    model = project.models["housing"]
    assert list(model.evaluate.channels) == ["train"]
    assert model.evaluate.channels["train"].dataFiles is None
    assert list(model.transform.channels) == ["train"]
    assert model.transform.channels["train"].dataFiles is None
    assert model.registry.ModelRepack is False


def test_framework_variables_never_leak_as_names() -> None:
    """`s3://SMP_S3BUCKETNAME/x` becomes a placeholder bound later, not the variable's literal name."""
    project = load_project(["examples/churn/conf/conf.yaml"], cwd=OWN_EXAMPLES, environ={})
    model = project.models["churn"]
    assert model.train.channels["validation"].dataFiles[0].fileName == "s3://${SMP_S3BUCKETNAME}/churn/validation"
    assert model.train.image_uri == "${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/xgboost-training:1.7-cpu"
    assert model.registry.InferenceSpecification.image_uri == (
        "${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/xgboost-inference:1.7-cpu"
    )


def test_two_models_chain_across_files() -> None:
    """A step of one model reads another model's output; a dependency line joins the two models."""
    project = load_project(own_example_sets()["two-models"], cwd=OWN_EXAMPLES, environ={})
    assert sorted(project.models) == ["regressor", "scaler"]
    graph = build_graph(project)
    order = [n.name for n in graph.topological_order()]
    assert order.index("scaler-Fit") < order.index("regressor-Prepare")
    assert order.index("scaler-Register") < order.index("regressor-Register")
    assert ("scaler-Fit", "regressor-Prepare") in {(e.source, e.target) for e in graph.edges}


def test_framework_conf_file_sets_nothing_when_variables_unset() -> None:
    project = load_project(own_example_sets()["housing+framework-conf"], cwd=OWN_EXAMPLES, environ={})
    assert project.settings.bucket is None and project.settings.subnets == () and project.settings.role_arn is None


def test_framework_conf_file_reads_the_environment() -> None:
    env = {
        "SMP_S3BUCKETNAME": "team-bucket",
        "SMP_SUBNETS": "subnet-0aaa1111,subnet-0bbb2222",
        "SMP_SECURITYGROUPS": "sg-0ccc3333",
        "SMP_ROLE": "arn:aws:iam::210987654321:role/Pipelines",
    }
    project = load_project(own_example_sets()["housing+framework-conf"], cwd=OWN_EXAMPLES, environ=env)
    assert project.settings.bucket == "team-bucket"
    assert project.settings.subnets == ("subnet-0aaa1111", "subnet-0bbb2222")
    assert project.settings.security_groups == ("sg-0ccc3333",)
    assert project.settings.role_arn == "arn:aws:iam::210987654321:role/Pipelines"


def test_template_is_reported_as_yaml_error_not_traceback(capsys, monkeypatch) -> None:
    """framework/conf/template/conf.yaml is not valid YAML (dataFiles indented one level too far out)."""
    monkeypatch.chdir(OWN_EXAMPLES)
    assert main(["validate", "--config", "framework/conf/template/conf.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("framework/conf/template/conf.yaml:14:13: YAML syntax error")
    assert "Traceback" not in err


def test_validate_cli_summary(capsys, monkeypatch) -> None:
    monkeypatch.chdir(OWN_EXAMPLES)
    # --quick: like the original's examples, these ship without their scripts (the full validate reports them).
    assert main(["validate", "--quick", "--config", "examples/two-models/*/conf/*.yaml"]) == 0
    assert capsys.readouterr().out == (
        "ok (config and graph only): pipeline two-models-demo: 2 file(s), 2 model(s), 9 step(s), 12 edge(s)\n"
    )


def test_no_pipeline_section_in_framework_conf_alone() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(["framework/conf/conf.yaml"], cwd=OWN_EXAMPLES, environ={})
    assert "no file has a sagemakerPipeline section" in str(info.value)
