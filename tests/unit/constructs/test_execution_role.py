"""ExecutionRole in a bare Stack (with the store and network it needs): modes, errors, gates."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template
from security import new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.execution_role import STEP_KINDS, ExecutionRole
from constructs_lib.constructs.pipeline_network import PipelineNetwork

EXPLICIT_ENV = cdk.Environment(account="123456789012", region="eu-west-1")
GROUP_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn"
ALL_KINDS = {"Processing", "Training", "Model", "Transform", "RegisterModel", "Condition", "Fail"}
# Actions that support no resource-level permissions, and the condition each carries (if any).
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken": None,
    "cloudwatch:PutMetricData": "cloudwatch:namespace",
    "ec2:DescribeDhcpOptions": "ec2:Region",
    "ec2:DescribeNetworkInterfaces": "ec2:Region",
    "ec2:DescribeSecurityGroups": "ec2:Region",
    "ec2:DescribeSubnets": "ec2:Region",
    "ec2:DescribeVpcs": "ec2:Region",
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
        policies = self.template.find_resources(
            "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": self.role_id}]}}
        )
        self.statements = [
            s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]

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


def test_has_no_managed_policies(full: Built) -> None:
    role = full.template.find_resources("AWS::IAM::Role")[full.role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    full.template.resource_count_is("AWS::IAM::ManagedPolicy", 0)


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
    ("sid", "resource_type", "actions"),
    [
        (
            "SageMakerProcessingJob",
            "processing-job",
            {"CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob"},
        ),
        (
            "SageMakerTrainingJob",
            "training-job",
            {"CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob"},
        ),
        (
            "SageMakerTransformJob",
            "transform-job",
            {"CreateTransformJob", "DescribeTransformJob", "StopTransformJob"},
        ),
        ("SageMakerModel", "model", {"CreateModel", "DescribeModel"}),
    ],
)
def test_sagemaker_calls_are_scoped_to_the_name_prefix(
    explicit: Built, sid: str, resource_type: str, actions: set[str]
) -> None:
    statement = explicit.statement(sid)
    assert set(_list(statement["Action"])) == {f"sagemaker:{a}" for a in actions} | {"sagemaker:AddTags"}
    assert statement["Resource"] == f"arn:aws:sagemaker:eu-west-1:123456789012:{resource_type}/pipelines-*"


def test_model_packages_only_in_the_given_groups(explicit: Built) -> None:
    statement = explicit.statement("SageMakerModelPackages")
    assert set(_list(statement["Action"])) == {
        "sagemaker:CreateModelPackage",
        "sagemaker:DescribeModelPackage",
        "sagemaker:AddTags",
    }
    assert statement["Resource"] == [
        GROUP_ARN,
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/*",
    ]


def test_model_package_group_arn_may_be_a_token() -> None:
    stack = cdk.Stack(new_app(), "TokenGroup")
    group = sagemaker.CfnModelPackageGroup(stack, "Group", model_package_group_name="churn")
    built = _build(
        stack,
        network=False,
        step_kinds={"RegisterModel"},
        model_package_group_arns=[group.attr_model_package_group_arn],
    )
    resources = built.statement("SageMakerModelPackages")["Resource"]
    group_arn = {"Fn::GetAtt": [stack.get_logical_id(group), "ModelPackageGroupArn"]}
    parts = {"Fn::Split": [":model-package-group/", group_arn]}
    assert resources == [
        group_arn,
        {"Fn::Join": ["", [{"Fn::Select": [0, parts]}, ":model-package/", {"Fn::Select": [1, parts]}, "/*"]]},
    ]


def test_only_the_kinds_in_use_are_granted() -> None:
    built = _build(
        cdk.Stack(new_app(), "ProcessingOnly"), network=False, step_kinds={"Processing", "Condition"}
    )
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
    assert (
        explicit.statement("EcrPullImages")["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/*"
    )


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
    assert built.statement("SageMakerTrainingJob")["Resource"].endswith(":training-job/churn-*")
    assert built.statement("JobLogStreams")["Resource"].endswith(":log-stream:churn-*")


def test_eni_permissions_are_limited_to_the_network(explicit: Built) -> None:
    eni = "arn:aws:ec2:eu-west-1:123456789012:network-interface/*"
    create = explicit.statement("VpcCreateNetworkInterface")
    resolved = [explicit.stack.resolve(r) for r in create["Resource"]]
    assert resolved[0] == eni
    assert sorted(str(r["Fn::Join"][1][0]) for r in resolved[1:]) == [
        "arn:aws:ec2:eu-west-1:123456789012:security-group/",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/",
    ]
    share = explicit.statement("VpcShareNetworkInterface")
    assert share["Resource"] == eni
    assert share["Condition"]["StringEquals"] == {"ec2:Permission": "INSTANCE-ATTACH"}
    assert len(share["Condition"]["ArnEquals"]["ec2:Subnet"]) == 2
    delete = explicit.statement("VpcDeleteNetworkInterface")
    assert delete["Resource"] == eni and "ec2:Subnet" in delete["Condition"]["ArnEquals"]
    assert explicit.statement("VpcDescribe")["Condition"] == {"StringEquals": {"ec2:Region": "eu-west-1"}}


def test_imported_network_ids_are_used() -> None:
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
    resources = [
        stack.resolve(r) for r in Built(stack, role).statement("VpcCreateNetworkInterface")["Resource"]
    ]
    flat = str(resources)
    assert ":subnet/subnet-0123456789abcdef0" in flat and ":security-group/sg-0123456789abcdef0" in flat


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
    message = _error(
        existing_role_arn="arn:aws:iam::123456789012:role/x", step_kinds={"Training"}, role_name="y"
    )
    assert (
        "Either provide existing_role_arn or the props of a new role (role_name, step_kinds), but not both"
        in message
    )


def test_required_props_are_reported_at_once() -> None:
    message = _error()
    assert "step_kinds is required when creating a role" in message
    assert "artifact_store is required when creating a role" in message


def test_unknown_step_kind_suggests_the_closest() -> None:
    assert "unknown step kind 'Trainig'; did you mean 'Training'?" in _error(step_kinds={"Trainig"})


def test_model_package_groups_go_with_register_model() -> None:
    assert "model_package_group_arns is required with step kind RegisterModel" in _error(
        step_kinds={"RegisterModel"}
    )
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
        )
    out = tmp_path_factory.mktemp("execution_role")
    return [write_template(synth_template(stack), out / f"{stack.stack_name}.json") for stack in stacks]


@pytest.mark.slow
def test_security_gates_pass(gated) -> None:
    # Reaching here means the cdk-nag plugin found nothing unacknowledged in either stack.
    assert [finding for path in gated for finding in run_cfn_lint(path)] == []
    assert run_checkov(gated[0]) == []
