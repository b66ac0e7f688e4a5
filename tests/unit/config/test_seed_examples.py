"""The original framework's example files are accepted exactly as they are.

They live in ../shared (not shipped): without it this module skips, and test_original_shape.py checks the same
behaviours on the project's own configs.
"""

from __future__ import annotations

import pytest

from constructs_lib.cli import main
from constructs_lib.config.loader import load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from tests.conftest import SEED_EXAMPLES, requires_shared, seed_example_sets

pytestmark = requires_shared


@pytest.mark.parametrize("name", sorted(seed_example_sets()))
def test_seed_example_validates(name: str) -> None:
    project = load_project(seed_example_sets()[name], cwd=SEED_EXAMPLES, environ={})
    graph = build_graph(project)
    configured = [s.step_name for unit in project.pipeline.models.values() for s in unit.steps]
    assert [n.name for n in graph.nodes] == configured


def test_odd_forms_are_normalised() -> None:
    """`channels: train` (bare), `train:` (null body), `ModelRepack: "False"` mean what the original meant."""
    project = load_project(["examples/tf/conf/conf.yaml"], cwd=SEED_EXAMPLES, environ={})
    model = project.models["calhousing"]
    assert list(model.evaluate.channels) == ["train"]
    assert model.evaluate.channels["train"].dataFiles is None
    assert list(model.transform.channels) == ["train"]
    assert model.registry.ModelRepack is False


def test_framework_variables_never_leak_as_names() -> None:
    """`s3://SMP_S3BUCKETNAME/x` becomes a placeholder bound later, not the variable's literal name."""
    project = load_project(["examples/lgbm/conf/conf.yaml"], cwd=SEED_EXAMPLES, environ={})
    uri = project.models["lgbm"].train.channels["train"].dataFiles[0].fileName
    assert uri == "s3://${SMP_S3BUCKETNAME}/lightGBM/train"
    image = project.models["lgbm"].train.image_uri
    assert image == "${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/pytorch-training:1.9.0-cpu-py38"


def test_framework_conf_file_sets_nothing_when_variables_unset() -> None:
    project = load_project(seed_example_sets()["tf+framework-conf"], cwd=SEED_EXAMPLES, environ={})
    assert project.settings.bucket is None and project.settings.subnets == () and project.settings.role_arn is None


def test_framework_conf_file_reads_the_environment() -> None:
    env = {
        "SMP_S3BUCKETNAME": "my-bucket",
        "SMP_SUBNETS": "subnet-0123abcd,subnet-4567ef01",
        "SMP_SECURITYGROUPS": "sg-0123abcd",
        "SMP_ROLE": "arn:aws:iam::123456789012:role/R",
    }
    project = load_project(seed_example_sets()["tf+framework-conf"], cwd=SEED_EXAMPLES, environ=env)
    assert project.settings.bucket == "my-bucket"
    assert project.settings.subnets == ("subnet-0123abcd", "subnet-4567ef01")
    assert project.settings.security_groups == ("sg-0123abcd",)


def test_template_is_reported_as_yaml_error_not_traceback(capsys, monkeypatch) -> None:
    """framework/conf/template/conf.yaml is not valid YAML (bad indentation at line 79): a clear message."""
    monkeypatch.chdir(SEED_EXAMPLES)
    assert main(["validate", "--config", "framework/conf/template/conf.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("framework/conf/template/conf.yaml:79:13: YAML syntax error")
    assert "Traceback" not in err


def test_validate_cli_summary(capsys, monkeypatch) -> None:
    monkeypatch.chdir(SEED_EXAMPLES)
    # --quick: the seed examples ship without their scripts (the full validate reports them missing).
    assert main(["validate", "--quick", "--config", "examples/multi-model-example/*/conf/*.yaml"]) == 0
    assert capsys.readouterr().out == (
        "ok (config and graph only): pipeline calhousing-test: 2 file(s), 2 model(s), 9 step(s), 12 edge(s)\n"
    )


def test_no_pipeline_section_in_framework_conf_alone() -> None:
    with pytest.raises(ConfigError) as info:
        load_project(["framework/conf/conf.yaml"], cwd=SEED_EXAMPLES, environ={})
    assert "no file has a sagemakerPipeline section" in str(info.value)
