"""ExecutionRole in a bare Stack (with the store and network it needs): modes, errors, gates."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Match, Template
from security import new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.execution_role import (
    STEP_KINDS,
    ExecutionRole,
    JobLimits,
    approval_statuses_from_definition,
    job_limits_from_definition,
)
from constructs_lib.constructs.pipeline_network import PipelineNetwork

EXPLICIT_ENV = cdk.Environment(account="123456789012", region="eu-west-1")
GROUP_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn"
ALL_KINDS = {"Processing", "Training", "Tuning", "Model", "Transform", "RegisterModel", "Condition", "Fail"}
# Actions that support no resource-level permissions, and the condition each carries (if any).
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken": None,
    "cloudwatch:PutMetricData": "cloudwatch:namespace",
    "ec2:DescribeDhcpOptions": None,
    "ec2:DescribeNetworkInterfaces": None,
    "ec2:DescribeSecurityGroups": None,
    "ec2:DescribeSubnets": None,
    "ec2:DescribeVpcs": None,
}


class ExplicitStack(cdk.Stack):
    def __init__(self, scope, construct_id: str) -> None:
        super().__init__(scope, construct_id, env=EXPLICIT_ENV)

    @property
    def availability_zones(self) -> list[str]:
        return ["eu-west-1a", "eu-west-1b"]


class Built:
    """One stack, one template; statements of the role's policy resolved to plain values."""

    def __init__(self, stack: cdk.Stack, role: ExecutionRole) -> None:
        self.stack = stack
        self.role = role
        self.template = Template.from_stack(stack)
        self.role_id = stack.get_logical_id(role.role.node.default_child)
        policies = {
            **self.template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": self.role_id}]}}),
            # aws-cdk-lib moves statements over IAM's inline size into customer-managed overflow policies.
            **self.template.find_resources(
                "AWS::IAM::ManagedPolicy", {"Properties": {"Roles": [{"Ref": self.role_id}]}}
            ),
        }
        self.statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]

    def actions(self) -> set[str]:
        return {a for s in self.statements for a in _list(s["Action"])}

    def statement(self, sid: str) -> dict:
        (found,) = [s for s in self.statements if s.get("Sid") == sid]
        return found

    def resources_of(self, action: str) -> list:
        return [r for s in self.statements if action in _list(s["Action"]) for r in _list(s["Resource"])]


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _build(stack: cdk.Stack, *, network: bool = True, **props) -> Built:
    store = ArtifactStore(stack, "Store")
    net = PipelineNetwork(stack, "Network", s3_prefix_list_id="pl-6da54004") if network else None
    props.setdefault("step_kinds", ALL_KINDS)
    if "RegisterModel" in props["step_kinds"]:
        props.setdefault("model_package_group_arns", [GROUP_ARN])
    role = ExecutionRole(stack, "Execution", artifact_store=store, network=net, **props)
    return Built(stack, role)


@pytest.fixture(scope="module")
def full() -> Built:
    return _build(cdk.Stack(new_app(), "Sandbox"))


@pytest.fixture(scope="module")
def explicit() -> Built:
    return _build(ExplicitStack(new_app(), "Explicit"))


# -- trust and shape -------------------------------------------------------------------------


