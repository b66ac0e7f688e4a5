"""CDK conventions: ``DynamicPipelineConstruct`` is an ``aws_sagemaker.IPipeline`` with grants, the schedule uses
the grant, and the compile worker process is the app's choice (a construct compiles in this process)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Match, Template
from security import nag_findings, new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.compiler import background
from constructs_lib.config.loader import load_project
from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
from constructs_lib.constructs.execution_role import ExecutionRole
from constructs_lib.constructs.pipeline_network import PipelineNetwork
from constructs_lib.constructs.pipeline_schedule import PipelineSchedule
from constructs_lib.graph.builder import build_graph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack
from tests.conftest import ROOT

PIPELINE_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":sagemaker:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":pipeline/customer-churn-ltv",
        ],
    ]
}


@pytest.fixture(scope="module")
def project():
    p = load_project(None, cwd=ROOT, environ={})
    return p, build_graph(p)


def _pipeline_alone(stack: cdk.Stack, project) -> DynamicPipelineConstruct:
    store, network = ArtifactStore(stack, "Store"), PipelineNetwork(stack, "Net")
    role = ExecutionRole(stack, "Role", step_kinds=["Processing", "Training"], artifact_store=store, network=network)
    return DynamicPipelineConstruct(
        stack,
        "Pipeline",
        project=project[0],
        graph=project[1],
        artifact_store=store,
        network=network,
        execution_role=role,
    )


class _NoWorker:
    def __init__(self) -> None:
        raise AssertionError("the compile worker process was started")


@pytest.fixture
def no_worker(monkeypatch):
    """Any attempt to start the compile worker fails the test; the app has not started one."""
    monkeypatch.setattr(background, "_Worker", _NoWorker)
    monkeypatch.setattr(background, "started", lambda: False)
    background._worker.cache_clear()
    yield
    background._worker.cache_clear()


@pytest.fixture(scope="module")
def granted(project):
    app = new_app()
    stack = cdk.Stack(app, "Granted")
    pipeline = _pipeline_alone(stack, project)
    operator = iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal())
    pipeline.grant_start_pipeline_execution(operator)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    pipeline.grant_read(reader)
    return app, stack, pipeline, Template.from_stack(stack)


def test_the_construct_is_an_ipipeline(granted) -> None:
    _, stack, pipeline, _ = granted
    as_interface: sagemaker.IPipeline = pipeline
    assert isinstance(pipeline, cdk.Resource)
    assert sagemaker.IPipeline in getattr(type(pipeline), "__jsii_ifaces__", ())
    assert as_interface.pipeline_name == "customer-churn-ltv"
    assert stack.resolve(as_interface.pipeline_arn) == PIPELINE_ARN
    assert stack.resolve(as_interface.pipeline_ref.pipeline_name) == {"Ref": stack.get_logical_id(pipeline.pipeline)}


def test_grant_start_pipeline_execution_allows_exactly_this_pipeline(granted) -> None:
    template = granted[3]
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [{"Action": "sagemaker:StartPipelineExecution", "Effect": "Allow", "Resource": PIPELINE_ARN}]
                )
            },
            "Roles": [{"Ref": Match.string_like_regexp("^Operator")}],
        },
    )


def test_grant_read_describes_the_pipeline_and_its_executions_only(granted) -> None:
    template = granted[3]
    executions = {"Fn::Join": ["", [*PIPELINE_ARN["Fn::Join"][1][:-1], ":pipeline/customer-churn-ltv/execution/*"]]}
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": [
                                "sagemaker:DescribePipeline",
                                "sagemaker:DescribePipelineDefinitionForExecution",
                                "sagemaker:ListPipelineExecutions",
                                "sagemaker:ListPipelineParametersForExecution",
                                "sagemaker:ListPipelineVersions",
                            ],
                            "Effect": "Allow",
                            "Resource": PIPELINE_ARN,
                        },
                        {
                            "Action": [
                                "sagemaker:DescribePipelineExecution",
                                "sagemaker:ListPipelineExecutionSteps",
                                "sagemaker:ListPipelineParametersForExecution",
                            ],
                            "Effect": "Allow",
                            "Resource": executions,
                        },
                    ]
                )
            },
            "Roles": [{"Ref": Match.string_like_regexp("^Reader")}],
        },
    )
    operator_policy = json.dumps(
        [
            p
            for p in template.find_resources("AWS::IAM::Policy").values()
            if p["Properties"]["Roles"][0]["Ref"].startswith("Reader")
        ]
    )
    assert "sagemaker:*" not in operator_policy and "Delete" not in operator_policy


def test_grants_are_nag_clean(granted) -> None:
    assert nag_findings(granted[0]) == []


def test_schedule_uses_the_pipelines_grant(project) -> None:
    app = new_app()
    stack = cdk.Stack(app, "Scheduled")
    pipeline = _pipeline_alone(stack, project)
    schedule = PipelineSchedule(stack, "Schedule", pipeline=pipeline, expression="rate(1 day)")
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {"ScheduleExpression": "rate(1 day)", "Targets": [Match.object_like({"Arn": PIPELINE_ARN, "Id": "Pipeline"})]},
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Action": "sagemaker:StartPipelineExecution", "Effect": "Allow", "Resource": PIPELINE_ARN}
                ]
            },
            "Roles": [{"Ref": stack.get_logical_id(schedule.role.node.default_child)}],
        },
    )
    assert nag_findings(app) == []


def test_schedule_by_arn_grants_the_same_statement() -> None:
    stack = cdk.Stack(new_app(), "ByArn")
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p"
    PipelineSchedule(stack, "Schedule", pipeline_arn=arn, expression="rate(1 day)")
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [{"Action": "sagemaker:StartPipelineExecution", "Effect": "Allow", "Resource": arn}]
            }
        },
    )


def test_schedule_needs_exactly_one_pipeline_and_reports_every_error(project) -> None:
    stack = cdk.Stack(new_app(), "Bad")
    with pytest.raises(ValueError) as error:
        PipelineSchedule(stack, "Neither", expression="every day")
    assert "Either provide pipeline or pipeline_arn" in str(error.value)
    assert "invalid schedule expression 'every day'" in str(error.value)


def test_a_construct_compiles_in_process_without_a_started_job(project, no_worker) -> None:
    stack = cdk.Stack(new_app(), "InProcess")
    pipeline = _pipeline_alone(stack, project)
    assert "customer-churn-ltv" in pipeline.compiled.definition
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::Pipeline", 1)


def test_the_stack_compiles_in_process_by_default(project, no_worker) -> None:
    stack = MlPipelineStack(new_app(), "Default", project=project[0], graph=project[1])
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::Pipeline", 1)


def test_background_and_in_process_compiles_give_identical_templates(project) -> None:
    templates = [
        json.dumps(
            synth_template(
                MlPipelineStack(
                    new_app(), "Same", project=project[0], graph=project[1], compile_in_background=in_background
                )
            ),
            sort_keys=True,
        )
        for in_background in (False, True)
    ]
    assert templates[0] == templates[1]
    assert background.started()


# -- bring your own network and role as CDK interfaces ------------------------------------------------------

VPC_ATTRIBUTES = dict(
    vpc_id="vpc-0123456789abcdef0",
    availability_zones=["eu-west-1a", "eu-west-1b"],
    isolated_subnet_ids=["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    private_subnet_ids=["subnet-0aaaabbbbccccdddd", "subnet-0eeeeffff00001111"],
    isolated_subnet_route_table_ids=["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"],
    private_subnet_route_table_ids=["rtb-0123456789abcdef2", "rtb-0123456789abcdef3"],
)
ROLE_ARN = "arn:aws:iam::123456789012:role/ExistingSageMakerRole"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _network_error(stack: cdk.Stack, **props) -> str:
    with pytest.raises(ValueError) as error:
        PipelineNetwork(stack, "Net", **props)
    return str(error.value)


def test_network_from_a_vpc_and_security_groups_creates_nothing_and_selects_subnets() -> None:
    stack = cdk.Stack(new_app(), "Byo", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", **VPC_ATTRIBUTES)
    group = ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0")
    network = PipelineNetwork(
        stack,
        "Net",
        existing_vpc=vpc,
        subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        existing_security_groups=[group],
    )
    assert network.subnet_ids == VPC_ATTRIBUTES["isolated_subnet_ids"]
    assert network.security_group_ids == ["sg-0123456789abcdef0"]
    assert network.vpc is not None and network.vpc.vpc_id == "vpc-0123456789abcdef0"
    default = PipelineNetwork(stack, "Default", existing_vpc=vpc, existing_security_group_ids=["sg-0123456789abcdef0"])
    cdk.CfnWaitConditionHandle(stack, "Placeholder")  # a template needs one resource
    template = Template.from_stack(stack)
    for kind in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::VPCEndpoint"):
        template.resource_count_is(kind, 0)
    assert default.subnet_ids == VPC_ATTRIBUTES["private_subnet_ids"]  # CDK's default selection: private subnets


def test_network_interface_and_id_twins_are_rejected_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "Twins")
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", **VPC_ATTRIBUTES)
    group = ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0")
    message = _network_error(
        stack,
        existing_vpc=vpc,
        existing_subnet_ids=["subnet-0123456789abcdef0"],
        existing_security_groups=[group],
        existing_security_group_ids=["sg-0123456789abcdef0"],
        vpc_cidr="10.1.0.0/16",
    )
    assert "Either provide existing_vpc or existing_subnet_ids, but not both" in message
    assert "Either provide existing_security_groups or existing_security_group_ids, but not both" in message
    assert "Either provide an existing network or the props of a new one (vpc_cidr), but not both" in message


def test_network_needs_subnets_and_groups_together_and_selection_only_with_a_vpc() -> None:
    stack = cdk.Stack(new_app(), "Half")
    group = ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0")
    message = _network_error(
        stack, existing_security_groups=[group], subnet_selection=ec2.SubnetSelection(subnet_group_name="x")
    )
    assert "subnet_selection is only used with existing_vpc" in message
    assert "must be given together" in message


def test_a_vpc_without_the_selected_subnets_is_a_clear_error() -> None:
    stack = cdk.Stack(new_app(), "NoSubnets")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a"],
        private_subnet_ids=["subnet-0aaaabbbbccccdddd"],
    )
    message = _network_error(
        stack,
        existing_vpc=vpc,
        subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        existing_security_group_ids=["sg-0123456789abcdef0"],
    )
    assert message.startswith("Invalid PipelineNetwork props:\n  - existing_vpc: ")
    assert "Traceback" not in message


def test_execution_role_from_an_irole_attaches_nothing() -> None:
    stack = cdk.Stack(new_app(), "Role")
    imported = iam.Role.from_role_arn(stack, "Imported", ROLE_ARN, mutable=False)
    role = ExecutionRole(stack, "Execution", existing_role=imported)
    cdk.CfnWaitConditionHandle(stack, "Placeholder")  # a template needs one resource
    assert stack.resolve(role.role_arn) == ROLE_ARN
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_execution_role_interface_and_arn_twins_are_rejected_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "RoleTwins")
    with pytest.raises(ValueError) as error:
        ExecutionRole(
            stack,
            "Execution",
            existing_role=iam.Role.from_role_arn(stack, "Imported", ROLE_ARN),
            existing_role_arn=ROLE_ARN,
            role_name="new",
        )
    message = str(error.value)
    assert "Either provide existing_role or existing_role_arn, but not both" in message
    assert "Either provide existing_role or the props of a new role (role_name), but not both" in message


@pytest.mark.slow
def test_pipeline_stack_takes_the_interfaces_and_is_nag_clean(project, tmp_path) -> None:
    app = new_app()
    env = cdk.Environment(account="123456789012", region="eu-west-1")
    resources = cdk.Stack(app, "Shared", env=env)  # where the user's app imports its resources
    cdk.CfnWaitConditionHandle(resources, "Placeholder")  # a template needs one resource
    key = kms.Key.from_key_arn(resources, "Key", KEY_ARN)
    stack = MlPipelineStack(
        app,
        "Byo",
        project=project[0],
        graph=project[1],
        env=env,
        existing_bucket=s3.Bucket.from_bucket_attributes(
            resources, "Bucket", bucket_name="my-artifacts", encryption_key=key
        ),
        existing_role=iam.Role.from_role_arn(resources, "Role", ROLE_ARN, mutable=False),
        existing_vpc=ec2.Vpc.from_vpc_attributes(resources, "Vpc", **VPC_ATTRIBUTES),
        subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        existing_security_groups=[ec2.SecurityGroup.from_security_group_id(resources, "Sg", "sg-0123456789abcdef0")],
    )
    template = Template.from_stack(stack)
    for kind in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::EC2::VPC", "AWS::EC2::SecurityGroup"):
        template.resource_count_is(kind, 0)
    assert [r for r in template.find_resources("AWS::IAM::Role").values() if "sagemaker" in json.dumps(r)] == []
    template.has_resource_properties("AWS::SageMaker::Pipeline", {"RoleArn": ROLE_ARN})
    body, variables = template.find_resources("AWS::SageMaker::Pipeline").popitem()[1]["Properties"][
        "PipelineDefinition"
    ]["PipelineDefinitionBody"]["Fn::Sub"]
    assert variables["Subnet1"] == "subnet-0123456789abcdef0" and variables["Subnet2"] == "subnet-0fedcba9876543210"
    assert variables["SecurityGroup1"] == "sg-0123456789abcdef0" and variables["KmsKeyArn"] == KEY_ARN
    assert variables["ArtifactBucket"] == "my-artifacts" and "Subnet3" not in variables
    assert nag_findings(app) == []
    path = write_template(synth_template(stack), tmp_path / "byo.json")
    assert run_cfn_lint(path, regions=("eu-west-1",)) == []
    assert run_checkov(path) == []


def test_pipeline_stack_reports_interface_and_string_twins(project) -> None:
    app = new_app()
    stack = cdk.Stack(app, "Shared")
    with pytest.raises(ValueError, match="Either provide existing_bucket or existing_bucket_name, but not both"):
        MlPipelineStack(
            app,
            "Twins",
            project=project[0],
            graph=project[1],
            existing_bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "my-artifacts"),
            existing_bucket_name="my-artifacts",
        )


def test_aws_cdk_lib_takes_the_construct_as_an_ipipeline(project) -> None:
    """aws-cdk-lib's own consumer of IPipeline (an EventBridge Scheduler target, written in TypeScript) reads the
    ARN and calls the grant of this Python construct through jsii."""
    from aws_cdk import aws_scheduler as scheduler
    from aws_cdk import aws_scheduler_targets as targets

    stack = cdk.Stack(new_app(), "SchedulerTarget")
    pipeline = _pipeline_alone(stack, project)
    scheduler.Schedule(
        stack,
        "Weekly",
        schedule=scheduler.ScheduleExpression.rate(cdk.Duration.days(7)),
        target=targets.SageMakerStartPipelineExecution(pipeline),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Scheduler::Schedule", {"Target": Match.object_like({"Arn": PIPELINE_ARN})})
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Action": "sagemaker:StartPipelineExecution", "Effect": "Allow", "Resource": PIPELINE_ARN}
                ]
            }
        },
    )
