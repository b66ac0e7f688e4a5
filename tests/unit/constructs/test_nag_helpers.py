"""The finding ids computed by constructs_lib.constructs._nag match what cdk-nag reports."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from security import nag_findings, new_app, synth_template

from constructs_lib.constructs import _nag

EXPLICIT_ENV = cdk.Environment(account="123456789012", region="eu-west-1")


@pytest.mark.parametrize(
    ("value", "flat"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/*"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}, "arn:<AWS::Partition>:s3:::b/*"),
        ({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]}, "<Bucket1.Arn>/*"),
        ({"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "x"]]}, "arn:<AWS::Partition>:x"),
        ({"Fn::ImportValue": "Shared-Arn"}, "Shared-Arn"),
        ({"Fn::Select": [0, ["a"]]}, '{"Fn::Select":[0,["a"]]}'),
        (None, ""),
    ],
)
def test_flatten_reference_matches_cdk_nag(value, flat: str) -> None:
    assert _nag.flatten_reference(value) == flat


def _wildcard_role(stack: cdk.Stack) -> tuple[iam.Role, list[str]]:
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "some-bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    resources = [
        bucket.arn_for_objects("*"),
        stack.format_arn(service="sagemaker", resource="training-job", resource_name="pipelines-*"),
    ]
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject", "sagemaker:DescribeTrainingJob"], resources=resources)
    )
    return role, resources


@pytest.mark.parametrize("env", [None, EXPLICIT_ENV], ids=["agnostic", "explicit"])
def test_computed_ids_are_the_reported_ids(env) -> None:
    stack = cdk.Stack(new_app(), "Ids", env=env)
    role, resources = _wildcard_role(stack)
    policy = role.node.find_child("DefaultPolicy")
    expected = _nag.wildcard_resource_finding_ids(policy, resources)
    assert len(expected) == 2
    assert nag_findings(stack.node.root) == sorted(f"{i} at Ids/Role/DefaultPolicy/Resource" for i in expected)


@pytest.mark.parametrize("env", [None, EXPLICIT_ENV], ids=["agnostic", "explicit"])
def test_acknowledged_ids_leave_no_finding(env) -> None:
    stack = cdk.Stack(new_app(), "Acknowledged", env=env)
    role, resources = _wildcard_role(stack)
    _nag.acknowledge_wildcard_resources(role.node.find_child("DefaultPolicy"), resources, "test reason")
    assert nag_findings(stack.node.root) == []


def test_the_plugin_fails_synth_on_an_unacknowledged_finding() -> None:
    stack = cdk.Stack(new_app(nag=True), "Plugin")
    _wildcard_role(stack)
    with pytest.raises(Exception, match=r"AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::some-bucket/\*\]"):
        synth_template(stack)


def test_skips_are_merged_into_metadata() -> None:
    stack = cdk.Stack(new_app(), "Skips")
    resource = cdk.CfnWaitConditionHandle(stack, "Handle")
    _nag.skip_checkov(resource, "CKV_AWS_1", "first")
    _nag.skip_checkov(resource, "CKV_AWS_2", "second")
    _nag.skip_checkov(resource, "CKV_AWS_1", "replaced")
    _nag.skip_cfn_lint(resource, "W3005")
    _nag.skip_cfn_lint(resource, "W3005")
    _nag.skip_cfn_lint(resource, "W1001")
    metadata = synth_template(stack)["Resources"][stack.get_logical_id(resource)]["Metadata"]
    assert metadata["checkov"] == {
        "skip": [{"id": "CKV_AWS_2", "comment": "second"}, {"id": "CKV_AWS_1", "comment": "replaced"}]
    }
    assert metadata["cfn-lint"] == {"config": {"ignore_checks": ["W3005", "W1001"]}}


def test_wildcard_actions_are_acknowledged_by_name() -> None:
    stack = cdk.Stack(new_app(), "Actions")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:GenerateDataKey*"], resources=["arn:aws:kms:eu-west-1:123456789012:key/k"])
    )
    policy = role.node.find_child("DefaultPolicy")
    assert nag_findings(stack.node.root) == [
        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*] at Actions/Role/DefaultPolicy/Resource"
    ]
    _nag.acknowledge_wildcard_actions(policy, ["kms:GenerateDataKey*", "kms:Decrypt"], "test reason")
    assert nag_findings(stack.node.root) == []
