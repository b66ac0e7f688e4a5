from __future__ import annotations

import json
import shutil

import pytest
import yaml
from pydantic import ValidationError

from constructs_lib.config.loader import DEFAULT_CONFIG_GLOB, config_globs, load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from tests.conftest import FIXTURES, OWN_EXAMPLES, SEED_EXAMPLES, requires_shared

FULL = FIXTURES / "valid" / "full" / "conf.yaml"


def test_config_source_precedence(tmp_path) -> None:
    assert config_globs(["a.yaml"], {"SMP_MODEL_CONFIGPATH": "b"}, tmp_path) == ["a.yaml"]
    assert config_globs(None, {"SMP_MODEL_CONFIGPATH": "b"}, tmp_path) == ["b"]
    assert config_globs(None, {}, tmp_path) == [DEFAULT_CONFIG_GLOB]
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"modelConfigPath": "c/*.yaml"}}))
    assert config_globs(None, {}, tmp_path) == ["c/*.yaml"]
    assert config_globs(None, {"SMP_MODEL_CONFIGPATH": "b"}, tmp_path) == ["b"]


def test_matches_are_sorted_and_deduplicated(tmp_path) -> None:
    data = yaml.safe_load(FULL.read_text())
    pipeline = data["conf"].pop("sagemakerPipeline")
    for name in ("zeta", "alpha"):
        (tmp_path / name).mkdir()
    (tmp_path / "zeta" / "conf.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "alpha" / "conf.yaml").write_text(yaml.safe_dump({"conf": {"sagemakerPipeline": pipeline}}))
    project = load_project(["*/conf.yaml", "zeta/conf.yaml"], cwd=tmp_path, environ={})
    assert project.files == ("alpha/conf.yaml", "zeta/conf.yaml")
    assert project.anchor_file == "alpha/conf.yaml"


def test_no_match_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        load_project(["nothing/*.yaml"], cwd=tmp_path, environ={})
    assert "no config file matches this path or glob" in str(info.value)


@pytest.mark.parametrize(
    ("src", "anchor", "other", "upstream", "downstream"),
    [
        pytest.param(
            OWN_EXAMPLES / "examples" / "two-models",
            "regressor/conf/conf-two-models.yaml",
            "scaler/conf/conf-two-models.yaml",
            "scaler-Fit",
            "regressor-Prepare",
            id="own",
        ),
        pytest.param(
            SEED_EXAMPLES / "examples" / "multi-model-example",
            "cal_housing_tf/conf/conf-multi-model.yaml",
            "cal_housing_pca/conf/conf-multi-model.yaml",
            "calhousing-pca-Training",
            "calhousing-tf-Preprocessing",
            id="seed",
            marks=requires_shared,
        ),
    ],
)
def test_model_order_never_matters(tmp_path, src, anchor, other, upstream, downstream) -> None:
    """SEED-NOTES 7: the original crashes when models are listed in another order than their chaining."""
    forward = load_project([str(src / "*/conf/*.yaml")], cwd=tmp_path, environ={})
    data = yaml.safe_load((src / anchor).read_text())
    models = data["conf"]["sagemakerPipeline"]["models"]
    data["conf"]["sagemakerPipeline"]["models"] = dict(reversed(list(models.items())))
    (tmp_path / "anchor.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    shutil.copy(src / other, tmp_path / "other.yaml")
    reordered = load_project(["*.yaml"], cwd=tmp_path, environ={})
    g1, g2 = build_graph(forward), build_graph(reordered)
    assert {(e.source, e.target, e.kinds) for e in g1.edges} == {(e.source, e.target, e.kinds) for e in g2.edges}
    order = [n.name for n in g2.topological_order()]
    assert order.index(upstream) < order.index(downstream)


def test_identical_pipeline_sections_in_two_files_are_accepted(tmp_path) -> None:
    data = yaml.safe_load(FULL.read_text())
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"conf": {"sagemakerPipeline": data["conf"]["sagemakerPipeline"]}}))
    assert load_project(["*.yaml"], cwd=tmp_path, environ={}).pipeline.pipelineName == "churn-pipeline"


def test_defaults_from_the_original_readme() -> None:
    project = load_project([str(FULL)], environ={})
    m = project.models["churn"]
    assert (m.train.instance_type, m.train.volume_size_in_gb, m.train.max_runtime_seconds) == (
        "ml.m5.2xlarge",
        32,
        3000,
    )
    assert (m.preprocess.s3_data_type, m.preprocess.s3_input_mode, m.preprocess.s3_upload_mode) == (
        "S3Prefix",
        "File",
        "EndOfJob",
    )
    assert (m.transform.base_job_name, m.transform.content_type, m.transform.max_runtime_in_seconds) == (
        "default-transform-job-name",
        "text/csv",
        3600,
    )
    assert (m.evaluate.volume_size_in_gb, m.evaluate.max_runtime_in_seconds, m.evaluate.strategy) == (
        50,
        3600,
        "SingleRecord",
    )
    assert project.pipeline.cache_expire_after == "P30D"


def test_models_are_frozen() -> None:
    project = load_project([str(FULL)], environ={})
    with pytest.raises(ValidationError):
        project.models["churn"].train.instance_type = "ml.c5.large"  # type: ignore[misc]
