from __future__ import annotations

import pytest

from constructs_lib.config.references import ReferenceError_, framework_names, parameter_names, resolve_string


@pytest.mark.parametrize("raw, expected", [
    ("s3://SMP_S3BUCKETNAME/key", "s3://${SMP_S3BUCKETNAME}/key"),
    ("SMP_ACCOUNTID.dkr.ecr.SMP_REGION.amazonaws.com/img:1", "${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/img:1"),
    ("SMP_S3BUCKETNAME", "${SMP_S3BUCKETNAME}"),
    ("${SMP_ROLE}", "${SMP_ROLE}"),
    ("MY_SMP_S3BUCKETNAME_X", "MY_SMP_S3BUCKETNAME_X"),  # only whole segments are variables
    ("s3://SMP_S3BUCKETNAMEX/key", "s3://SMP_S3BUCKETNAMEX/key"),
    ("${params.Count}", "${params.Count}"),
])
def test_framework_variables_are_canonicalised_not_substituted(raw, expected) -> None:
    assert resolve_string(raw, {"SMP_S3BUCKETNAME": "real-bucket"}) == expected


def test_environment_variables_are_substituted() -> None:
    env = {"DATA": "my-data"}
    assert resolve_string("s3://${DATA}/x", env) == "s3://my-data/x"
    assert resolve_string("${MISSING:-fallback}/x", env) == "fallback/x"
    assert resolve_string("${DATA:-fallback}", env) == "my-data"


def test_unset_variable_is_an_error_with_hint() -> None:
    with pytest.raises(ReferenceError_) as info:
        resolve_string("s3://${NOPE}/x", {})
    assert str(info.value) == "environment variable NOPE is not set"
    assert "${NOPE:-value}" in info.value.hint


def test_malformed_reference() -> None:
    with pytest.raises(ReferenceError_):
        resolve_string("${not valid}", {})


def test_names_found() -> None:
    assert parameter_names("a ${params.A} b ${params.B-2}") == ["A", "B-2"]
    assert framework_names("${SMP_REGION}/${OTHER}") == ["SMP_REGION"]