def test_trusts_sagemaker_of_this_account_only(full: Built) -> None:
    full.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_has_no_aws_managed_policies(full: Built) -> None:
    role = full.template.find_resources("AWS::IAM::Role")[full.role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    # A policy over IAM's inline size overflows into customer-managed policies of this role only.
    for policy in full.template.find_resources("AWS::IAM::ManagedPolicy").values():
        assert policy["Properties"]["Roles"] == [{"Ref": full.role_id}]


def test_role_arn_is_the_role(full: Built) -> None:
    assert full.stack.resolve(full.role.role_arn) == {"Fn::GetAtt": [full.role_id, "Arn"]}


def test_no_wildcard_actions(full: Built) -> None:
    assert full.actions() and not [a for a in full.actions() if "*" in a]


def test_star_resource_only_where_unavoidable_and_conditioned(full: Built) -> None:
    for statement in full.statements:
        if "*" not in _list(statement["Resource"]):
            continue
        assert _list(statement["Resource"]) == ["*"], statement
        for action in _list(statement["Action"]):
            assert action in STAR_RESOURCE_ACTIONS, f"{action} must not be granted on '*'"
            key = STAR_RESOURCE_ACTIONS[action]
            if key:
                assert key in statement["Condition"]["StringEquals"], statement


def test_pass_role_only_to_itself_and_sagemaker(full: Built) -> None:
    assert full.statement("PassSelfToSageMaker") == {
        "Sid": "PassSelfToSageMaker",
        "Action": "iam:PassRole",
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [full.role_id, "Arn"]},
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }


# -- per step kind ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sid", "resource_type", "create", "others"),
    [
        (
            "SageMakerProcessingJob",
            "processing-job",
            "CreateProcessingJob",
            {"DescribeProcessingJob", "StopProcessingJob"},
        ),
        ("SageMakerTrainingJob", "training-job", "CreateTrainingJob", {"DescribeTrainingJob", "StopTrainingJob"}),
        ("SageMakerTransformJob", "transform-job", "CreateTransformJob", {"DescribeTransformJob", "StopTransformJob"}),
        ("SageMakerModel", "model", "CreateModel", {"DescribeModel"}),
        (
            "SageMakerHyperParameterTuningJob",
            "hyper-parameter-tuning-job",
            "CreateHyperParameterTuningJob",
            {
                "DescribeHyperParameterTuningJob",
                "StopHyperParameterTuningJob",
                "ListTrainingJobsForHyperParameterTuningJob",
            },
        ),
    ],
)
def test_sagemaker_calls_are_scoped_to_the_name_prefix(
    explicit: Built, sid: str, resource_type: str, create: str, others: set[str]
) -> None:
    arn = f"arn:aws:sagemaker:eu-west-1:123456789012:{resource_type}/pipelines-*"
    assert explicit.statement(f"{sid}Create")["Action"] == f"sagemaker:{create}"
    assert explicit.statement(f"{sid}Create")["Resource"] == arn
    manage = explicit.statement(f"{sid}Manage")
    assert set(_list(manage["Action"])) == {f"sagemaker:{a}" for a in others} | {"sagemaker:AddTags"}
    assert manage["Resource"] == arn


# -- the role enforces the job settings ------------------------------------------------------

TAG = "customer-churn-ltv"
LIMITS = {
    "Processing": JobLimits(("ml.m5.large",), 3600),
    "Training": JobLimits(("ml.m5.large", "ml.m5.xlarge"), 3000),
    "Transform": JobLimits(("ml.m5.large",), None),
    "Tuning": JobLimits(("ml.m5.xlarge",), 1800),
}


@pytest.fixture(scope="module")
def enforced() -> Built:
    stack = ExplicitStack(new_app(), "Enforced")
    store = ArtifactStore(stack, "Store")
    network = PipelineNetwork(
        stack,
        "Network",
        existing_subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        existing_security_group_ids=["sg-0123456789abcdef0"],
    )
    role = ExecutionRole(
        stack,
        "Execution",
        step_kinds=ALL_KINDS,
        artifact_store=store,
        network=network,
        model_package_group_arns=[GROUP_ARN],
        pipeline_tag=TAG,
        job_limits=LIMITS,
    )
    built = Built(stack, role)
    built.key_arn = stack.resolve(store.key.key_arn)
    return built


