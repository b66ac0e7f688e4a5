"""CDK conventions: ``DynamicPipelineConstruct`` is an ``aws_sagemaker.IPipeline`` with grants, the schedule uses
the grant, and the compile worker process is the app's choice (a construct compiles in this process)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Match, Template
from security import nag_findings, new_app, synth_template

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
