"""MlPipelineStack of the bundled example: what the deployed definition asks for is what the role allows."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from constructs_lib.app_wiring import _security_options
from constructs_lib.compiler.naming import PIPELINE_TAG_KEY
from constructs_lib.config.loader import load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack
from tests.conftest import ROOT
from tests.security import new_app

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


class Built:
    def __init__(self, globs: list[str] | None = None, cwd: Path = ROOT) -> None:
        project = load_project(globs, cwd=cwd, environ={})
        self.name = project.pipeline.pipelineName
        self.stack = MlPipelineStack(
            new_app(), "Stack", project=project, graph=build_graph(project), env=ENV, s3_prefix_list_id="pl-6da54004"
        )
        self.template = Template.from_stack(self.stack)
        (pipeline,) = self.template.find_resources("AWS::SageMaker::Pipeline").values()
        body, _ = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
        self.definition = json.loads(body)
        role_id = self.stack.get_logical_id(self.stack.execution_role.role.node.default_child)
        self.statements = [
            s
            for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            for p in self.template.find_resources(kind, {"Properties": {"Roles": [{"Ref": role_id}]}}).values()
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]

    def statement(self, sid: str) -> dict:
        (found,) = [s for s in self.statements if s.get("Sid") == sid]
        return found

    def jobs(self, kind: str) -> list[dict]:
        out = []

        def visit(steps):
            for step in steps:
                if step["Type"] == "Condition":
                    visit(step["Arguments"].get("IfSteps", []) + step["Arguments"].get("ElseSteps", []))
                elif step["Type"] == kind:
                    out.append(step["Arguments"])

        visit(self.definition["Steps"])
        return out


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def test_tuning_job_is_allowed_with_its_definitions_settings_only() -> None:
    """A pipeline with a Tuning step: the role can create its tuning job, only with the tag, the network, the
    key and the instance type its training jobs ask for, and read its training jobs' logs."""
    tuned = Built(["tests/fixtures/tuning/conf.yaml"])
    (job,) = tuned.jobs("Tuning")
    assert {"Key": PIPELINE_TAG_KEY, "Value": tuned.name} in job["Tags"]
    create = tuned.statement("SageMakerHyperParameterTuningJobCreate")
    assert create["Action"] == "sagemaker:CreateHyperParameterTuningJob"
    assert create["Condition"]["StringEquals"] == {f"aws:RequestTag/{PIPELINE_TAG_KEY}": tuned.name}
    instance_type = job["TrainingJobDefinition"]["ResourceConfig"]["InstanceType"]
    assert create["Condition"]["ForAllValues:StringEquals"]["sagemaker:InstanceTypes"] == [instance_type]
    assert create["Condition"]["Bool"] == {"sagemaker:InterContainerTrafficEncryption": "true"}
    assert job["TrainingJobDefinition"]["EnableInterContainerTrafficEncryption"] is True
    assert "ArnEquals" in create["Condition"] and "VolumeKmsKeyId" in job["TrainingJobDefinition"]["ResourceConfig"]
    assert "sagemaker:ListTrainingJobsForHyperParameterTuningJob" in tuned.statement("SageMakerManageOwnJobs")["Action"]
    assert "SageMakerTrainingJobCreate" not in {s.get("Sid") for s in tuned.statements}  # no Training step
    logs = json.dumps(tuned.statement("JobLogStreams")["Resource"])
    assert "/aws/sagemaker/TrainingJobs" in logs


@pytest.mark.parametrize("kind", ["Processing", "Training", "Transform"])
def test_every_job_carries_the_pipeline_tag_the_role_requires(built: Built, kind: str) -> None:
    assert built.jobs(kind)
    for job in built.jobs(kind):
        assert {"Key": PIPELINE_TAG_KEY, "Value": built.name} in job["Tags"]
    create = built.statement(f"SageMaker{kind}JobCreate")
    assert create["Condition"]["StringEquals"] == {f"aws:RequestTag/{PIPELINE_TAG_KEY}": built.name}