def _vpc(subnets=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"), groups=("sg-0123456789abcdef0",)) -> dict:
    return {"sagemaker:VpcSubnets": list(subnets), "sagemaker:VpcSecurityGroupIds": list(groups)}


def test_processing_and_training_jobs_only_with_the_definitions_settings(enforced: Built) -> None:
    for sid, kind in (("SageMakerProcessingJobCreate", "Processing"), ("SageMakerTrainingJobCreate", "Training")):
        limits = LIMITS[kind]
        assert enforced.statement(sid)["Condition"] == {
            "StringEquals": {"aws:RequestTag/smp:pipeline": TAG},
            # ForAllValues passes when the key is absent (a job without VpcConfig): the Null checks close that.
            "ForAllValues:StringEquals": {**_vpc(), "sagemaker:InstanceTypes": list(limits.instance_types)},
            "Null": {
                "sagemaker:VpcSubnets": "false",
                "sagemaker:VpcSecurityGroupIds": "false",
                "sagemaker:InstanceTypes": "false",
            },
            "ArnEquals": {"sagemaker:VolumeKmsKey": enforced.key_arn},
            "ArnEqualsIfExists": {"sagemaker:OutputKmsKey": enforced.key_arn},
            "Bool": {"sagemaker:InterContainerTrafficEncryption": "true"},
            "NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": str(limits.max_runtime_in_seconds)},
        }, sid


def test_tuning_jobs_only_with_the_definitions_settings(enforced: Built) -> None:
    """CreateHyperParameterTuningJob gets the conditions of CreateTrainingJob (its training jobs run the same
    way), except the runtime: which of the request's two runtimes the key reads is not documented."""
    assert enforced.statement("SageMakerHyperParameterTuningJobCreate")["Condition"] == {
        "StringEquals": {"aws:RequestTag/smp:pipeline": TAG},
        "ForAllValues:StringEquals": {**_vpc(), "sagemaker:InstanceTypes": ["ml.m5.xlarge"]},
        "Null": {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
            "sagemaker:InstanceTypes": "false",
        },
        "ArnEquals": {"sagemaker:VolumeKmsKey": enforced.key_arn},
        "ArnEqualsIfExists": {"sagemaker:OutputKmsKey": enforced.key_arn},
        "Bool": {"sagemaker:InterContainerTrafficEncryption": "true"},
    }


def test_tuning_limits_are_read_from_the_training_job_definition() -> None:
    definition = json.dumps(
        {
            "Parameters": [],
            "Steps": [
                {
                    "Name": "T",
                    "Type": "Tuning",
                    "Arguments": {
                        "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxRuntimeInSeconds": 7200}},
                        "TrainingJobDefinition": {
                            "ResourceConfig": {"InstanceType": "ml.m5.xlarge"},
                            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
                        },
                    },
                }
            ],
        }
    )
    assert job_limits_from_definition(definition) == {"Tuning": JobLimits(("ml.m5.xlarge",), 1800)}


def test_transform_jobs_only_with_the_key_instance_types_and_tag(enforced: Built) -> None:
    # CreateTransformJob supports neither VPC nor runtime keys: the job runs in its model's VPC.
    assert enforced.statement("SageMakerTransformJobCreate")["Condition"] == {
        "StringEquals": {"aws:RequestTag/smp:pipeline": TAG},
        "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.m5.large"]},
        "Null": {"sagemaker:InstanceTypes": "false"},
        "ArnEquals": {"sagemaker:VolumeKmsKey": enforced.key_arn},
        "ArnEqualsIfExists": {"sagemaker:OutputKmsKey": enforced.key_arn},
    }


def test_models_only_in_the_pipeline_network_and_with_its_tag(enforced: Built) -> None:
    assert enforced.statement("SageMakerModelCreate")["Condition"] == {
        "StringEquals": {"aws:RequestTag/smp:pipeline": TAG},
        "ForAllValues:StringEquals": _vpc(),
        "Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VpcSecurityGroupIds": "false"},
    }
    # The compiled CreateModel request carries the pipeline tag: models are described only when they have it.
    enforced.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "SageMakerManageOwnJobs",
                                "Action": Match.array_with(["sagemaker:DescribeModel"]),
                                "Condition": {"StringEquals": {"aws:ResourceTag/smp:pipeline": TAG}},
                            }
                        )
                    ]
                )
            }
        },
    )
    assert not [s for s in enforced.statements if s.get("Sid") == "SageMakerModelManage"]


