"""SageMaker limits: the table the config layer checks against is botocore's, and the checks use it."""

from __future__ import annotations

import pytest

from constructs_lib.compiler.contract import check_request, limit_problems, request_shape
from constructs_lib.compiler.facade import _write_all
from constructs_lib.config.limits import (
    bucket_problem,
    check_number,
    check_string,
    limits,
    limits_from_botocore,
    render_limits_module,
    s3_uri_problems,
)
from constructs_lib.errors import ConfigError


def test_limits_table_is_botocores() -> None:
    """sagemaker_limits.py is a copy: regenerate it with `python -m constructs_lib.config.limits` on a change."""
    assert limits() == limits_from_botocore()
    assert render_limits_module(limits_from_botocore()).endswith("}\n")


def test_messages_are_worded_for_people() -> None:
    assert list(check_string("EntityName", "g" * 70)) == ["at most 63 characters, got 70"]
    assert list(check_string("EntityName", "a_b")) == [
        "must be letters, digits and hyphens, starting and ending with a letter or digit (got 'a_b')"
    ]
    assert list(check_string("EntityName", "ok-name")) == []
    assert list(check_number("ProcessingMaxRuntimeInSeconds", 800_000, " seconds")) == [
        "at most 777,600 seconds is allowed by SageMaker, got 800,000"
    ]
    assert list(check_string("ProcessingEnvironmentKey", "${params.X}")) == []  # references are checked later


@pytest.mark.parametrize(
    ("value", "ok"), [("Team 1:a/b=c+d-e@f_g.h", True), ("café", True), ("a#b", False), ("a\x00", False)]
)
def test_unicode_class_patterns_are_checked(value, ok) -> None:
    """TagKey's pattern uses \\p{L} classes, which Python's re lacks: they are matched by Unicode category."""
    assert (list(check_string("TagKey", value)) == []) is ok


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("my-bucket", None),
        ("${SMP_S3BUCKETNAME}", None),
        ("", "the s3:// URI has no bucket name"),
        ("ab", "bucket name 'ab' must be 3-63 characters, got 2"),
        ("My_Bucket", "must be lowercase"),
        ("a..b", "must be lowercase"),
        ("192.168.0.1", "must be lowercase"),
    ],
)
def test_bucket_names(name, problem) -> None:
    found = bucket_problem(name)
    assert (found is None) if problem is None else (problem in found)


def test_s3_uri_without_bucket_is_one_message() -> None:
    assert list(s3_uri_problems("s3:///key")) == ["the s3:// URI has no bucket name"]
    assert list(s3_uri_problems("s3://bucket/key")) == []


def test_contract_checks_maximums_patterns_and_enums() -> None:
    """botocore's ParamValidator checks minimums only; limit_problems adds the rest from the same shapes."""
    shape = request_shape("CreateProcessingJob")
    request = {
        "Environment": {"LOG-LEVEL": "x" * 300, "OK": {"Get": "Parameters.X"}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 800_000},
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.nope", "InstanceCount": 1, "VolumeSizeInGB": 30}},
    }
    problems = limit_problems(request, shape)
    assert "Environment.LOG-LEVEL: at most 256 characters, got 300" in problems
    assert any(p.startswith("Environment.LOG-LEVEL (the name): ") for p in problems)
    assert "StoppingCondition.MaxRuntimeInSeconds: at most 777,600, got 800,000" in problems
    assert any(p.startswith("ProcessingResources.ClusterConfig.InstanceType: must be one of") for p in problems)
    assert not any("OK" in p for p in problems), "expressions are resolved at run time, not checked"
    assert any("at most 256 characters" in p for p in check_request("CreateProcessingJob", request))


def test_outputs_are_written_both_or_neither(tmp_path) -> None:
    first = tmp_path / "definition.json"
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError) as info:
        _write_all([(first, "{}"), (tmp_path / "file" / "definition.json.assets.json", "{}")])
    assert "cannot write" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"], "neither file, no temporary left"
    _write_all([(first, "a"), (tmp_path / "out" / "m.json", "b")])
    assert first.read_text() == "a" and (tmp_path / "out" / "m.json").read_text() == "b"
