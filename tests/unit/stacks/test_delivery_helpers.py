"""Pieces of the delivery stack that need no synth: the nag acknowledgment matcher, the post-deploy check
script and the physical names.

The matcher must be fail-closed: a wildcard that is not one of the known CDK Pipelines grants is never
acknowledged, so cdk-nag fails the synth on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from constructs_lib.stacks.delivery_stack import CHECK_SCRIPT, physical_name, policy_acknowledgments, stack_name

ACCOUNT, REGION = "333333333333", "eu-west-1"
BUCKET, KEY = "<ArtifactsBucket.Arn>", "<ArtifactsKey.Arn>"
OBJECTS = f"{BUCKET}/*"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/"
READ = ["s3:GetBucket*", "s3:GetObject*", "s3:List*"]
KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


@pytest.fixture
def stack():
    """Just what the matcher reads of a DeliveryStack (resolved values are already flat strings here)."""
    bucket = SimpleNamespace(bucket_arn=BUCKET, encryption_key=SimpleNamespace(key_arn=KEY))
    return SimpleNamespace(
        partition="aws",
        region=REGION,
        account=ACCOUNT,
        resolve=lambda value: value,
        pipeline=SimpleNamespace(pipeline=SimpleNamespace(artifact_bucket=bucket)),
    )


def _acks(stack, *statements, role_kind="other") -> dict[str, str]:
    document = {"Statement": [{"Effect": "Allow", **s} for s in statements]}
    return policy_acknowledgments(stack, document, OBJECTS, role_kind)


def test_artifact_bucket_grants_are_acknowledged_one_finding_at_a_time(stack) -> None:
    acks = _acks(
        stack,
        {"Action": READ, "Resource": [BUCKET, OBJECTS]},
        {"Action": KEY_ACTIONS, "Resource": KEY},
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [f"{LOGS}<Project1234>:*"]},
    )
    assert sorted(acks) == sorted(
        [
            "AwsSolutions-IAM5[Action::s3:GetBucket*]",
            "AwsSolutions-IAM5[Action::s3:GetObject*]",
            "AwsSolutions-IAM5[Action::s3:List*]",
            f"AwsSolutions-IAM5[Resource::{OBJECTS}]",
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
            f"AwsSolutions-IAM5[Resource::{LOGS}<Project1234>:*]",
        ]
    )
    assert all(reason.strip() for reason in acks.values())
    assert "artifact bucket" in acks["AwsSolutions-IAM5[Action::s3:GetObject*]"]


@pytest.mark.parametrize(
    "statement, withheld",
    [
        # the read family, but on every bucket
        ({"Action": READ, "Resource": "*"}, ["Action::s3:GetObject*", "Action::s3:List*", "Resource::*"]),
        # the read family on the artifact bucket and another one
        (
            {"Action": READ, "Resource": [BUCKET, OBJECTS, "arn:aws:s3:::other/*"]},
            ["Action::s3:GetBucket*", "Resource::arn:aws:s3:::other/*"],
        ),
        # a wildcard that is not CDK's grant, even on the artifact bucket
        ({"Action": ["s3:*"], "Resource": [BUCKET]}, ["Action::s3:*"]),
        # the key actions on every key
        ({"Action": KEY_ACTIONS, "Resource": "*"}, ["Action::kms:GenerateDataKey*", "Resource::*"]),
        # the asset role's shared grants, outside the asset role
        ({"Action": ["logs:PutLogEvents"], "Resource": f"{LOGS}*"}, [f"Resource::{LOGS}*"]),
        ({"Action": ["codebuild:StartBuild"], "Resource": "*"}, ["Resource::*"]),
    ],
)
def test_anything_else_stays_unacknowledged(stack, statement, withheld) -> None:
    acks = _acks(stack, statement)
    for finding in withheld:
        assert f"AwsSolutions-IAM5[{finding}]" not in acks


def test_one_unexpected_statement_withholds_the_shared_finding_id(stack) -> None:
    """cdk-nag names a finding once per policy: it is acknowledged only if every statement behind it is expected."""
    expected = {"Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{LOGS}*"}
    assert f"AwsSolutions-IAM5[Resource::{LOGS}*]" in _acks(stack, expected, role_kind="assets")
    unexpected = {"Action": ["iam:PassRole"], "Resource": f"{LOGS}*"}
    assert f"AwsSolutions-IAM5[Resource::{LOGS}*]" not in _acks(stack, expected, unexpected, role_kind="assets")


def test_builds_on_every_project_are_not_acknowledged_even_for_the_asset_role(stack) -> None:
    """The delivery stack scopes the asset role's StartBuild to its asset projects: '*' is no longer expected."""
    builds = {"Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"], "Resource": "*"}
    assert _acks(stack, builds, role_kind="assets") == {}


def test_self_mutation_may_assume_only_tagged_bootstrap_roles(stack) -> None:
    roles = f"arn:*:iam::{ACCOUNT}:role/*"
    tagged = {
        "Action": "sts:AssumeRole",
        "Resource": roles,
        "Condition": {
            "ForAnyValue:StringEquals": {
                "iam:ResourceTag/aws-cdk:bootstrap-role": ["image-publishing", "file-publishing", "deploy"]
            }
        },
    }
    assert f"AwsSolutions-IAM5[Resource::{roles}]" in _acks(stack, tagged, role_kind="self-mutation")
    untagged = {"Action": "sts:AssumeRole", "Resource": roles}
    assert _acks(stack, untagged, role_kind="self-mutation") == {}
    assert _acks(stack, tagged, role_kind="assets") == {}