def test_describe_and_stop_only_this_pipelines_jobs(enforced: Built) -> None:
    manage = enforced.statement("SageMakerManageOwnJobs")
    assert sorted(_list(manage["Action"])) == sorted(
        [
            f"sagemaker:{verb}{kind}Job"
            for verb in ("Describe", "Stop")
            for kind in ("HyperParameterTuning", "Processing", "Training", "Transform")
        ]
        + ["sagemaker:ListTrainingJobsForHyperParameterTuningJob", "sagemaker:DescribeModel"]
    )
    assert manage["Condition"] == {"StringEquals": {"aws:ResourceTag/smp:pipeline": TAG}}
    assert not [s for s in enforced.statements if s.get("Sid", "").endswith("JobManage")]


def test_tags_only_on_new_or_own_jobs(enforced: Built) -> None:
    new, own = enforced.statement("SageMakerTagNewJobs"), enforced.statement("SageMakerTagOwnJobs")
    assert new["Action"] == own["Action"] == "sagemaker:AddTags"
    assert sorted(r.split(":")[-1] for r in new["Resource"]) == [
        "hyper-parameter-tuning-job/pipelines-*",
        "model/pipelines-*",
        "processing-job/pipelines-*",
        "training-job/pipelines-*",
        "transform-job/pipelines-*",
    ]
    # A job of another pipeline already has a pipeline tag: it cannot be re-tagged into this one.
    assert new["Condition"] == {
        "StringEquals": {"aws:RequestTag/smp:pipeline": TAG},
        "Null": {"aws:ResourceTag/smp:pipeline": "true"},
    }
    assert own["Condition"] == {"StringEquals": {"aws:ResourceTag/smp:pipeline": TAG}}
    assert not [
        s
        for s in enforced.statements
        if "sagemaker:AddTags" in _list(s["Action"])
        and "Condition" not in s
        and "model-package" not in str(s["Resource"])
    ]


def test_model_packages_are_registered_pending_approval_only(enforced: Built) -> None:
    register = enforced.statement("SageMakerRegisterModelPackages")
    assert register["Action"] == "sagemaker:CreateModelPackage"
    assert register["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval"]}}
    assert not [
        s for s in enforced.statements if "sagemaker:CreateModelPackage" in _list(s["Action"]) and s is not register
    ]
    assert not [a for a in enforced.actions() if a.startswith("sagemaker:UpdateModelPackage")]


def test_volume_key_grants_only_for_aws_resources(enforced: Built) -> None:
    assert enforced.statement("KmsGrantsForJobVolumes") == {
        "Sid": "KmsGrantsForJobVolumes",
        "Action": "kms:CreateGrant",
        "Effect": "Allow",
        "Resource": enforced.key_arn,
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }


def test_network_isolation_is_required_when_asked() -> None:
    built = _build(
        ExplicitStack(new_app(), "Isolated"), step_kinds={"Processing", "Model", "Transform"}, network_isolation=True
    )
    for sid in ("SageMakerProcessingJobCreate", "SageMakerModelCreate"):
        assert built.statement(sid)["Condition"]["Bool"]["sagemaker:NetworkIsolation"] == "true"
    assert "Bool" not in built.statement("SageMakerTransformJobCreate").get("Condition", {})