def test_every_model_carries_the_pipeline_tag_the_role_requires(built: Built) -> None:
    assert built.jobs("Model")
    for model in built.jobs("Model"):
        assert {"Key": PIPELINE_TAG_KEY, "Value": built.name} in model["Tags"]
    create = built.statement("SageMakerModelCreate")
    assert create["Condition"]["StringEquals"] == {f"aws:RequestTag/{PIPELINE_TAG_KEY}": built.name}
    assert "sagemaker:DescribeModel" in built.statement("SageMakerManageOwnJobs")["Action"]


def test_role_requires_network_isolation_where_the_definition_sets_it(built: Built, tmp_path: Path) -> None:
    """``train.network_isolation`` in every model: CreateTrainingJob requires it; other kinds do not."""
    shutil.copytree(ROOT / "model_repos", tmp_path / "model_repos", ignore=shutil.ignore_patterns("__pycache__"))
    for conf in (tmp_path / "model_repos").glob("*/conf/conf.yaml"):
        text = conf.read_text()
        conf.write_text(text.replace("\n      train:\n", "\n      train:\n        network_isolation: true\n"))
    isolated = Built(cwd=tmp_path)
    assert all(job["EnableNetworkIsolation"] is True for job in isolated.jobs("Training"))
    assert isolated.statement("SageMakerTrainingJobCreate")["Condition"]["Bool"] == {
        "sagemaker:InterContainerTrafficEncryption": "true",
        "sagemaker:NetworkIsolation": "true",
    }
    assert "sagemaker:NetworkIsolation" not in isolated.statement("SageMakerProcessingJobCreate")["Condition"]["Bool"]
    # The bundled example without the option: no isolation condition anywhere.
    assert "sagemaker:NetworkIsolation" not in json.dumps(built.statements)


def test_role_allows_exactly_the_definitions_instance_types_and_runtimes(built: Built) -> None:
    defaults = {p["Name"]: p.get("DefaultValue") for p in built.definition["Parameters"]}

    def instance_type(value):
        return defaults[value["Get"].removeprefix("Parameters.")] if isinstance(value, dict) else value

    asked = {
        "Processing": {
            instance_type(j["ProcessingResources"]["ClusterConfig"]["InstanceType"]) for j in built.jobs("Processing")
        },
        "Training": {instance_type(j["ResourceConfig"]["InstanceType"]) for j in built.jobs("Training")},
        "Transform": {instance_type(j["TransformResources"]["InstanceType"]) for j in built.jobs("Transform")},
    }
    for kind, types in asked.items():
        condition = built.statement(f"SageMaker{kind}JobCreate")["Condition"]
        assert sorted(condition["ForAllValues:StringEquals"]["sagemaker:InstanceTypes"]) == sorted(types)
        assert condition["Null"]["sagemaker:InstanceTypes"] == "false"
    for kind in ("Processing", "Training"):
        longest = max(j["StoppingCondition"]["MaxRuntimeInSeconds"] for j in built.jobs(kind))
        condition = built.statement(f"SageMaker{kind}JobCreate")["Condition"]
        assert condition["NumericLessThanEquals"] == {"sagemaker:MaxRuntimeInSeconds": str(longest)}
        assert condition["Bool"] == {"sagemaker:InterContainerTrafficEncryption": "true"}
        for job in built.jobs(kind):  # the definition asks for what the role requires
            network = job.get("NetworkConfig", job)
            assert network["EnableInterContainerTrafficEncryption"] is True
            assert network["VpcConfig"]["Subnets"] and network["VpcConfig"]["SecurityGroupIds"]


def test_register_model_cannot_register_approved_models(built: Built) -> None:
    assert built.statement("SageMakerRegisterModelPackages")["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval"]}
    }