# -- the post-deploy check ------------------------------------------------------------------------------------

DEFINITION = {
    "Version": "2020-12-01",
    "Parameters": [{"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.m5.xlarge"}],
    "Steps": [{"Name": "churn-Training", "Type": "Training"}, {"Name": "churn-Preprocessing", "Type": "Processing"}],
}
EXPECTED = {"steps": ["churn-Preprocessing", "churn-Training"], "parameters": {"TrainingInstanceType": "ml.m5.xlarge"}}


def _run_check(tmp_path, described: dict, expected: dict) -> subprocess.CompletedProcess:
    (tmp_path / "pipeline.json").write_text(json.dumps(described))
    return subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "EXPECTED": json.dumps(expected)},
        timeout=60,
    )


def _described(definition: dict, status: str = "Active") -> dict:
    return {
        "PipelineArn": "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/customer-churn-ltv",
        "PipelineDefinition": json.dumps(definition),
        "PipelineStatus": status,
    }


def test_check_passes_when_the_deployed_definition_is_this_commits(tmp_path) -> None:
    result = _run_check(tmp_path, _described(DEFINITION), EXPECTED)
    assert result.returncode == 0, result.stderr
    assert "ok: the deployed SageMaker pipeline matches this commit" in result.stdout


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["Parameters"][0].update(DefaultValue="ml.m5.large"), "parameters: expected"),
        (lambda d: d["Steps"].pop(), "steps: expected"),
    ],
)
def test_check_fails_on_a_different_definition(tmp_path, change, message) -> None:
    definition = json.loads(json.dumps(DEFINITION))
    change(definition)
    result = _run_check(tmp_path, _described(definition), EXPECTED)
    assert result.returncode == 1
    assert "the deployed SageMaker pipeline is not the one this commit built" in result.stderr
    assert message in result.stderr


def test_check_fails_when_the_pipeline_is_not_active(tmp_path) -> None:
    result = _run_check(tmp_path, _described(DEFINITION, status="Deleting"), EXPECTED)
    assert result.returncode == 1 and "status is 'Deleting'" in result.stderr


# -- names ----------------------------------------------------------------------------------------------------


def test_physical_names_fit_and_stay_stable() -> None:
    short = physical_name("customer-churn-ltv", "eu-west-1", "deploy-check")
    assert short == "customer-churn-ltv-eu-west-1-deploy-check"
    long = physical_name("p" * 80, "eu-west-1", "deploy-check")
    assert len(long) == 64 and long == physical_name("p" * 80, "eu-west-1", "deploy-check")
    assert long != physical_name("p" * 80, "eu-west-2", "deploy-check")
    assert stack_name("my.pipeline@delivery") == "my-pipeline-delivery"
    assert stack_name("1-pipeline") == "s-1-pipeline"


# -- rewriting CDK Pipelines' output --------------------------------------------------------------------------


def test_join_becomes_sub_only_for_plain_joins() -> None:
    from constructs_lib.stacks.delivery_stack import _join_as_sub

    join = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::1:role/x-${y}", {"Fn::GetAtt": ["R", "Arn"]}]]}
    assert _join_as_sub(join) == "arn:${AWS::Partition}:iam::1:role/x-${!y}${R.Arn}"
    assert _join_as_sub({"Fn::Join": [",", ["a", "b"]]}) is None  # not an empty delimiter
    assert _join_as_sub({"Fn::Join": ["", [{"Fn::Select": [0, ["a"]]}]]}) is None  # not expressible simply
    assert _join_as_sub("arn:aws:iam::1:role/x") is None


def test_scoped_builds_names_the_projects_and_touches_nothing_else() -> None:
    from constructs_lib.stacks.delivery_stack import _scoped_builds

    builds = {
        "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
        "Effect": "Allow",
        "Resource": "*",
    }
    logs = {"Action": "logs:PutLogEvents", "Effect": "Allow", "Resource": "*"}
    document = {"Statement": [builds, logs]}
    one, two = {"Fn::GetAtt": ["P1", "Arn"]}, {"Fn::GetAtt": ["P2", "Arn"]}
    assert _scoped_builds(document, [one])["Statement"] == [{**builds, "Resource": one}, logs]
    assert _scoped_builds(document, [one, two])["Statement"][0]["Resource"] == [one, two]
    assert document["Statement"][0]["Resource"] == "*"  # the input is not modified


def test_asset_role_policy_that_changes_after_the_rewrite_fails_the_synth() -> None:
    from constructs_lib.stacks.delivery_stack import _UnchangedPolicy

    snapshot = {"Statement": [{"Action": "codebuild:StartBuild", "Resource": "*"}]}
    stack = SimpleNamespace(resolve=lambda value: value)
    assert _UnchangedPolicy(stack, json.loads(json.dumps(snapshot)), snapshot).validate() == []
    grown = {"Statement": [*snapshot["Statement"], {"Action": "s3:GetObject", "Resource": "*"}]}
    (error,) = _UnchangedPolicy(stack, grown, snapshot).validate()
    assert "changed after build_pipeline()" in error