def test_network_isolation_is_required_on_the_kinds_whose_jobs_all_ask_for_it() -> None:
    built = _build(
        ExplicitStack(new_app(), "IsolatedKinds"),
        step_kinds={"Processing", "Training", "Model"},
        job_limits={
            "Processing": JobLimits(("ml.m5.large",), 600, network_isolation=True),
            "Training": JobLimits(("ml.m5.large",), 600),  # not every training job is isolated
            "Model": JobLimits(network_isolation=True),
        },
    )
    for sid in ("SageMakerProcessingJobCreate", "SageMakerModelCreate"):
        built.template.has_resource_properties(
            "AWS::IAM::Policy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Sid": sid,
                                    "Condition": Match.object_like(
                                        {"Bool": Match.object_like({"sagemaker:NetworkIsolation": "true"})}
                                    ),
                                }
                            )
                        ]
                    )
                }
            },
        )
    assert "sagemaker:NetworkIsolation" not in built.statement("SageMakerTrainingJobCreate")["Condition"]["Bool"]


def test_job_limits_of_a_model_take_network_isolation_only() -> None:
    with pytest.raises(ValueError, match=r"job_limits\['Model'\]: only network_isolation applies"):
        _build(
            ExplicitStack(new_app(), "BadModelLimits"),
            step_kinds={"Model"},
            job_limits={"Model": JobLimits(("ml.m5.large",), network_isolation=True)},
        )


def test_network_isolation_of_the_definition_is_read_per_kind() -> None:
    definition = {
        "Steps": [
            {"Type": "Processing", "Arguments": {"NetworkConfig": {"EnableNetworkIsolation": True}}},
            {"Type": "Training", "Arguments": {"EnableNetworkIsolation": True}},
            {"Type": "Training", "Arguments": {"EnableNetworkIsolation": False}},
            {"Type": "Tuning", "Arguments": {"TrainingJobDefinition": {"EnableNetworkIsolation": True}}},
            {"Type": "Model", "Arguments": {"EnableNetworkIsolation": {"Get": "Parameters.Isolate"}}},
        ]
    }
    limits = job_limits_from_definition(json.dumps(definition))
    assert limits["Processing"].network_isolation and limits["Tuning"].network_isolation
    assert not limits["Training"].network_isolation  # one job without it
    assert "Model" not in limits  # a parameter could turn it off: no requirement


def test_job_log_groups_exist_before_the_jobs_when_asked() -> None:
    stack = ExplicitStack(new_app(), "LogGroups")
    built = _build(stack, network=False, step_kinds={"Processing", "Training"}, create_log_groups=True)
    groups = built.template.find_resources("AWS::Logs::LogGroup")
    assert sorted(g["Properties"]["LogGroupName"] for g in groups.values()) == [
        "/aws/sagemaker/ProcessingJobs",
        "/aws/sagemaker/TrainingJobs",
    ]
    for group in groups.values():
        assert group["DeletionPolicy"] == "Retain" and group["Properties"]["RetentionInDays"] == 365
        assert "KmsKeyId" in group["Properties"]
    assert "logs:CreateLogGroup" not in built.actions()
    # Without the option SageMaker creates them on first use, which the role allows.
    assert "logs:CreateLogGroup" in _build(cdk.Stack(new_app(), "NoGroups"), network=False).actions()


def test_job_limits_come_from_the_compiled_definition() -> None:
    definition = {
        "Parameters": [{"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.m5.xlarge"}],
        "Steps": [
            {
                "Type": "Processing",
                "Arguments": {
                    "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large"}},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
                },
            },
            {
                "Type": "Condition",
                "Arguments": {
                    "IfSteps": [
                        {
                            "Type": "Training",
                            "Arguments": {
                                "ResourceConfig": {"InstanceType": {"Get": "Parameters.TrainingInstanceType"}},
                                "StoppingCondition": {"MaxRuntimeInSeconds": 3000},
                            },
                        }
                    ],
                    "ElseSteps": [],
                },
            },
            {
                "Type": "Training",
                "Arguments": {
                    "ResourceConfig": {"InstanceType": "ml.c5.xlarge"},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
                },
            },
            {"Type": "Transform", "Arguments": {"TransformResources": {"InstanceType": {"Std:Join": {}}}}},
            {"Type": "Model", "Arguments": {}},
        ],
    }
    assert job_limits_from_definition(json.dumps(definition)) == {
        "Processing": JobLimits(("ml.m5.large",), 600),
        "Training": JobLimits(("ml.c5.xlarge", "ml.m5.xlarge"), 7200),
        "Transform": JobLimits(None, None),  # an expression: no instance type limit, and no runtime key
    }
    overridden = job_limits_from_definition(json.dumps(definition), {"TrainingInstanceType": "ml.g5.xlarge"})
    assert overridden["Training"].instance_types == ("ml.c5.xlarge", "ml.g5.xlarge")