def test_s3_endpoint_admits_the_artifact_bucket_and_ecr_layers_only(built: Built) -> None:
    (endpoint,) = built.template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    ).values()
    layers, artifacts = endpoint["Properties"]["PolicyDocument"]["Statement"]
    assert layers["Resource"] == "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"
    bucket_id = built.stack.get_logical_id(built.stack.artifact_store.bucket.node.default_child)
    assert artifacts["Resource"] == [
        {"Fn::GetAtt": [bucket_id, "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
    ]
    assert "s3:DeleteObject" not in artifacts["Action"]
    assert artifacts["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_job_code_and_data_run_from_the_artifact_bucket_written_only_by_the_copy(built: Built) -> None:
    bucket_id = built.stack.get_logical_id(built.stack.artifact_store.bucket.node.default_child)
    key_id = built.stack.get_logical_id(built.stack.artifact_store.key.node.default_child)
    keys = sorted(built.stack.pipeline.asset_keys.values())
    # model_repos/: two sourcedir.tar.gz, two runproc.sh bootstraps (shared by both units), two data files.
    assert len(keys) == 6 and all(k.startswith("smp-assets/") and len(k.split("/")[1]) == 64 for k in keys)
    # The definition points every job at the artifact bucket's copy, never at the CDK bootstrap bucket.
    (pipeline,) = built.template.find_resources("AWS::SageMaker::Pipeline").values()
    _, variables = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]
    urls = [json.dumps(v, sort_keys=True) for k, v in variables.items() if k.startswith("Asset")]
    assert sorted(urls) == sorted(
        json.dumps({"Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/" + k]]}, sort_keys=True) for k in keys
    )
    # Copied at deploy time, SSE-KMS with the pipeline's key, kept on delete, before the pipeline exists.
    copies = built.template.find_resources("Custom::CDKBucketDeployment")
    assert len(copies) == len(keys)
    for copy in copies.values():
        properties = copy["Properties"]
        assert properties["DestinationBucketName"] == {"Ref": bucket_id}
        assert properties["DestinationBucketKeyPrefix"].startswith("smp-assets/")
        assert properties["Extract"] is False and properties["Prune"] is False and properties["RetainOnDelete"] is True
        assert properties["SystemMetadata"] == {"sse": "aws:kms", "sse-kms-key-id": {"Fn::GetAtt": [key_id, "Arn"]}}
    (pipeline_id,) = built.template.find_resources("AWS::SageMaker::Pipeline")
    assert set(copies) <= set(built.template.to_json()["Resources"][pipeline_id]["DependsOn"])
    # Jobs read exactly those objects and cannot write under smp-assets/; nobody but the copy can.
    deny = built.statement("NoWritesToPipelineAssets")
    assert deny["Effect"] == "Deny" and "s3:PutObject" in deny["Action"]
    assert deny["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/smp-assets/*"]]}
    assert len(built.statement("ReadPipelineAssets")["Resource"]) == len(keys)
    (policy,) = built.template.find_resources(
        "AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": bucket_id}}}
    ).values()
    (only_copy,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "PipelineAssetsOnlyFromTheDeployment"
    ]
    handler_role = built.stack.get_logical_id(built.stack.pipeline.asset_deployments[0].handler_role.node.default_child)
    assert only_copy["Effect"] == "Deny" and only_copy["Principal"] == {"AWS": "*"}
    assert only_copy["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [handler_role, "Arn"]}}}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, {"extra_endpoints": None, "create_job_log_groups": False}),
        (
            {"jobEndpoints": ["SageMakerApi", "Sts"], "createJobLogGroups": True},
            {"extra_endpoints": ["SageMakerApi", "Sts"], "create_job_log_groups": True},
        ),
        (
            {"jobEndpoints": "SageMakerRuntime", "createJobLogGroups": "true"},  # as given with -c on the command line
            {"extra_endpoints": ["SageMakerRuntime"], "create_job_log_groups": True},
        ),
    ],
)
def test_security_options_from_the_context(context, expected) -> None:
    assert _security_options(cdk.App(context=context)) == expected


def test_bad_security_options_are_reported_not_raised_as_tracebacks() -> None:
    with pytest.raises(ConfigError) as info:
        _security_options(cdk.App(context={"jobEndpoints": ["Sagemaker"], "createJobLogGroups": "yes"}))
    lines = [p.format() for p in info.value.problems]
    assert (
        "cdk.json: context.jobEndpoints: unknown endpoint 'Sagemaker' (known: SageMakerApi, SageMakerRuntime, Sts)"
        in lines
    )
    assert any(line.startswith("cdk.json: context.createJobLogGroups: must be true or false") for line in lines)
