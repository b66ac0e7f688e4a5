"""DynamicPipelineConstruct and PipelineSchedule in bare stacks; MlPipelineStack created and imported."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from security import nag_findings, new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.config.loader import load_project
from constructs_lib.config.schema import Schedule
from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
from constructs_lib.constructs.execution_role import ExecutionRole
from constructs_lib.constructs.pipeline_network import PipelineNetwork
from constructs_lib.constructs.pipeline_schedule import PipelineSchedule
from constructs_lib.graph.builder import build_graph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack
from tests.conftest import FIXTURES, ROOT

SEMANTICS = FIXTURES / "compile" / "semantics"
EXISTING = dict(
    existing_bucket_name="my-existing-bucket",
    existing_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    existing_role_arn="arn:aws:iam::123456789012:role/ExistingSageMakerRole",
    existing_subnet_ids=["subnet-0123456789abcdef0", "subnet-0fedcba9876543210", "subnet-0aaaabbbbccccdddd"],
    existing_security_group_ids=["sg-0123456789abcdef0"],
)


@pytest.fixture(scope="module")
def project():
    p = load_project(None, cwd=ROOT, environ={})
    return p, build_graph(p)


def _pipeline(template: dict) -> dict:
    (pipeline,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Pipeline"]
    return pipeline["Properties"]


def _sub(properties: dict) -> tuple[str, dict]:
    body, variables = properties["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    return body, variables


@pytest.fixture(scope="module")
def created(project):
    app = new_app()
    stack = MlPipelineStack(app, "Created", project=project[0], graph=project[1])
    findings = nag_findings(app)
    return stack, synth_template(stack), findings


@pytest.fixture(scope="module")
def imported(project):
    app = new_app()
    stack = MlPipelineStack(
        app,
        "Imported",
        project=project[0],
        graph=project[1],
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
        **EXISTING,
    )
    findings = nag_findings(app)
    return stack, synth_template(stack), findings


def test_created_mode_builds_every_resource_and_substitutes_every_placeholder(created) -> None:
    stack, template, _ = created
    t = Template.from_json(template)
    for kind, count in [
        ("AWS::S3::Bucket", 2),
        ("AWS::KMS::Key", 2),
        ("AWS::EC2::VPC", 1),
        ("AWS::SageMaker::Pipeline", 1),
        ("AWS::SageMaker::ModelPackageGroup", 2),
    ]:
        t.resource_count_is(kind, count)
    props = _pipeline(template)
    body, variables = _sub(props)
    assert "placeholder" not in body and "0000000000000a0" not in body
    assert set(variables) == {
        "ArtifactBucket",
        "ExecutionRoleArn",
        "KmsKeyArn",
        "Subnet1",
        "Subnet2",
        "SecurityGroup1",
        *(f"Asset{i}" for i in range(1, 7)),
    }
    assert variables["ArtifactBucket"] == {"Ref": Match.any_value()} or "Ref" in variables["ArtifactBucket"]
    assert "Fn::GetAtt" in variables["ExecutionRoleArn"] and "Fn::GetAtt" in variables["KmsKeyArn"]
    assert props["RoleArn"] == variables["ExecutionRoleArn"]
    assert props["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 50}
    # The body is the compiled definition with variables in place of placeholders: still valid JSON.
    definition = json.loads(body.replace("${!", "${"))
    assert [p["Name"] for p in definition["Parameters"]] == ["TrainingInstanceType", "ModelApprovalStatus"]


def test_assets_keep_their_names_and_only_they_are_readable(created) -> None:
    _, template, _ = created
    body, variables = _sub(_pipeline(template))
    # Each asset variable is s3://<artifact bucket>/smp-assets/<sha256>/<real file name> (copied from CDK's asset bucket).
    urls = [json.dumps(v) for k, v in variables.items() if k.startswith("Asset")]
    names = sorted(url.rsplit("/", 1)[-1].rstrip('"]}') for url in urls)
    # churn and ltv share both bootstraps (same entry point names): one runproc.sh per entry point.
    assert names == ["customers.csv", "revenue.csv", "runproc.sh", "runproc.sh", "sourcedir.tar.gz", "sourcedir.tar.gz"]
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ReadPipelineAssets"
    ]
    (statement,) = statements
    assert statement["Action"] == "s3:GetObject" and len(statement["Resource"]) == 6


def test_model_package_groups_are_retained_and_created_before_the_pipeline(created) -> None:
    _, template, _ = created
    groups = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::ModelPackageGroup"}
    assert {r["Properties"]["ModelPackageGroupName"] for r in groups.values()} == {
        "customer-churn-ltv-churn",
        "customer-churn-ltv-ltv",
    }
    assert {r["DeletionPolicy"] for r in groups.values()} == {"Retain"}
    (pipeline_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Pipeline"]
    assert set(groups) <= set(template["Resources"][pipeline_id]["DependsOn"])


def test_data_is_kept_on_stack_deletion(created) -> None:
    _, template, _ = created
    for kind in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        policies = {r.get("DeletionPolicy") for r in template["Resources"].values() if r["Type"] == kind}
        assert policies == {"Retain"}, kind


def test_outputs(created) -> None:
    _, template, _ = created
    assert {"PipelineName", "PipelineArn", "ArtifactBucketName", "ExecutionRoleArn"} <= set(template["Outputs"])
    assert template["Outputs"]["PipelineName"]["Value"] == "customer-churn-ltv"


def test_imported_mode_creates_no_bucket_role_or_network(imported) -> None:
    _, template, findings = imported
    t = Template.from_json(template)
    for kind in ("AWS::S3::Bucket", "AWS::EC2::VPC", "AWS::KMS::Key"):
        t.resource_count_is(kind, 0)
    assert not [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and "sagemaker" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    props = _pipeline(template)
    assert props["RoleArn"] == EXISTING["existing_role_arn"]
    _, variables = _sub(props)
    assert variables["ArtifactBucket"] == "my-existing-bucket"
    assert [variables[f"Subnet{i}"] for i in (1, 2, 3)] == EXISTING["existing_subnet_ids"]
    assert variables["KmsKeyArn"] == EXISTING["existing_kms_key_arn"]
    assert findings == []


def test_no_unacknowledged_nag_findings(created) -> None:
    assert created[2] == []


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["created", "imported"])
def test_cfn_lint_and_checkov_clean(request, mode, tmp_path) -> None:
    _, template, _ = request.getfixturevalue(mode)
    path = write_template(template, tmp_path / f"{mode}.json")
    assert run_cfn_lint(path) == []
    assert run_checkov(path) == []


def test_construct_alone_with_parameter_defaults(project) -> None:
    app = new_app()
    stack = cdk.Stack(app, "Alone")
    store = ArtifactStore(stack, "Store")
    network = PipelineNetwork(stack, "Net")
    role = ExecutionRole(
        stack,
        "Role",
        step_kinds=["Processing", "Training", "Model", "Transform", "RegisterModel"],
        artifact_store=store,
        network=network,
        model_package_group_arns=[
            stack.format_arn(service="sagemaker", resource="model-package-group", resource_name=g)
            for g in ("customer-churn-ltv-churn", "customer-churn-ltv-ltv")
        ],
    )
    construct = DynamicPipelineConstruct(
        stack,
        "Pipeline",
        project=project[0],
        graph=project[1],
        artifact_store=store,
        network=network,
        execution_role=role,
        pipeline_name="renamed",
        parameter_defaults={"TrainingInstanceType": "ml.c5.2xlarge"},
    )
    props = _pipeline(synth_template(stack))
    assert props["PipelineName"] == "renamed" and construct.pipeline_name == "renamed"
    body, _ = _sub(props)
    parameters = {p["Name"]: p["DefaultValue"] for p in json.loads(body.replace("${!", "${"))["Parameters"]}
    assert parameters["TrainingInstanceType"] == "ml.c5.2xlarge"
    assert construct.compiled.model_package_groups == ("customer-churn-ltv-churn", "customer-churn-ltv-ltv")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"TrainingInstanceTyp": "x"}, "did you mean 'TrainingInstanceType'"),
        ({"TrainingInstanceType": 3}, "is a String"),
    ],
)
def test_bad_parameter_defaults_raise(project, overrides, message) -> None:
    stack = cdk.Stack(new_app(), "Bad")
    store, network = ArtifactStore(stack, "Store"), PipelineNetwork(stack, "Net")
    role = ExecutionRole(stack, "Role", step_kinds=["Processing"], artifact_store=store)
    with pytest.raises(ValueError, match=message):
        DynamicPipelineConstruct(
            stack,
            "P",
            project=project[0],
            graph=project[1],
            artifact_store=store,
            network=network,
            execution_role=role,
            parameter_defaults=overrides,
        )


def test_schedule_starts_exactly_this_pipeline_with_parameters(project) -> None:
    app = new_app()
    stack = MlPipelineStack(
        app,
        "Scheduled",
        project=project[0],
        graph=project[1],
        schedule=Schedule(expression="cron(0 3 * * ? *)", parameters={"TrainingInstanceType": "ml.m5.xlarge"}),
    )
    template = synth_template(stack)
    t = Template.from_json(template)
    t.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 3 * * ? *)",
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "SageMakerPipelineParameters": {
                            "PipelineParameterList": [{"Name": "TrainingInstanceType", "Value": "ml.m5.xlarge"}]
                        }
                    }
                )
            ],
        },
    )
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "sagemaker:StartPipelineExecution"
    ]
    (statement,) = statements
    assert "pipeline/customer-churn-ltv" in json.dumps(statement["Resource"])
    assert nag_findings(app) == []


def test_no_schedule_unless_configured(created) -> None:
    Template.from_json(created[1]).resource_count_is("AWS::Events::Rule", 0)


def test_schedule_alone_rejects_bad_expression() -> None:
    stack = cdk.Stack(new_app(), "S")
    with pytest.raises(ValueError, match="invalid schedule expression"):
        PipelineSchedule(
            stack, "Bad", pipeline_arn="arn:aws:sagemaker:us-east-1:123456789012:pipeline/p", expression="every day"
        )


def test_explicit_environment_synthesizes_offline(project, monkeypatch) -> None:
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access during synth")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    app = new_app()
    stack = MlPipelineStack(
        app,
        "Pinned",
        project=project[0],
        graph=project[1],
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    template = synth_template(stack)
    # Zones are resolved at deploy time (Fn::GetAZs), never looked up at synth.
    zones = [
        json.dumps(r["Properties"]["AvailabilityZone"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::Subnet"
    ]
    assert len(set(zones)) == 2 and all("Fn::GetAZs" in z for z in zones)
    assert not app.node.try_get_context("availability-zones:account=123456789012:region=eu-west-1")
    assert nag_findings(app) == []