def test_approval_statuses_come_from_the_compiled_definition() -> None:
    definition = json.dumps(
        {
            "Parameters": [{"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"}],
            "Steps": [
                {
                    "Type": "Condition",
                    "Arguments": {
                        "IfSteps": [
                            {
                                "Type": "RegisterModel",
                                "Arguments": {"ModelApprovalStatus": {"Get": "Parameters.ModelApprovalStatus"}},
                            }
                        ]
                    },
                },
                {"Type": "RegisterModel", "Arguments": {"ModelApprovalStatus": "Rejected"}},
            ],
        }
    )
    assert approval_statuses_from_definition(definition) == {"PendingManualApproval", "Rejected"}
    assert approval_statuses_from_definition(definition, {"ModelApprovalStatus": "Approved"}) == {
        "PendingManualApproval",
        "Approved",
        "Rejected",
    }


def test_model_packages_only_in_the_given_groups(explicit: Built) -> None:
    resources = [GROUP_ARN, "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/*"]
    assert explicit.statement("SageMakerRegisterModelPackages")["Resource"] == resources
    statement = explicit.statement("SageMakerModelPackages")
    assert set(_list(statement["Action"])) == {"sagemaker:DescribeModelPackage", "sagemaker:AddTags"}
    assert statement["Resource"] == resources[1]


def test_model_package_group_arn_may_be_a_token() -> None:
    stack = cdk.Stack(new_app(), "TokenGroup")
    group = sagemaker.CfnModelPackageGroup(stack, "Group", model_package_group_name="churn")
    built = _build(
        stack,
        network=False,
        step_kinds={"RegisterModel"},
        model_package_group_arns=[group.attr_model_package_group_arn],
    )
    resources = built.statement("SageMakerRegisterModelPackages")["Resource"]
    group_arn = {"Fn::GetAtt": [stack.get_logical_id(group), "ModelPackageGroupArn"]}
    parts = {"Fn::Split": [":model-package-group/", group_arn]}
    assert resources == [
        group_arn,
        {"Fn::Join": ["", [{"Fn::Select": [0, parts]}, ":model-package/", {"Fn::Select": [1, parts]}, "/*"]]},
    ]


def test_only_the_kinds_in_use_are_granted() -> None:
    built = _build(cdk.Stack(new_app(), "ProcessingOnly"), network=False, step_kinds={"Processing", "Condition"})
    sagemaker_actions = {a for a in built.actions() if a.startswith("sagemaker:")}
    assert sagemaker_actions == {
        "sagemaker:AddTags",
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
    }
    assert built.statement("JobMetrics")["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": ["/aws/sagemaker/ProcessingJobs"]}
    }
    streams = [built.stack.resolve(r) for r in _list(built.statement("JobLogStreams")["Resource"])]
    assert len(streams) == 1 and "ProcessingJobs:log-stream:pipelines-*" in str(streams[0])


def test_register_model_alone_passes_no_role_and_pulls_no_image() -> None:
    built = _build(cdk.Stack(new_app(), "RegisterOnly"), network=False, step_kinds={"RegisterModel"})
    assert {a.split(":")[0] for a in built.actions()} == {"sagemaker", "s3", "kms"}


def test_no_ec2_permissions_without_a_network() -> None:
    built = _build(cdk.Stack(new_app(), "NoNetwork"), network=False)
    assert not [a for a in built.actions() if a.startswith("ec2:")]


