"""``ExecutionRole``: the least-privilege IAM role that SageMaker Pipelines and its jobs assume."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.constructs import _nag

if TYPE_CHECKING:  # only attributes are used: any object with the same shape will do
    from constructs_lib.constructs.artifact_store import ArtifactStore
    from constructs_lib.constructs.pipeline_network import PipelineNetwork

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
DEFAULT_RESOURCE_NAME_PREFIX = "pipelines-"


@dataclass(frozen=True)
class _JobKind:
    """What one step kind makes SageMaker do: API calls on one resource type, logs and metrics."""

    resource_type: str  # ARN resource type, e.g. "processing-job"
    actions: tuple[str, ...]  # called by the Pipelines service with this role
    log_group: str | None = None  # written by the job's containers
    metric_namespace: str | None = None


# The step kinds of a pipeline definition (see TOOLCHAIN.md) and what each needs.
# Actions and ARN formats: Service Authorization Reference for Amazon SageMaker.
_JOB_KINDS: dict[str, _JobKind] = {
    "Processing": _JobKind(
        "processing-job",
        ("sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob"),
        "/aws/sagemaker/ProcessingJobs",
        "/aws/sagemaker/ProcessingJobs",
    ),
    "Training": _JobKind(
        "training-job",
        ("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"),
        "/aws/sagemaker/TrainingJobs",
        "/aws/sagemaker/TrainingJobs",
    ),
    "Transform": _JobKind(
        "transform-job",
        ("sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob"),
        "/aws/sagemaker/TransformJobs",
        "/aws/sagemaker/TransformJobs",
    ),
    # No logs, but CreateModel checks that the role can pull the model's image.
    "Model": _JobKind("model", ("sagemaker:CreateModel", "sagemaker:DescribeModel")),
}
_REGISTER_MODEL = "RegisterModel"
_REGISTER_MODEL_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage")
# Steps evaluated by the Pipelines service itself: no permission needed.
_NO_PERMISSION_KINDS = frozenset({"Condition", "Fail"})
STEP_KINDS: frozenset[str] = frozenset({*_JOB_KINDS, _REGISTER_MODEL, *_NO_PERMISSION_KINDS})

_ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
_ENI_DESCRIBE_ACTIONS = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
_NAME_PREFIX = re.compile(r"^[a-z0-9](-*[a-z0-9])*-?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/*-]+$")
_GROUP_ARN = re.compile(r"^(arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}):model-package-group/([A-Za-z0-9-]+)$")


class ExecutionRole(Construct):
    """The IAM role of a SageMaker pipeline and of the jobs it starts, or an imported role.

    Created mode: a role trusted by ``sagemaker.amazonaws.com`` for this account only
    (``aws:SourceAccount``), with no managed policies and one statement per need:

    - the Pipelines service's calls for the step kinds in ``step_kinds`` (create, describe, stop
      and tag), on ARNs whose names start with ``resource_name_prefix``; model packages only in
      ``model_package_group_arns``;
    - ``iam:PassRole`` on itself only, to ``sagemaker.amazonaws.com`` only;
    - read/write of the artifact bucket and its key (``ArtifactStore.grant_read_write``);
    - ECR pulls (``ecr:GetAuthorizationToken`` supports no resource scoping; layer and image reads
      are scoped to ``ecr_repository_arns``);
    - CloudWatch Logs streams of the jobs' log groups, ``cloudwatch:PutMetricData`` in the jobs'
      namespaces only;
    - with ``network``: the ENI calls of VPC jobs, limited to its subnets and security groups.

    Imported mode: ``existing_role_arn`` (immutable: nothing is attached to it).

    Props of the two modes cannot be mixed; all input errors are reported together.

    :param step_kinds: Step kinds of the pipeline: Processing, Training, Transform, Model,
        RegisterModel, Condition, Fail. Required in created mode.
    :param artifact_store: Where jobs read and write artifacts. Required in created mode.
    :param artifact_prefix: Key prefix the role may use in the artifact bucket.
        Default: the whole bucket.
    :param network: Subnets and security groups of VPC jobs (``subnet_ids``,
        ``security_group_ids``). Default: no VPC permissions (jobs run without VPC config).
    :param resource_name_prefix: Prefix of the names SageMaker Pipelines gives to jobs and models;
        lowercase, as in SageMaker ARNs. Default: ``"pipelines-"``.
    :param ecr_repository_arns: Repositories the jobs may pull images from (SageMaker framework
        images live in AWS-owned accounts: list those repositories too).
        Default: every repository of this account and region.
    :param model_package_group_arns: Model package groups that RegisterModel steps may register
        into. Required with RegisterModel, not allowed without it. Default: none.
    :param role_name: Physical name of the role. Default: generated by CloudFormation.
    :param existing_role_arn: ARN of a role to use instead of creating one. Default: a new role.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        step_kinds: Iterable[str] | None = None,
        artifact_store: ArtifactStore | None = None,
        artifact_prefix: str | None = None,
        network: PipelineNetwork | None = None,
        resource_name_prefix: str | None = None,
        ecr_repository_arns: Sequence[str] | None = None,
        model_package_group_arns: Sequence[str] | None = None,
        role_name: str | None = None,
        existing_role_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        kinds = _check_props(
            existing_role_arn=existing_role_arn,
            step_kinds=step_kinds,
            created_props={
                "step_kinds": step_kinds,
                "artifact_store": artifact_store,
                "artifact_prefix": artifact_prefix,
                "network": network,
                "resource_name_prefix": resource_name_prefix,
                "ecr_repository_arns": ecr_repository_arns,
                "model_package_group_arns": model_package_group_arns,
                "role_name": role_name,
            },
        )

        if existing_role_arn is not None:
            self._role: iam.IRole = iam.Role.from_role_arn(
                self, "ImportedRole", existing_role_arn, mutable=False
            )
            return

        assert artifact_store is not None  # checked above
        stack = cdk.Stack.of(self)
        self._stack = stack
        self._prefix = (
            resource_name_prefix if resource_name_prefix is not None else DEFAULT_RESOURCE_NAME_PREFIX
        )
        role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            description=f"SageMaker pipeline and job execution role of {self.node.path}",
            assumed_by=iam.PrincipalWithConditions(
                iam.ServicePrincipal(SAGEMAKER_SERVICE),
                {"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
        )
        self._role = role
        # (resources with a wildcard, reason) to acknowledge on the default policy at the end
        self._wildcards: list[tuple[list[str], str]] = []

        job_kinds = [_JOB_KINDS[k] for k in sorted(kinds) if k in _JOB_KINDS]
        self._add_sagemaker_calls(job_kinds)
        if _REGISTER_MODEL in kinds:
            self._add_model_registry(list(model_package_group_arns or ()))
        if job_kinds:  # CreateModelPackage passes no role
            self._add_pass_role()

        # Also acknowledges the object ARN pattern it adds to this role's policy.
        artifact_store.grant_read_write(role, prefix=artifact_prefix)
        if job_kinds:
            self._add_image_pulls(ecr_repository_arns)
        self._add_logs_and_metrics(job_kinds)
        if network is not None and job_kinds:
            self._add_vpc_access(list(network.subnet_ids), list(network.security_group_ids))

        # One acknowledgment per cdk-nag finding id, on the policy that holds the statements.
        policy = _nag.policy_resource(role.node.try_find_child("DefaultPolicy"))
        if policy is not None:
            reasons: dict[str, list[str]] = {}
            for resources, reason in self._wildcards:
                for rule_id in _nag.wildcard_resource_finding_ids(policy, resources):
                    reasons.setdefault(rule_id, [])
                    if reason not in reasons[rule_id]:
                        reasons[rule_id].append(reason)
            for rule_id, why in reasons.items():
                _nag.acknowledge(policy, rule_id, " ".join(why))

    # -- public, read-only -------------------------------------------------------------------

    @property
    def role(self) -> iam.IRole:
        """The role (created, or imported and immutable)."""
        return self._role

    @property
    def role_arn(self) -> str:
        """ARN of the role, for a pipeline's ``RoleArn`` and its jobs' ``RoleArn``."""
        return self._role.role_arn

    # -- statements ----------------------------------------------------------------------------

    def _add(self, sid: str, actions: Sequence[str], resources: Sequence[str], conditions=None) -> None:
        self._role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid,
                actions=sorted(actions),
                resources=list(resources),
                conditions=conditions,
            )
        )

    def _sagemaker_arn(self, resource_type: str, name: str) -> str:
        return self._stack.format_arn(service="sagemaker", resource=resource_type, resource_name=name)

    def _add_sagemaker_calls(self, job_kinds: list[_JobKind]) -> None:
        for kind in job_kinds:
            resources = [self._sagemaker_arn(kind.resource_type, f"{self._prefix}*")]
            # Pipelines tags what it creates (execution ARN); AddTags only on those resources.
            self._add(_sid("SageMaker", kind.resource_type), [*kind.actions, "sagemaker:AddTags"], resources)
            self._wildcards.append(
                (
                    resources,
                    f"SageMaker Pipelines generates {kind.resource_type} names at run time; they all "
                    f"start with '{self._prefix}', so the ARN is scoped to that prefix.",
                )
            )

    def _add_model_registry(self, group_arns: list[str]) -> None:
        package_arns = [_model_package_arn_pattern(arn) for arn in group_arns]
        self._add(
            "SageMakerModelPackages",
            [*_REGISTER_MODEL_ACTIONS, "sagemaker:AddTags"],
            [*group_arns, *package_arns],
        )
        self._wildcards.append(
            (
                package_arns,
                "Model package versions are numbered by SageMaker at registration; the ARN is "
                "limited to the versions of the given model package groups.",
            )
        )

    def _add_pass_role(self) -> None:
        # Pipelines passes this role to the jobs and models it creates: to itself, to SageMaker only.
        self._add(
            "PassSelfToSageMaker",
            ["iam:PassRole"],
            [self._role.role_arn],
            {"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
        )

    def _add_image_pulls(self, repository_arns: Sequence[str] | None) -> None:
        # GetAuthorizationToken supports no resource-level permissions (Resource must be "*").
        self._add("EcrAuthorizationToken", ["ecr:GetAuthorizationToken"], ["*"])
        self._wildcards.append(
            (
                ["*"],
                "ecr:GetAuthorizationToken supports no resource-level permissions; image reads are "
                "scoped to repositories.",
            )
        )
        repositories = (
            list(repository_arns)
            if repository_arns
            else [self._stack.format_arn(service="ecr", resource="repository", resource_name="*")]
        )
        self._add("EcrPullImages", _ECR_PULL_ACTIONS, repositories)
        self._wildcards.append(
            (repositories, "Jobs pull their images from the ECR repositories of this account and region.")
        )

    def _add_logs_and_metrics(self, job_kinds: list[_JobKind]) -> None:
        groups = [kind.log_group for kind in job_kinds if kind.log_group]
        if groups:
            group_arns = [self._log_group_arn(group) for group in groups]
            self._add(
                "JobLogGroups",
                ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                # The ':*' form is what CloudWatch Logs matches for log-group-level actions.
                [*group_arns, *(f"{arn}:*" for arn in group_arns)],
            )
            stream_arns = [f"{arn}:log-stream:{self._prefix}*" for arn in group_arns]
            self._add("JobLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"], stream_arns)
            self._wildcards.append(
                (
                    [f"{arn}:*" for arn in group_arns],
                    "CloudWatch Logs authorizes log-group-level actions (CreateLogGroup, "
                    "DescribeLogStreams) against the group ARN with a ':*' suffix; only SageMaker's "
                    "fixed log groups of the step kinds in use.",
                )
            )
            self._wildcards.append(
                (
                    stream_arns,
                    "Job log streams are named after the generated job names (prefix "
                    f"'{self._prefix}'), in SageMaker's fixed log groups of the step kinds in use.",
                )
            )
        namespaces = sorted({kind.metric_namespace for kind in job_kinds if kind.metric_namespace})
        if namespaces:
            # PutMetricData supports no resource-level permissions; the namespace condition scopes it.
            self._add(
                "JobMetrics",
                ["cloudwatch:PutMetricData"],
                ["*"],
                {"StringEquals": {"cloudwatch:namespace": namespaces}},
            )
            self._wildcards.append(
                (
                    ["*"],
                    "cloudwatch:PutMetricData supports no resource-level permissions; a namespace condition "
                    "limits it to SageMaker's job namespaces.",
                )
            )

    def _log_group_arn(self, name: str) -> str:
        return self._stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )

    def _add_vpc_access(self, subnet_ids: list[str], security_group_ids: list[str]) -> None:
        """ENI permissions of VPC jobs: SageMaker creates, shares and deletes ENIs in the subnets."""
        subnet_arns = [self._ec2_arn("subnet", s) for s in subnet_ids]
        security_group_arns = [self._ec2_arn("security-group", g) for g in security_group_ids]
        eni_arn = self._ec2_arn("network-interface", "*")
        # Every resource of the request must match: ENIs only in these subnets, with these groups.
        self._add(
            "VpcCreateNetworkInterface",
            ["ec2:CreateNetworkInterface"],
            [eni_arn, *subnet_arns, *security_group_arns],
        )
        in_subnets = {"ArnEquals": {"ec2:Subnet": subnet_arns}}
        self._add(
            "VpcShareNetworkInterface",
            ["ec2:CreateNetworkInterfacePermission"],
            [eni_arn],
            {**in_subnets, "StringEquals": {"ec2:Permission": "INSTANCE-ATTACH"}},
        )
        self._add(
            "VpcDeleteNetworkInterface",
            ["ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
            [eni_arn],
            in_subnets,
        )
        # ec2:Describe* support no resource-level permissions; the region condition narrows them.
        self._add(
            "VpcDescribe",
            _ENI_DESCRIBE_ACTIONS,
            ["*"],
            {"StringEquals": {"ec2:Region": self._stack.region}},
        )
        self._wildcards.append(
            (
                [eni_arn],
                "Network interface IDs are created by SageMaker at run time; the statements limit "
                "them to the pipeline's subnets and security groups.",
            )
        )
        self._wildcards.append(
            (["*"], "ec2:Describe* calls support no resource-level permissions; limited to this region.")
        )

    def _ec2_arn(self, resource_type: str, resource_id: str) -> str:
        return self._stack.format_arn(service="ec2", resource=resource_type, resource_name=resource_id)


def _sid(prefix: str, resource_type: str) -> str:
    return prefix + "".join(part.capitalize() for part in resource_type.split("-"))


def _model_package_arn_pattern(group_arn: str) -> str:
    """``...:model-package-group/NAME`` -> ``...:model-package/NAME/*`` (all its versions)."""
    if not cdk.Token.is_unresolved(group_arn):
        match = _GROUP_ARN.match(group_arn)
        assert match is not None  # checked in _check_props
        return f"{match.group(1)}:model-package/{match.group(2)}/*"
    account_and_region, group_name = cdk.Fn.split(":model-package-group/", group_arn, 2)
    return cdk.Fn.join("", [account_and_region, ":model-package/", group_name, "/*"])


def _check_props(
    *,
    existing_role_arn: str | None,
    step_kinds: Iterable[str] | None,
    created_props: dict[str, object],
) -> frozenset[str]:
    errors: list[str] = []
    kinds: frozenset[str] = frozenset()
    if existing_role_arn is not None:
        given = sorted(name for name, value in created_props.items() if value is not None)
        if given:
            errors.append(
                "Either provide existing_role_arn or the props of a new role "
                f"({', '.join(given)}), but not both"
            )
        if not cdk.Token.is_unresolved(existing_role_arn) and not _ROLE_ARN.match(existing_role_arn):
            errors.append(f"existing_role_arn is not an IAM role ARN (got {existing_role_arn!r})")
    else:
        if step_kinds is None:
            errors.append("step_kinds is required when creating a role (e.g. {'Processing', 'Training'})")
        elif isinstance(step_kinds, str):
            errors.append(f"step_kinds must be a collection of step kinds, not a string (got {step_kinds!r})")
        else:
            kinds = frozenset(step_kinds)
            for unknown in sorted(kinds - STEP_KINDS):
                close = difflib.get_close_matches(unknown, sorted(STEP_KINDS), n=1)
                hint = (
                    f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(STEP_KINDS))}"
                )
                errors.append(f"step_kinds: unknown step kind {unknown!r}{hint}")
        if created_props["artifact_store"] is None:
            errors.append("artifact_store is required when creating a role")
        prefix = created_props["resource_name_prefix"]
        if isinstance(prefix, str) and not _NAME_PREFIX.match(prefix):
            errors.append(
                "resource_name_prefix must be lowercase letters, digits and hyphens, as in SageMaker "
                f"ARNs (got {prefix!r})"
            )
        artifact_prefix = created_props["artifact_prefix"]
        if isinstance(artifact_prefix, str) and (
            not artifact_prefix or artifact_prefix.startswith("/") or "*" in artifact_prefix
        ):
            errors.append(
                f"artifact_prefix must be a key prefix without a leading '/' or '*' (got {artifact_prefix!r})"
            )
        groups = created_props["model_package_group_arns"]
        if _REGISTER_MODEL in kinds and not groups:
            errors.append("model_package_group_arns is required with step kind RegisterModel")
        if groups and _REGISTER_MODEL not in kinds:
            errors.append("model_package_group_arns is only used with step kind RegisterModel")
        errors += _arn_list_errors("model_package_group_arns", groups, _GROUP_ARN, "a model package group ARN")
        errors += _arn_list_errors("ecr_repository_arns", created_props["ecr_repository_arns"], _REPOSITORY_ARN,
                                   "an ECR repository ARN")
        network = created_props["network"]
        if network is not None and not (
            list(getattr(network, "subnet_ids", None) or [])
            and list(getattr(network, "security_group_ids", None) or [])
        ):
            errors.append("network must have subnet_ids and security_group_ids")
    if errors:
        raise ValueError("Invalid ExecutionRole props:\n  - " + "\n  - ".join(errors))
    return kinds


def _arn_list_errors(prop: str, values: object, pattern: re.Pattern[str], what: str) -> list[str]:
    """Problems of a list-of-ARNs prop (tokens are checked at deploy time, not here)."""
    if isinstance(values, str):
        return [f"{prop} must be a list of ARNs, not a string"]
    return [f"{prop}: not {what}: {arn!r}" for arn in values or ()  # type: ignore[union-attr]
            if not cdk.Token.is_unresolved(arn) and not pattern.match(arn)]
