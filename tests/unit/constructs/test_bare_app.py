"""Every construct works in a bare ``cdk.App()``: no cdk.json, CDK's default feature flags (a user's own app)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template
from security import nag_findings

from constructs_lib.config.loader import load_project
from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
from constructs_lib.constructs.execution_role import ExecutionRole
from constructs_lib.constructs.pipeline_network import PipelineNetwork
from constructs_lib.constructs.pipeline_schedule import PipelineSchedule
from constructs_lib.graph.builder import build_graph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack
from tests.conftest import ROOT


def test_artifact_store_logs_through_a_bucket_policy_in_a_bare_app() -> None:
    """Without @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy in the app, CDK would put the LogDeliveryWrite ACL
    on the owner-enforced log bucket and fail; the construct sets the flag for its own subtree."""
    app = cdk.App()
    assert app.node.try_get_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy") is None
    stack = cdk.Stack(app, "Bare")
    ArtifactStore(stack, "Store")
    template = Template.from_stack(stack)
    for bucket in template.find_resources("AWS::S3::Bucket").values():
        assert "AccessControl" not in bucket["Properties"]
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Effect": "Allow",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_pipeline_stack_synthesizes_nag_clean_in_a_bare_app() -> None:
    app = cdk.App()
    project = load_project(None, cwd=ROOT, environ={})
    stack = MlPipelineStack(app, "Bare", project=project, graph=build_graph(project))
    assert nag_findings(stack) == []
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::Pipeline", 1)


def test_each_construct_synthesizes_nag_clean_in_a_bare_app() -> None:
    """PipelineNetwork, ExecutionRole, DynamicPipelineConstruct (with its grants) and PipelineSchedule, composed by
    hand as a user's app would, with CDK's default feature flags."""
    app = cdk.App()
    stack = cdk.Stack(app, "Constructs")
    project = load_project(None, cwd=ROOT, environ={})
    store, network = ArtifactStore(stack, "Store"), PipelineNetwork(stack, "Net")
    role = ExecutionRole(stack, "Role", step_kinds=["Processing", "Training"], artifact_store=store, network=network)
    pipeline = DynamicPipelineConstruct(
        stack,
        "Pipeline",
        project=project,
        graph=build_graph(project),
        artifact_store=store,
        network=network,
        execution_role=role,
    )
    PipelineSchedule(stack, "Schedule", pipeline=pipeline, expression="rate(7 days)")
    operator = iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal())
    pipeline.grant_start_pipeline_execution(operator)
    pipeline.grant_read(operator)
    template = Template.from_stack(stack)
    for kind in ("AWS::EC2::VPC", "AWS::IAM::Role", "AWS::SageMaker::Pipeline", "AWS::Events::Rule"):
        assert template.find_resources(kind), kind
    assert nag_findings(stack) == []
