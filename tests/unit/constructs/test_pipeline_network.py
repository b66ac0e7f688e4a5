"""PipelineNetwork alone in a bare Stack: created and imported modes, input errors, security gates."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template
from security import new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.constructs.pipeline_network import (
    PipelineNetwork,
    default_interface_endpoints,
    optional_interface_endpoints,
)

EXPLICIT_ENV = cdk.Environment(account="123456789012", region="eu-west-1")


class ExplicitStack(cdk.Stack):
    """An explicit-environment stack that supplies its zones, so nothing is looked up at synth."""

    def __init__(self, scope, construct_id: str) -> None:
        super().__init__(scope, construct_id, env=EXPLICIT_ENV)

    @property
    def availability_zones(self) -> list[str]:
        return ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
GROUPS = ["sg-0123456789abcdef0"]


class Created:
    def __init__(self) -> None:
        self.app = new_app()
        self.stack = cdk.Stack(self.app, "Sandbox")
        self.network = PipelineNetwork(self.stack, "Network")
        self.template = Template.from_stack(self.stack)

    def group_id(self, security_group) -> dict:
        return {"Fn::GetAtt": [self.stack.get_logical_id(security_group.node.default_child), "GroupId"]}


@pytest.fixture(scope="module")
def created() -> Created:
    return Created()


# -- created mode ----------------------------------------------------------------------------


def test_vpc_has_two_isolated_subnets_and_no_internet_path(created: Created) -> None:
    t = created.template
    t.resource_count_is("AWS::EC2::VPC", 1)
    t.resource_count_is("AWS::EC2::Subnet", 2)
    for kind in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::Route"):
        t.resource_count_is(kind, 0)
    t.all_resources_properties(
        "AWS::EC2::Subnet",
        {
            "MapPublicIpOnLaunch": False,
            "AvailabilityZone": {"Fn::Select": [Match.any_value(), {"Fn::GetAZs": ""}]},
            "Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": "Isolated"}]),
        },
    )
    t.has_resource_properties("AWS::EC2::VPC", {"EnableDnsHostnames": True, "EnableDnsSupport": True})


def test_default_security_group_is_restricted(created: Created) -> None:
    created.template.resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_s3_gateway_endpoint_admits_only_the_ecr_layer_bucket(created: Created) -> None:
    created.template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]},
            "RouteTableIds": Match.any_value(),
            "PolicyDocument": {
                "Statement": [
                    {
                        "Sid": "EcrImageLayers",
                        "Action": "s3:GetObject",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Resource": {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":s3:::prod-",
                                    {"Ref": "AWS::Region"},
                                    "-starport-layer-bucket/*",
                                ],
                            ]
                        },
                    }
                ],
                "Version": "2012-10-17",
            },
        },
    )


def test_allow_s3_adds_buckets_for_this_account_only() -> None:
    stack = ExplicitStack(new_app(), "Explicit")
    network = PipelineNetwork(stack, "Network", s3_prefix_list_id="pl-6da54004")
    network.allow_s3(["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"], ["s3:GetObject", "s3:PutObject"])
    (endpoint,) = (
        Template.from_stack(stack)
        .find_resources("AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}})
        .values()
    )
    statements = endpoint["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements] == ["EcrImageLayers", "Jobs1"]
    assert statements[0]["Resource"] == "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"
    assert statements[1] == {
        "Sid": "Jobs1",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
    }


def test_interface_endpoints_admit_this_account_only(created: Created) -> None:
    endpoints = created.template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
    )
    assert len(endpoints) == len(default_interface_endpoints())
    for endpoint in endpoints.values():
        assert endpoint["Properties"]["PolicyDocument"]["Statement"] == [
            {
                "Sid": "ThisAccountOnly",
                "Action": "*",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}},
            }
        ]


def test_sagemaker_and_sts_endpoints_only_when_asked() -> None:
    assert not set(default_interface_endpoints()) & set(optional_interface_endpoints())
    stack = ExplicitStack(new_app(), "Explicit")
    network = PipelineNetwork(stack, "Network", s3_prefix_list_id="pl-6da54004", extra_endpoints=["Sts"])
    assert set(network.interface_endpoints) == {*default_interface_endpoints(), "Sts"}
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"ServiceName": "com.amazonaws.eu-west-1.sts", "PrivateDnsEnabled": True}
    )
    with pytest.raises(ValueError, match="extra_endpoints: unknown endpoint 'Sagemaker'"):
        PipelineNetwork(cdk.Stack(new_app(), "S"), "Network", extra_endpoints=["Sagemaker"])


@pytest.mark.parametrize("suffix", [".ecr.api", ".ecr.dkr", ".logs", ".monitoring"])
def test_interface_endpoints_are_private_behind_the_endpoint_group(created: Created, suffix: str) -> None:
    created.template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Interface",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, suffix]]},
            "PrivateDnsEnabled": True,
            "SecurityGroupIds": [created.group_id(created.network.endpoint_security_group)],
        },
    )


def test_interface_endpoints_are_exposed(created: Created) -> None:
    assert set(created.network.interface_endpoints) == set(default_interface_endpoints())
    created.template.resource_count_is("AWS::EC2::VPCEndpoint", len(default_interface_endpoints()) + 1)


def test_endpoint_group_accepts_only_https_from_jobs(created: Created) -> None:
    network = created.network
    endpoint_group = created.group_id(network.endpoint_security_group)
    ingress = created.template.find_resources(
        "AWS::EC2::SecurityGroupIngress", {"Properties": {"GroupId": endpoint_group}}
    )
    assert [r["Properties"] for r in ingress.values()] == [
        {
            "Description": "HTTPS from pipeline jobs",
            "FromPort": 443,
            "ToPort": 443,
            "IpProtocol": "tcp",
            "GroupId": endpoint_group,
            "SourceSecurityGroupId": created.group_id(network.job_security_group),
        }
    ]
    # open=False: no CIDR rule is added for the VPC range.
    group = created.template.find_resources("AWS::EC2::SecurityGroup")[endpoint_group["Fn::GetAtt"][0]]
    assert "SecurityGroupIngress" not in group["Properties"]


def test_job_group_allows_only_self_endpoints_and_s3(created: Created) -> None:
    job_group = created.group_id(created.network.job_security_group)
    t = created.template
    ingress = t.find_resources("AWS::EC2::SecurityGroupIngress", {"Properties": {"GroupId": job_group}})
    assert [r["Properties"]["SourceSecurityGroupId"] for r in ingress.values()] == [job_group]
    egress = [r["Properties"] for r in t.find_resources("AWS::EC2::SecurityGroupEgress").values()]
    assert all(rule["GroupId"] == job_group for rule in egress)
    targets = sorted(
        (
            str(rule.get("DestinationSecurityGroupId") or rule.get("DestinationPrefixListId")),
            rule["IpProtocol"],
            rule.get("FromPort"),
        )
        for rule in egress
    )
    endpoint_group = created.group_id(created.network.endpoint_security_group)
    prefix_list = created.stack.resolve(created.network.s3_prefix_list_id)
    assert targets == sorted(
        [(str(job_group), "-1", None), (str(endpoint_group), "tcp", 443), (str(prefix_list), "tcp", 443)]
    )
    group = t.find_resources("AWS::EC2::SecurityGroup")[job_group["Fn::GetAtt"][0]]
    assert "SecurityGroupEgress" not in group["Properties"]  # allow_all_outbound=False, no 0.0.0.0/0


def test_s3_prefix_list_is_looked_up_at_deploy_time(created: Created) -> None:
    assert created.network.s3_prefix_list_lookup is not None
    lookups = created.template.find_resources("Custom::AWS")
    assert len(lookups) == 1
    (lookup,) = lookups.values()
    # The call is JSON joined with the region token: check its literal parts.
    text = "".join(p for p in lookup["Properties"]["Create"]["Fn::Join"][1] if isinstance(p, str))
    assert '"action":"DescribePrefixLists","service":"EC2"' in text
    assert '"Name":"prefix-list-name","Values":["com.amazonaws.' in text


def test_given_s3_prefix_list_needs_no_lookup() -> None:
    stack = cdk.Stack(new_app(), "GivenPrefixList")
    network = PipelineNetwork(stack, "Network", s3_prefix_list_id="pl-6da54004")
    assert network.s3_prefix_list_lookup is None and network.s3_prefix_list_id == "pl-6da54004"
    t = Template.from_stack(stack)
    t.resource_count_is("Custom::AWS", 0)
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress", {"DestinationPrefixListId": "pl-6da54004", "FromPort": 443}
    )


def test_flow_logs_go_to_an_encrypted_retained_log_group(created: Created) -> None:
    network = created.network
    t = created.template
    group_id = created.stack.get_logical_id(network.flow_logs_log_group.node.default_child)
    key_id = created.stack.get_logical_id(network.flow_logs_key.node.default_child)
    t.has_resource_properties(
        "AWS::EC2::FlowLog",
        {
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": {"Ref": group_id},
        },
    )
    t.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "RetentionInDays": 365},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    t.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {
                    "EnableKeyRotation": True,
                    "KeyPolicy": {
                        "Statement": Match.array_with(
                            [
                                Match.object_like(
                                    {
                                        "Principal": {
                                            "Service": {
                                                "Fn::Join": [
                                                    "",
                                                    [
                                                        "logs.",
                                                        {"Ref": "AWS::Region"},
                                                        ".",
                                                        {"Ref": "AWS::URLSuffix"},
                                                    ],
                                                ]
                                            }
                                        },
                                        "Condition": {
                                            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match.any_value()}
                                        },
                                    }
                                )
                            ]
                        ),
                        "Version": "2012-10-17",
                    },
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def test_ids_are_usable_in_a_definition(created: Created) -> None:
    network = created.network
    resolve = created.stack.resolve
    subnets = [created.stack.get_logical_id(s.node.default_child) for s in network.vpc.isolated_subnets]
    assert [resolve(s) for s in network.subnet_ids] == [{"Ref": s} for s in subnets]
    assert [resolve(g) for g in network.security_group_ids] == [created.group_id(network.job_security_group)]


def test_explicit_environment_needs_no_lookup() -> None:
    app = new_app()
    stack = ExplicitStack(app, "Explicit")
    PipelineNetwork(stack, "Network")
    t = Template.from_stack(stack)
    t.all_resources_properties(
        "AWS::EC2::Subnet", {"AvailabilityZone": {"Fn::Select": [Match.any_value(), {"Fn::GetAZs": ""}]}}
    )
    manifest = json.loads((Path(app.synth().directory) / "manifest.json").read_text())
    assert "missing" not in manifest  # no context lookups (availability zones etc.)


def test_availability_zones_and_options_are_configurable() -> None:
    stack = ExplicitStack(new_app(), "Options")
    PipelineNetwork(
        stack,
        "Network",
        vpc_cidr="10.20.0.0/20",
        availability_zones=["eu-west-1b", "eu-west-1c"],
        interface_endpoints={"SageMakerApi": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API},
        flow_logs_retention=logs.RetentionDays.TWO_YEARS,
        s3_prefix_list_id="pl-6da54004",
    )
    t = Template.from_stack(stack)
    t.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.20.0.0/20"})
    zones = sorted(r["Properties"]["AvailabilityZone"] for r in t.find_resources("AWS::EC2::Subnet").values())
    assert zones == ["eu-west-1b", "eu-west-1c"]
    t.resource_properties_count_is("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface"}, 1)
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 731})


# -- imported mode ---------------------------------------------------------------------------


def test_imported_ids_create_nothing() -> None:
    stack = cdk.Stack(new_app(), "Imported")
    # CDK refuses to synthesize a stack without resources: one placeholder of our own.
    placeholder = cdk.CfnWaitConditionHandle(stack, "Placeholder")
    network = PipelineNetwork(stack, "Network", existing_subnet_ids=SUBNETS, existing_security_group_ids=GROUPS)
    assert list(Template.from_stack(stack).to_json()["Resources"]) == [stack.get_logical_id(placeholder)]
    assert network.vpc is None and network.job_security_group is None and network.flow_log is None
    assert network.subnet_ids == SUBNETS and network.security_group_ids == GROUPS
    assert network.interface_endpoints == {}


# -- input errors ----------------------------------------------------------------------------


def _error(**props) -> str:
    with pytest.raises(ValueError) as error:
        PipelineNetwork(cdk.Stack(new_app(), "Errors"), "Network", **props)
    return str(error.value)


def test_existing_ids_and_new_network_props_are_rejected_together() -> None:
    message = _error(existing_subnet_ids=SUBNETS, existing_security_group_ids=GROUPS, vpc_cidr="10.0.0.0/16")
    expected = (
        "Either provide existing_subnet_ids/existing_security_group_ids or the props of a new "
        "network (vpc_cidr), but not both"
    )
    assert expected in message


def test_subnets_without_security_groups_are_rejected() -> None:
    assert "must be given together" in _error(existing_subnet_ids=SUBNETS)


def test_all_input_errors_are_reported_at_once() -> None:
    message = _error(existing_subnet_ids=["subnet-xyz"], existing_security_group_ids=[])
    assert "existing_subnet_ids: not an ID" in message
    assert "existing_security_group_ids must be a non-empty list" in message


def test_bad_new_network_props_are_rejected() -> None:
    message = _error(vpc_cidr="10.0.0.0/8", availability_zones=["eu-west-1a"], s3_prefix_list_id="s3")
    assert "vpc_cidr must be a /16 to /24 range" in message
    assert "availability_zones must list at least two distinct zones" in message
    assert "s3_prefix_list_id is not a prefix list ID" in message


# -- security gates (slow: external tools) ---------------------------------------------------


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """Both env modes in one app with cdk-nag registered: synth raises on any unacknowledged finding."""
    app = new_app(nag=True)
    stacks = [cdk.Stack(app, "Agnostic"), ExplicitStack(app, "Explicit")]
    for stack in stacks:
        PipelineNetwork(stack, "Network")
    out = tmp_path_factory.mktemp("pipeline_network")
    return [write_template(synth_template(stack), out / f"{stack.stack_name}.json") for stack in stacks]


@pytest.mark.slow
def test_security_gates_pass(gated) -> None:
    # Reaching here means the cdk-nag plugin found nothing unacknowledged in either stack.
    assert [finding for path in gated for finding in run_cfn_lint(path)] == []
    assert run_checkov(gated[0]) == []
