from __future__ import annotations

import pytest

from constructs_lib.config.references import ReferenceError_, framework_names, parameter_names, resolve_string


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("s3://SMP_S3BUCKETNAME/key", "s3://${SMP_S3BUCKETNAME}/key"),
        (
            "SMP_ACCOUNTID.dkr.ecr.SMP_REGION.amazonaws.com/img:1",
            "${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/img:1",
        ),
        ("SMP_S3BUCKETNAME", "${SMP_S3BUCKETNAME}"),
        ("${SMP_ROLE}", "${SMP_ROLE}"),
        ("MY_SMP_S3BUCKETNAME_X", "MY_SMP_S3BUCKETNAME_X"),  # only whole segments are variables
        ("s3://SMP_S3BUCKETNAMEX/key", "s3://SMP_S3BUCKETNAMEX/key"),
        ("${params.Count}", "${params.Count}"),
    ],
)
def test_framework_variables_are_canonicalised_not_substituted(raw, expected) -> None:
    assert resolve_string(raw, {"SMP_S3BUCKETNAME": "real-bucket"}) == expected


def test_allowed_environment_variables_are_substituted() -> None:
    env = {"DATA": "my-data", "SMP_VAR_DATA": "prefixed"}
    allowed = {"DATA", "MISSING"}
    assert resolve_string("s3://${DATA}/x", env, allowed) == "s3://my-data/x"
    assert resolve_string("${MISSING:-fallback}/x", env, allowed) == "fallback/x"
    assert resolve_string("${DATA:-fallback}", env, allowed) == "my-data"
    assert resolve_string("${SMP_VAR_DATA}", env) == "prefixed"  # the prefix needs no allow-list


def test_variables_the_user_did_not_allow_are_refused() -> None:
    """A config file must not copy the machine's environment (credentials...) into a template."""
    for raw in ("${AWS_SECRET_ACCESS_KEY}", "${HOME:-x}", "s3://${DATA}/x"):
        with pytest.raises(ReferenceError_) as info:
            resolve_string(raw, {"AWS_SECRET_ACCESS_KEY": "s", "HOME": "/root", "DATA": "d"}, {"OTHER"})
        assert "is not allowed in config files" in str(info.value)
        assert "SMP_VAR_" in info.value.hint and "--allow-env" in info.value.hint


def test_unset_variable_is_an_error_with_hint() -> None:
    with pytest.raises(ReferenceError_) as info:
        resolve_string("s3://${NOPE}/x", {}, {"NOPE"})
    assert str(info.value) == "environment variable NOPE is not set"
    assert "${NOPE:-value}" in info.value.hint


def test_malformed_reference() -> None:
    with pytest.raises(ReferenceError_):
        resolve_string("${not valid}", {})


def test_names_found() -> None:
    assert parameter_names("a ${params.A} b ${params.B-2}") == ["A", "B-2"]
    assert framework_names("${SMP_REGION}/${OTHER}") == ["SMP_REGION"]
