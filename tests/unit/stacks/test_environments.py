"""The ``environments``/``delivery`` context of cdk.json: what is accepted, and one clear problem per mistake.

Plain data checks (no CDK): each bad case must raise ``ConfigError`` naming cdk.json, the exact key path and a
message (and, where it helps, a hint such as "did you mean").
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from constructs_lib.config.schema import Parameter
from constructs_lib.errors import ConfigError
from constructs_lib.stacks.environments import parse_delivery_context

PARAMETERS = [
    Parameter(name="TrainingInstanceType", type="String", default="ml.m5.large"),
    Parameter(name="ModelApprovalStatus", type="String", default="PendingManualApproval"),
    Parameter(name="TrainingInstanceCount", type="Integer", default=1),
    Parameter(name="AccuracyThreshold", type="Float", default=0.7),
    Parameter(name="SkipRegistration", type="Boolean", default=False),
]
CONNECTION = "arn:aws:codeconnections:eu-west-1:333333333333:connection/00000000-0000-0000-0000-000000000000"


def _context() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    environments = [
        {
            "name": "dev",
            "account": "111111111111",
            "region": "eu-west-1",
            "parameters": {"TrainingInstanceType": "ml.m5.large", "ModelApprovalStatus": "Approved"},
        },
        {"name": "staging", "account": "222222222222", "region": "eu-west-1"},
        {
            "name": "prod",
            "account": "444444444444",
            "region": "eu-west-1",
            "parameters": {
                "TrainingInstanceType": "ml.m5.xlarge",
                "TrainingInstanceCount": 2,
                "AccuracyThreshold": 1,
                "SkipRegistration": True,
            },
            "schedule": {"expression": "cron(0 3 ? * MON *)", "parameters": {"TrainingInstanceCount": "3"}},
        },
    ]
    delivery = {
        "repository": "example-org/customer-analytics-ml",
        "branch": "main",
        "connectionArn": CONNECTION,
        "account": "333333333333",
        "region": "eu-west-1",
    }
    return environments, delivery


def _parse(environments: Any, delivery: Any):
    return parse_delivery_context(environments, delivery, parameters=PARAMETERS, pipeline_name="customer-churn-ltv")


def _problems(environments: Any, delivery: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as caught:
        _parse(environments, delivery)
    assert all(p.file == "cdk.json" for p in caught.value.problems)
    return [(p.key_path, p.message, p.hint) for p in caught.value.problems]


# -- accepted ----------------------------------------------------------------------------------------------


def test_the_example_parses_in_order_with_its_overrides() -> None:
    config = _parse(*_context())
    assert [e.name for e in config.environments] == ["dev", "staging", "prod"]
    dev, staging, prod = config.environments
    assert (dev.account, dev.region) == ("111111111111", "eu-west-1")
    assert dev.parameters == {"TrainingInstanceType": "ml.m5.large", "ModelApprovalStatus": "Approved"}
    assert prod.parameters["AccuracyThreshold"] == 1.0 and isinstance(prod.parameters["AccuracyThreshold"], float)
    assert prod.schedule is not None and prod.schedule.expression == "cron(0 3 ? * MON *)"
    assert prod.schedule.parameters == {"TrainingInstanceCount": "3"} and prod.schedule.enabled
    assert dev.schedule is None and staging.schedule is None  # schedules are off unless configured
    assert all(e.existing_bucket_name is None and e.existing_subnet_ids is None for e in config.environments)


def test_approval_defaults_to_the_last_stage_only_and_can_be_set_per_stage() -> None:
    environments, delivery = _context()
    assert [e.approval for e in _parse(environments, delivery).environments] == [False, False, True]
    environments[1]["approval"] = True
    environments[2]["approval"] = False
    assert [e.approval for e in _parse(environments, delivery).environments] == [False, True, False]


def test_delivery_defaults() -> None:
    environments, delivery = _context()
    del delivery["account"], delivery["region"]
    source = _parse(environments, delivery).source
    # The tooling account and region default to the first environment's; the name to <pipeline>-delivery.
    assert (source.account, source.region) == ("111111111111", "eu-west-1")
    assert source.pipeline_name == "customer-churn-ltv-delivery"
    assert (source.repository, source.branch, source.connection_arn) == (
        "example-org/customer-analytics-ml",
        "main",
        CONNECTION,
    )


def test_existing_resources_are_passed_through() -> None:
    environments, delivery = _context()
    environments[0].update(
        existingBucketName="ml-artifacts-dev",
        existingKmsKeyArn="arn:aws:kms:eu-west-1:111111111111:key/abcd-1234",
        existingRoleArn="arn:aws:iam::111111111111:role/SageMakerExecution",
        existingSubnetIds=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        existingSecurityGroupIds="sg-0123456789abcdef0",
    )
    dev = _parse(environments, delivery).environments[0]
    assert dev.existing_bucket_name == "ml-artifacts-dev"
    assert dev.existing_kms_key_arn == "arn:aws:kms:eu-west-1:111111111111:key/abcd-1234"
    assert dev.existing_role_arn == "arn:aws:iam::111111111111:role/SageMakerExecution"
    assert dev.existing_subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert dev.existing_security_group_ids == ("sg-0123456789abcdef0",)  # comma-separated text works too


def test_json_text_from_the_command_line_is_accepted() -> None:
    environments, delivery = _context()
    config = _parse(json.dumps(environments), json.dumps(delivery))
    assert [e.name for e in config.environments] == ["dev", "staging", "prod"]


# -- refused -----------------------------------------------------------------------------------------------


def _case(change) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    environments, delivery = _context()
    change(environments, delivery)
    return environments, delivery


def _set(path: str, value: Any):
    """A change that sets ``environments[i].key`` (``e1.key``) or ``delivery.key`` (``d.key``); None deletes."""

    def change(environments, delivery):
        head, *keys = path.split(".")
        target = delivery if head == "d" else environments[int(head[1:])]
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        if value is None:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = copy.deepcopy(value)

    return change


BAD_CASES = {
    # id: (change, key path, message pattern, hint pattern)
    "missing-account": (
        _set("e1.account", None),
        "context.environments[1].account",
        "missing required key",
        "account ID",
    ),
    "account-not-12-digits": (
        _set("e1.account", "12345"),
        "context.environments[1].account",
        r"invalid value '12345' \(expected 12 digits\)",
        "",
    ),
    "account-as-number": (
        _set("e1.account", 222222222222),
        "context.environments[1].account",
        r"must be a string \(write it in quotes\)",
        "",
    ),
    "missing-name": (_set("e0.name", None), "context.environments[0].name", "missing required key", ""),
    "bad-name": (_set("e0.name", "dev env"), "context.environments[0].name", "invalid value 'dev env'", ""),
    "reserved-name": (
        _set("e0.name", "assets"),
        "context.environments[0].name",
        "'assets' is the name of a stage CDK Pipelines adds itself",
        "Assets, Build",
    ),
    "missing-region": (_set("e2.region", None), "context.environments[2].region", "missing required key", ""),
    "malformed-region": (_set("e2.region", "euwest1"), "context.environments[2].region", "invalid value 'euwest1'", ""),
    "unknown-region": (
        _set("e2.region", "eu-wst-1"),
        "context.environments[2].region",
        "unknown region 'eu-wst-1'",
        "did you mean 'eu-west-1'",
    ),
    "unknown-environment-key": (
        _set("e0.regoin", "eu-west-1"),
        "context.environments[0].regoin",
        "unknown key",
        "did you mean 'region'",
    ),
    "unknown-parameter": (
        _set("e0.parameters.TrainingInstanceTyp", "ml.m5.large"),
        "context.environments[0].parameters.TrainingInstanceTyp",
        "unknown pipeline parameter 'TrainingInstanceTyp'",
        "did you mean 'TrainingInstanceType'",
    ),
    "string-for-integer": (
        _set("e2.parameters.TrainingInstanceCount", "2"),
        "context.environments[2].parameters.TrainingInstanceCount",
        "parameter 'TrainingInstanceCount' is an Integer: '2' does not fit",
        "whole number",
    ),
    "number-for-string": (
        _set("e0.parameters.TrainingInstanceType", 5),
        "context.environments[0].parameters.TrainingInstanceType",
        "is a String: 5 does not fit",
        "quotes",
    ),
    "bool-for-integer": (
        _set("e2.parameters.TrainingInstanceCount", True),
        "context.environments[2].parameters.TrainingInstanceCount",
        "true does not fit",
        "",
    ),
    "parameters-not-a-mapping": (
        _set("e0.parameters", ["TrainingInstanceType"]),
        "context.environments[0].parameters",
        "must be a mapping",
        "",
    ),
    "bad-schedule-expression": (
        _set("e2.schedule.expression", "every day at 3"),
        "context.environments[2].schedule.expression",
        "invalid value 'every day at 3'",
        "six fields",
    ),
    "five-field-cron": (
        _set("e2.schedule.expression", "cron(0 3 * * *)"),
        "context.environments[2].schedule.expression",
        r"invalid value 'cron\(0 3 \* \* \*\)'",
        "",
    ),
    "schedule-without-expression": (
        _set("e2.schedule", {"enabled": True}),
        "context.environments[2].schedule.expression",
        "missing required key",
        "",
    ),
    "unknown-schedule-key": (
        _set("e2.schedule.enable", False),
        "context.environments[2].schedule.enable",
        "unknown key",
        "did you mean 'enabled'",
    ),
    "unknown-schedule-parameter": (
        _set("e2.schedule.parameters.InstanceCount", "3"),
        "context.environments[2].schedule.parameters.InstanceCount",
        "unknown pipeline parameter 'InstanceCount'",
        "TrainingInstanceCount",
    ),
    "schedule-parameter-type": (
        _set("e2.schedule.parameters.TrainingInstanceCount", "three"),
        "context.environments[2].schedule.parameters.TrainingInstanceCount",
        "is an Integer: 'three' does not fit",
        "",
    ),
    "schedule-enabled-not-bool": (
        _set("e2.schedule.enabled", "yes"),
        "context.environments[2].schedule.enabled",
        "must be true or false",
        "",
    ),
    "approval-not-bool": (_set("e1.approval", "yes"), "context.environments[1].approval", "must be true or false", ""),
    "key-without-bucket": (
        _set("e0.existingKmsKeyArn", "arn:aws:kms:eu-west-1:111111111111:key/abcd"),
        "context.environments[0].existingKmsKeyArn",
        "only used with existingBucketName",
        "",
    ),
    "bad-role-arn": (
        _set("e0.existingRoleArn", "MyRole"),
        "context.environments[0].existingRoleArn",
        "invalid value 'MyRole'",
        "",
    ),
    "subnets-without-groups": (
        _set("e0.existingSubnetIds", ["subnet-0123456789abcdef0"]),
        "context.environments[0].existingSecurityGroupIds",
        "go together",
        "",
    ),
    "bad-subnet-id": (
        lambda e, d: (
            _set("e0.existingSubnetIds", ["subnet-1"])(e, d),
            _set("e0.existingSecurityGroupIds", ["sg-0123456789abcdef0"])(e, d),
        ),
        "context.environments[0].existingSubnetIds[0]",
        "invalid ID 'subnet-1'",
        "",
    ),
    "missing-connection": (
        _set("d.connectionArn", None),
        "context.delivery.connectionArn",
        "missing required key",
        "authorize",
    ),
    "bad-connection": (
        _set("d.connectionArn", "arn:aws:s3:::bucket"),
        "context.delivery.connectionArn",
        "invalid value",
        "",
    ),
    "bad-repository": (
        _set("d.repository", "customer-analytics-ml"),
        "context.delivery.repository",
        r"expected owner/repository",
        "",
    ),
    "missing-branch": (_set("d.branch", None), "context.delivery.branch", "missing required key", ""),
    "bad-tooling-account": (_set("d.account", "3333"), "context.delivery.account", "expected 12 digits", ""),
    "unknown-delivery-key": (
        _set("d.connectionARN", CONNECTION),
        "context.delivery.connectionARN",
        "unknown key",
        "did you mean 'connectionArn'",
    ),
    "stage-in-another-region": (
        _set("e2.region", "us-east-1"),
        "context.environments[2].region",
        "differs from the delivery pipeline's region 'eu-west-1'",
        "one delivery pipeline",
    ),
    "environment-not-a-mapping": (
        lambda e, d: (e.clear(), e.append("x")),
        "context.environments[0]",
        "must be a mapping with name, account and region",
        "",
    ),
}


@pytest.mark.parametrize("change, key_path, message, hint", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_each_mistake_is_one_clear_problem(change, key_path, message, hint) -> None:
    problems = _problems(*_case(change))
    assert len(problems) == 1, problems
    ((found_path, found_message, found_hint),) = problems
    assert found_path == key_path
    assert re.search(message, found_message), found_message
    assert re.search(hint, found_hint), found_hint


def test_duplicate_names_and_places() -> None:
    environments, delivery = _context()
    environments[1]["name"] = "Dev"  # stage ids and stack names: case does not make it another name
    environments[2]["account"] = "111111111111"
    problems = _problems(environments, delivery)
    assert (
        "context.environments[1].name",
        "duplicate environment name 'Dev'",
        "already used by context.environments[0]; names must be unique",
    ) in problems
    assert any(
        path == "context.environments[2]" and "same account and region as context.environments[0]" in message
        for path, message, _ in problems
    )


def test_every_problem_is_reported_at_once() -> None:
    environments, delivery = _context()
    environments[0]["account"] = "1"
    environments[2]["parameters"]["Nope"] = 1
    del delivery["branch"]
    paths = [path for path, _, _ in _problems(environments, delivery)]
    assert paths == sorted(
        ["context.environments[0].account", "context.environments[2].parameters.Nope", "context.delivery.branch"]
    )


@pytest.mark.parametrize(
    "environments, message",
    [
        (None, "missing: the delivery pipeline needs at least one environment"),
        ([], "must be a non-empty list"),
        ({"dev": {}}, "must be a list of environments"),
        ("[not json", "is not valid JSON"),
    ],
)
def test_environments_must_be_a_list(environments, message) -> None:
    _, delivery = _context()
    problems = _problems(environments, delivery)
    assert [p[0] for p in problems] == ["context.environments"] and message in problems[0][1]


@pytest.mark.parametrize("delivery", [None, 42, ["example-org/repo"], '"main"'])
def test_delivery_must_be_a_mapping(delivery) -> None:
    environments, _ = _context()
    problems = _problems(environments, delivery)
    assert [p[0] for p in problems] == ["context.delivery"]
    assert "must be a mapping with repository, branch and connectionArn" in problems[0][1]


def test_problems_format_like_the_other_config_errors() -> None:
    environments, delivery = _context()
    environments[1]["account"] = "22222222222"
    with pytest.raises(ConfigError) as caught:
        _parse(environments, delivery)
    assert str(caught.value) == (
        "cdk.json: context.environments[1].account: invalid value '22222222222' "
        "(expected 12 digits) (the AWS account ID of this environment, in quotes)"
    )