def test_condition_and_fail_steps_need_nothing_but_the_store() -> None:
    built = _build(cdk.Stack(new_app(), "NoJobs"), network=False, step_kinds={"Condition", "Fail"})
    assert {a.split(":")[0] for a in built.actions()} == {"s3", "kms"}


# -- job runtime -----------------------------------------------------------------------------


def test_reads_and_writes_the_artifact_store(full: Built) -> None:
    actions = full.actions()
    assert {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey"} <= actions
    assert "s3:DeleteObject" not in actions


def test_artifact_prefix_narrows_the_store_grant() -> None:
    built = _build(cdk.Stack(new_app(), "Prefix"), network=False, artifact_prefix="churn/")
    objects = [built.stack.resolve(r) for r in built.resources_of("s3:GetObject")]
    assert len(objects) == 1 and objects[0]["Fn::Join"][1][-1] == "/churn/*"
    listing = [s for s in built.statements if "s3:ListBucket" in _list(s["Action"])]
    assert [s["Condition"] for s in listing] == [{"StringLike": {"s3:prefix": ["churn/*"]}}]


def test_ecr_pulls_default_to_the_account_repositories(explicit: Built) -> None:
    assert explicit.statement("EcrAuthorizationToken")["Resource"] == "*"
    assert explicit.statement("EcrPullImages")["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/*"


def test_ecr_pulls_can_be_limited_to_given_repositories() -> None:
    repositories = [
        "arn:aws:ecr:eu-west-1:123456789012:repository/churn-train",
        "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-scikit-learn",
    ]
    built = _build(cdk.Stack(new_app(), "Repositories"), network=False, ecr_repository_arns=repositories)
    assert built.statement("EcrPullImages")["Resource"] == repositories


def test_logs_only_in_sagemaker_job_log_groups(explicit: Built) -> None:
    groups = _list(explicit.statement("JobLogGroups")["Resource"])
    streams = _list(explicit.statement("JobLogStreams")["Resource"])
    base = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/"
    assert all(g.startswith(base) for g in groups + streams)
    assert sorted(streams) == [
        f"{base}{kind}Jobs:log-stream:pipelines-*" for kind in ("Processing", "Training", "Transform")
    ]


def test_custom_name_prefix() -> None:
    built = _build(
        ExplicitStack(new_app(), "CustomPrefix"),
        network=False,
        step_kinds={"Training"},
        resource_name_prefix="churn-",
    )
    assert built.statement("SageMakerTrainingJobCreate")["Resource"].endswith(":training-job/churn-*")
    assert built.statement("JobLogStreams")["Resource"].endswith(":log-stream:churn-*")


def test_eni_permissions_in_the_documented_form_in_this_account_and_region(explicit: Built) -> None:
    eni = explicit.statement("VpcNetworkInterfaces")
    assert sorted(_list(eni["Action"])) == [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
    ]
    # No conditions: SageMaker's VPC validation of processing jobs fails with them.
    assert "Condition" not in eni
    assert sorted(eni["Resource"]) == [
        f"arn:aws:ec2:eu-west-1:123456789012:{kind}/*" for kind in ("network-interface", "security-group", "subnet")
    ]
    assert "Condition" not in explicit.statement("VpcDescribe")


def test_imported_network_ids_are_enforced_on_job_creation() -> None:
    stack = cdk.Stack(new_app(), "ImportedNetwork")
    network = PipelineNetwork(
        stack,
        "Network",
        existing_subnet_ids=["subnet-0123456789abcdef0"],
        existing_security_group_ids=["sg-0123456789abcdef0"],
    )
    role = ExecutionRole(
        stack,
        "Execution",
        step_kinds={"Training"},
        artifact_store=ArtifactStore(stack, "Store"),
        network=network,
    )
    condition = Built(stack, role).statement("SageMakerTrainingJobCreate")["Condition"]
    assert condition["ForAllValues:StringEquals"] == _vpc(["subnet-0123456789abcdef0"], ["sg-0123456789abcdef0"])


# -- imported mode ---------------------------------------------------------------------------


def test_imported_role_is_immutable_and_creates_nothing() -> None:
    stack = cdk.Stack(new_app(), "ImportedRole")
    placeholder = cdk.CfnWaitConditionHandle(stack, "Placeholder")  # CDK refuses empty stacks
    arn = "arn:aws:iam::123456789012:role/pipeline-execution"
    role = ExecutionRole(stack, "Execution", existing_role_arn=arn)
    assert role.role_arn == arn and role.role.role_name == "pipeline-execution"
    store = ArtifactStore(stack, "Store", existing_bucket_name="my-artifacts")
    store.grant_read_write(role.role)  # mutable=False: nothing is attached
    assert list(Template.from_stack(stack).to_json()["Resources"]) == [stack.get_logical_id(placeholder)]


# -- input errors ----------------------------------------------------------------------------


def _error(**props) -> str:
    with pytest.raises(ValueError) as error:
        ExecutionRole(cdk.Stack(new_app(), "Errors"), "Execution", **props)
    return str(error.value)


def test_existing_role_and_new_role_props_are_rejected_together() -> None:
    message = _error(existing_role_arn="arn:aws:iam::123456789012:role/x", step_kinds={"Training"}, role_name="y")
    assert (
        "Either provide existing_role_arn or the props of a new role (role_name, step_kinds), but not both" in message
    )


def test_required_props_are_reported_at_once() -> None:
    message = _error()
    assert "step_kinds is required when creating a role" in message
    assert "artifact_store is required when creating a role" in message


def test_unknown_step_kind_suggests_the_closest() -> None:
    assert "unknown step kind 'Trainig'; did you mean 'Training'?" in _error(step_kinds={"Trainig"})


def test_model_package_groups_go_with_register_model() -> None:
    assert "model_package_group_arns is required with step kind RegisterModel" in _error(step_kinds={"RegisterModel"})
    message = _error(step_kinds={"Training"}, model_package_group_arns=[GROUP_ARN])
    assert "model_package_group_arns is only used with step kind RegisterModel" in message


def test_bad_values_are_rejected() -> None:
    message = _error(
        step_kinds={"RegisterModel"},
        resource_name_prefix="Pipelines-",
        model_package_group_arns=["churn"],
        ecr_repository_arns=["my-repo"],
        existing_role_arn=None,
    )
    assert "resource_name_prefix must be lowercase" in message
    assert "not a model package group ARN: 'churn'" in message
    assert "not an ECR repository ARN: 'my-repo'" in message
    assert "not an IAM role ARN" in _error(existing_role_arn="pipeline-execution")


def test_step_kinds_are_the_documented_ones() -> None:
    assert STEP_KINDS == ALL_KINDS


# -- security gates (slow: external tools) ---------------------------------------------------


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """Both env modes in one app with cdk-nag registered: synth raises on any unacknowledged finding."""
    app = new_app(nag=True)
    stacks = [cdk.Stack(app, "Agnostic"), ExplicitStack(app, "Explicit")]
    for stack in stacks:
        store = ArtifactStore(stack, "Store")
        network = PipelineNetwork(stack, "Network")
        ExecutionRole(
            stack,
            "Execution",
            step_kinds=ALL_KINDS,
            artifact_store=store,
            network=network,
            model_package_group_arns=[GROUP_ARN],
            pipeline_tag=TAG,
            job_limits=LIMITS,
            create_log_groups=stack.stack_name == "Agnostic",  # checkov reads this one
        )
    out = tmp_path_factory.mktemp("execution_role")
    return [write_template(synth_template(stack), out / f"{stack.stack_name}.json") for stack in stacks]


@pytest.mark.slow
def test_security_gates_pass(gated) -> None:
    # Reaching here means the cdk-nag plugin found nothing unacknowledged in either stack.
    assert [finding for path in gated for finding in run_cfn_lint(path)] == []
    assert run_checkov(gated[0]) == []
