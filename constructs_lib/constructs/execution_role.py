"""``ExecutionRole``: the least-privilege IAM role that SageMaker Pipelines and its jobs assume."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib.compiler.naming import PIPELINE_TAG_KEY
from constructs_lib.config.kinds import DEFINITION_TYPES, JobPermissions
from constructs_lib.constructs import _nag

if TYPE_CHECKING:  # only attributes are used: any object with the same shape will do
    from constructs_lib.constructs.artifact_store import ArtifactStore
    from constructs_lib.constructs.pipeline_network import PipelineNetwork

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
DEFAULT_RESOURCE_NAME_PREFIX = "pipelines-"


@dataclass(frozen=True)
class _JobKind:
    """A definition step type that runs a job or creates a model, with its permissions (declared in
    :mod:`constructs_lib.config.kinds`: ``DefinitionType.job``)."""

    name: str  # step Type, e.g. "Processing"
    permissions: JobPermissions

    def __getattr__(self, item: str) -> Any:
        return getattr(self.permissions, item)


_JOB_KINDS: dict[str, _JobKind] = {d.name: _JobKind(d.name, d.job) for d in DEFINITION_TYPES.values() if d.job}
#: Model approval statuses a RegisterModel step may ask for, by default: registering ``Approved`` (from a
#: pipeline parameter or from job code calling CreateModelPackage) is refused; approval is a separate,
#: human ``UpdateModelPackage`` call this role cannot make.
DEFAULT_MODEL_APPROVAL_STATUSES = ("PendingManualApproval",)


@dataclass(frozen=True)
class JobLimits:
    """What the jobs of one step kind may ask for: instance types and longest runtime (None: no limit); with
    ``network_isolation``, only requests that enable network isolation (every job of the kind asks for it)."""

    instance_types: tuple[str, ...] | None = None
    max_runtime_in_seconds: int | None = None
    network_isolation: bool = False

    def union(self, other: JobLimits) -> JobLimits:
        """Limits that allow what either allows (None: unlimited wins; isolation only if both require it)."""
        types = (
            None
            if self.instance_types is None or other.instance_types is None
            else tuple(sorted({*self.instance_types, *other.instance_types}))
        )
        runtime = (
            None
            if self.max_runtime_in_seconds is None or other.max_runtime_in_seconds is None
            else max(self.max_runtime_in_seconds, other.max_runtime_in_seconds)
        )
        return JobLimits(types, runtime, self.network_isolation and other.network_isolation)


def approval_statuses_from_definition(
    definition: str, parameter_defaults: Mapping[str, Any] | None = None
) -> frozenset[str]:
    """The model approval statuses the RegisterModel steps of a compiled definition ask for (a parameter with its
    default, or ``parameter_defaults``), plus ``PendingManualApproval``; None/other expressions count as pending."""
    data = json.loads(definition)
    defaults = {p["Name"]: p.get("DefaultValue") for p in data.get("Parameters", [])}
    defaults.update(parameter_defaults or {})
    found = set(DEFAULT_MODEL_APPROVAL_STATUSES)

    def visit(steps: list[dict[str, Any]]) -> None:
        for step in steps:
            arguments = step.get("Arguments", {})
            if step.get("Type") == "Condition":
                visit(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
            elif step.get("Type") == _REGISTER_MODEL:
                status = arguments.get("ModelApprovalStatus")
                if isinstance(status, dict) and str(status.get("Get", "")).startswith("Parameters."):
                    status = defaults.get(str(status["Get"]).removeprefix("Parameters."))
                if isinstance(status, str) and status in _APPROVAL_STATUSES:
                    found.add(status)

    visit(data.get("Steps", []))
    return frozenset(found)


def job_limits_from_definition(
    definition: str, parameter_defaults: Mapping[str, Any] | None = None
) -> dict[str, JobLimits]:
    """The instance types and longest runtime each job kind of a compiled definition asks for, and whether all
    its jobs enable network isolation (``EnableNetworkIsolation`` literally true: a parameter could turn it off).

    A value given by a pipeline parameter counts with its default (or ``parameter_defaults``): starting an
    execution with another instance type or a longer runtime is then refused by the role. A value the role
    cannot know at synth time (any other expression) leaves that kind without the limit.
    """
    data = json.loads(definition)
    defaults = {p["Name"]: p.get("DefaultValue") for p in data.get("Parameters", [])}
    defaults.update(parameter_defaults or {})
    found: dict[str, tuple[set[str] | None, int | None, bool]] = {}
    isolated: dict[str, bool] = {}

    def value(raw: Any) -> Any:
        if isinstance(raw, dict) and set(raw) == {"Get"} and str(raw["Get"]).startswith("Parameters."):
            return defaults.get(str(raw["Get"]).removeprefix("Parameters."))
        return raw

    def visit(steps: list[dict[str, Any]]) -> None:
        for step in steps:
            arguments = step.get("Arguments", {})
            if step.get("Type") == "Condition":
                visit(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
                continue
            declared = DEFINITION_TYPES.get(step.get("Type", ""))
            if declared is not None and declared.isolation:
                flag: Any = arguments
                for key in declared.isolation:
                    flag = flag.get(key) if isinstance(flag, dict) else None
                isolated[step["Type"]] = isolated.get(step["Type"], True) and flag is True
            if declared is None or not declared.resources:
                continue
            resources = declared.resources
            config: Any = arguments
            for key in resources:
                config = config.get(key, {}) if isinstance(config, dict) else {}
            types, runtime, runtime_known = found.get(step["Type"], (set(), 0, True))
            instance_type = value(config.get("InstanceType")) if isinstance(config, dict) else None
            types = types | {instance_type} if types is not None and isinstance(instance_type, str) else None
            stopping: Any = arguments
            for key in declared.stopping:
                stopping = stopping.get(key, {}) if isinstance(stopping, dict) else {}
            seconds = value(stopping.get("MaxRuntimeInSeconds") if isinstance(stopping, dict) else None)
            if isinstance(seconds, int) and not isinstance(seconds, bool) and runtime is not None:
                runtime = max(runtime, seconds)
            else:
                runtime_known = False
            found[step["Type"]] = (types, runtime, runtime_known)

    visit(data.get("Steps", []))
    limits = {
        kind: JobLimits(
            tuple(sorted(types)) if types else None,
            runtime if known and runtime else None,
            isolated.get(kind, False),
        )
        for kind, (types, runtime, known) in found.items()
    }
    # Kinds without instance settings (Model): only their isolation.
    limits.update(
        {kind: JobLimits(network_isolation=True) for kind, on in isolated.items() if on and kind not in found}
    )
    return limits


_REGISTER_MODEL = next(d.name for d in DEFINITION_TYPES.values() if d.registers_model)
#: Every step kind of a definition (job kinds, RegisterModel, and steps the Pipelines service evaluates itself).
STEP_KINDS: frozenset[str] = frozenset(DEFINITION_TYPES)

_ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
_ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
_ENI_DESCRIBE_ACTIONS = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
_APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")
_NAME_PREFIX = re.compile(r"^[a-z0-9](-*[a-z0-9])*-?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/*-]+$")
_GROUP_ARN = re.compile(r"^(arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}):model-package-group/([A-Za-z0-9-]+)$")


class ExecutionRole(Construct):
    """The IAM role of a SageMaker pipeline and of the jobs it starts, or an imported role.

    Created mode: a role trusted by ``sagemaker.amazonaws.com`` for this account only
    (``aws:SourceAccount``), with no managed policies and one statement per need:

    - the Pipelines service's calls for the step kinds in ``step_kinds``, on ARNs whose names start with
      ``resource_name_prefix``. The role is also the jobs' role, so a job's code holds these permissions:
      every ``Create*`` call is allowed only with the settings the compiled definition uses (the network's
      subnets and security groups, with a ``Null`` check since ``ForAllValues`` passes when a key is absent;
      the artifact key on volumes and outputs; inter-container traffic encryption; ``job_limits``; network
      isolation where ``job_limits`` or ``network_isolation`` ask for it); with ``pipeline_tag``, jobs and models are
      created only with the tag ``smp:pipeline=<pipeline_tag>`` and described, stopped and tagged only when they
      carry it;
      ``CreateModelPackage`` only into ``model_package_group_arns`` and only with a status in
      ``model_approval_statuses``;
    - ``iam:PassRole`` on itself only, to ``sagemaker.amazonaws.com`` only;
    - read/write of the artifact bucket and its key (``ArtifactStore.grant_read_write``), and
      ``kms:CreateGrant`` on that key for AWS resources only (SageMaker's encrypted job volumes);
    - ECR pulls (``ecr:GetAuthorizationToken`` supports no resource scoping; layer and image reads
      are scoped to ``ecr_repository_arns``);
    - CloudWatch Logs streams of the jobs' log groups, ``cloudwatch:PutMetricData`` in the jobs'
      namespaces only; with ``create_log_groups`` the groups themselves (encrypted, with retention);
    - with ``network``: the ENI calls of VPC jobs, in the form SageMaker validates (see ``_add_vpc_access``).

    Imported mode: ``existing_role`` (an ``iam.IRole``, e.g. ``Role.from_role_arn(..., mutable=False)`` or a role
    of your app) or ``existing_role_arn`` (imported immutable). This construct attaches nothing to it.

    Props of the two modes cannot be mixed, nor ``existing_role`` with ``existing_role_arn``; all input errors
    are reported together.

    :param step_kinds: Step kinds of the pipeline: Processing, Training, Tuning, Transform, Model,
        RegisterModel, Condition, Fail (``DEFINITION_TYPES`` of :mod:`constructs_lib.config.kinds`). Required in
        created mode.
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
    :param pipeline_tag: The pipeline's name, as the compiler tags its jobs (``smp:pipeline``). Default: no
        tag scoping (jobs of every pipeline of the account with the name prefix are reachable).
    :param job_limits: Instance types and longest runtime per step kind (``job_limits_from_definition``).
        Default: no limits.
    :param model_approval_statuses: Statuses CreateModelPackage may set. Default: ``PendingManualApproval``.
    :param network_isolation: Require ``EnableNetworkIsolation`` on processing, training jobs and models (for
        code that needs no network; the definition must then set it). Default: False.
    :param create_log_groups: Create SageMaker's job log groups (account-wide names: one stack per account and
        region may own them) with ``log_retention`` and a new KMS key. Default: False (SageMaker creates them).
    :param log_retention: Retention of created log groups. Default: one year.
    :param existing_role_arn: ARN of a role to use instead of creating one. Default: a new role.
    :param existing_role: A role to use instead of creating one (instead of ``existing_role_arn``).
        Default: a new role.
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
        pipeline_tag: str | None = None,
        job_limits: Mapping[str, JobLimits] | None = None,
        model_approval_statuses: Sequence[str] | None = None,
        network_isolation: bool | None = None,
        create_log_groups: bool | None = None,
        log_retention: logs.RetentionDays | None = None,
        existing_role_arn: str | None = None,
        existing_role: iam.IRole | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        kinds = _check_props(
            existing_role_arn=existing_role_arn,
            existing_role=existing_role,
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
                "pipeline_tag": pipeline_tag,
                "job_limits": job_limits,
                "model_approval_statuses": model_approval_statuses,
                "network_isolation": network_isolation,
                "create_log_groups": create_log_groups,
                "log_retention": log_retention,
            },
        )

        self._log_groups: dict[str, logs.LogGroup] = {}
        if existing_role is not None:
            self._role: iam.IRole = existing_role
            return
        if existing_role_arn is not None:
            self._role = iam.Role.from_role_arn(self, "ImportedRole", existing_role_arn, mutable=False)
            return

        assert artifact_store is not None  # checked above
        stack = cdk.Stack.of(self)
        self._stack = stack
        self._prefix = resource_name_prefix if resource_name_prefix is not None else DEFAULT_RESOURCE_NAME_PREFIX
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
        # (resources with a wildcard, reason) to acknowledge on the role at the end
        self._wildcards: list[tuple[list[str], str]] = []
        self._network = network
        self._key_arn = artifact_store.key.key_arn if artifact_store.key is not None else None
        self._tag = pipeline_tag
        self._limits = dict(job_limits or {})
        self._isolation = bool(network_isolation)

        job_kinds = [_JOB_KINDS[k] for k in sorted(kinds) if k in _JOB_KINDS]
        self._add_sagemaker_calls(job_kinds)
        if _REGISTER_MODEL in kinds:
            self._add_model_registry(
                list(model_package_group_arns or ()), list(model_approval_statuses or DEFAULT_MODEL_APPROVAL_STATUSES)
            )
        if job_kinds:  # CreateModelPackage passes no role
            self._add_pass_role()

        # Also acknowledges the object ARN pattern it adds to this role's policy.
        artifact_store.grant_read_write(role, prefix=artifact_prefix)
        if job_kinds and self._key_arn is not None:
            self._add_volume_key_grants(self._key_arn)
        if job_kinds:
            self._add_image_pulls(ecr_repository_arns)
        if create_log_groups:
            self._create_log_groups(job_kinds, log_retention or logs.RetentionDays.ONE_YEAR)
        self._add_logs_and_metrics(job_kinds)
        if network is not None and job_kinds:
            self._add_vpc_access()

        # One acknowledgment per cdk-nag finding id, on the role: its statements are in its DefaultPolicy, or,
        # when that is over IAM's inline size, partly in the OverflowPolicyN that aws-cdk-lib adds to the role
        # (customer-managed policies of this role only).
        reasons: dict[str, list[str]] = {}
        for resources, reason in self._wildcards:
            for rule_id in _nag.wildcard_resource_finding_ids(role, resources):
                reasons.setdefault(rule_id, [])
                if reason not in reasons[rule_id]:
                    reasons[rule_id].append(reason)
        for rule_id, why in reasons.items():
            _nag.acknowledge(role, rule_id, " ".join(why))

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

    def _add(
        self, sid: str, actions: Sequence[str], resources: Sequence[str], conditions: Mapping[str, Any] | None = None
    ) -> None:
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
        tagged_arns: list[str] = []
        tagged_actions: list[str] = []
        for kind in job_kinds:
            resources = [self._sagemaker_arn(kind.resource_type, f"{self._prefix}*")]
            sid = _sid("SageMaker", kind.resource_type)
            self._add(f"{sid}Create", [kind.create], resources, self._create_conditions(kind))
            if self._tag is not None and kind.tagged:
                tagged_arns += resources
                tagged_actions += kind.others
            else:
                # Pipelines tags what it creates (execution ARN); AddTags only on those resources.
                self._add(f"{sid}Manage", [*kind.others, "sagemaker:AddTags"], resources)
            self._wildcards.append(
                (
                    resources,
                    f"SageMaker Pipelines generates {kind.resource_type} names at run time; they all "
                    f"start with '{self._prefix}', so the ARN is scoped to that prefix"
                    + (f" (and to the tag {PIPELINE_TAG_KEY}={self._tag})." if self._tag and kind.tagged else "."),
                )
            )
        if tagged_arns:
            own = {"StringEquals": {f"aws:ResourceTag/{PIPELINE_TAG_KEY}": self._tag}}
            # aws:ResourceTag: only this pipeline's jobs, not every pipelines-* job of the account.
            self._add("SageMakerManageOwnJobs", tagged_actions, tagged_arns, own)
            tag = f"aws:RequestTag/{PIPELINE_TAG_KEY}"
            # Tagging on create needs sagemaker:AddTags; a job that has no pipeline tag yet may get ours only.
            self._add(
                "SageMakerTagNewJobs",
                ["sagemaker:AddTags"],
                tagged_arns,
                {"StringEquals": {tag: self._tag}, "Null": {f"aws:ResourceTag/{PIPELINE_TAG_KEY}": "true"}},
            )
            # Pipelines adds its own tags to the jobs it started: only on this pipeline's jobs.
            self._add("SageMakerTagOwnJobs", ["sagemaker:AddTags"], tagged_arns, own)

    def _create_conditions(self, kind: _JobKind) -> dict[str, dict[str, Any]] | None:
        """The conditions of one Create* call: what the compiled definition asks for, and nothing else.

        Condition keys and their types (ARN, Bool, ArrayOfString, Numeric): Service Authorization Reference
        for Amazon SageMaker. An ``Allow`` with ``ArnEquals``/``Bool``/``Numeric*`` fails when the key is
        absent; ``ForAllValues`` passes on an absent key, hence the ``Null`` checks.
        """
        conditions: dict[str, dict[str, Any]] = {}

        def put(operator: str, key: str, value: Any) -> None:
            conditions.setdefault(operator, {})[key] = value

        if self._tag is not None and kind.tagged:
            put("StringEquals", f"aws:RequestTag/{PIPELINE_TAG_KEY}", self._tag)
        if kind.vpc and self._network is not None:
            put("ForAllValues:StringEquals", "sagemaker:VpcSubnets", list(self._network.subnet_ids))
            put("ForAllValues:StringEquals", "sagemaker:VpcSecurityGroupIds", list(self._network.security_group_ids))
            put("Null", "sagemaker:VpcSubnets", "false")
            put("Null", "sagemaker:VpcSecurityGroupIds", "false")
        if kind.kms and self._key_arn is not None:
            put("ArnEquals", "sagemaker:VolumeKmsKey", self._key_arn)
            # A job without outputs (or without a key on them) sends no OutputKmsKey; the bucket's default
            # encryption and its policy then apply the same key.
            put("ArnEqualsIfExists", "sagemaker:OutputKmsKey", self._key_arn)
        if kind.traffic_encryption:
            put("Bool", "sagemaker:InterContainerTrafficEncryption", "true")
        limits = self._limits.get(kind.name)
        if kind.isolation and (self._isolation or (limits is not None and limits.network_isolation)):
            # Bool fails when the key is absent: a request without EnableNetworkIsolation is refused too.
            put("Bool", "sagemaker:NetworkIsolation", "true")
        if kind.limits and limits is not None and limits.instance_types:
            put("ForAllValues:StringEquals", "sagemaker:InstanceTypes", list(limits.instance_types))
            put("Null", "sagemaker:InstanceTypes", "false")
        if kind.max_runtime and limits is not None and limits.max_runtime_in_seconds:
            put("NumericLessThanEquals", "sagemaker:MaxRuntimeInSeconds", str(limits.max_runtime_in_seconds))
        return conditions or None

    def _add_model_registry(self, group_arns: list[str], statuses: list[str]) -> None:
        package_arns = [_model_package_arn_pattern(arn) for arn in group_arns]
        # sagemaker:ModelApprovalStatus (CreateModelPackage): no Approved model from a parameter or job code.
        self._add(
            "SageMakerRegisterModelPackages",
            ["sagemaker:CreateModelPackage"],
            [*group_arns, *package_arns],
            {"StringEquals": {"sagemaker:ModelApprovalStatus": statuses}},
        )
        self._add("SageMakerModelPackages", ["sagemaker:DescribeModelPackage", "sagemaker:AddTags"], package_arns)
        self._wildcards.append(
            (
                package_arns,
                "Model package versions are numbered by SageMaker at registration; the ARN is "
                "limited to the versions of the given model package groups.",
            )
        )

    def _add_volume_key_grants(self, key_arn: str) -> None:
        # SageMaker creates a grant on the volume key for the job's encrypted EBS volumes; only for AWS
        # resources (kms:GrantIsForAWSResource), so job code cannot hand the key to a principal of its choice.
        self._add(
            "KmsGrantsForJobVolumes",
            ["kms:CreateGrant"],
            [key_arn],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
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
        groups = list(dict.fromkeys(kind.log_group for kind in job_kinds if kind.log_group))  # Tuning: Training's
        if groups:
            group_arns = [self._log_group_arn(group) for group in groups]
            # SageMaker creates the group on first use, unless this construct created it beforehand.
            create = [] if self._log_groups else ["logs:CreateLogGroup"]
            self._add(
                "JobLogGroups",
                [*create, "logs:DescribeLogStreams"],
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

    def _create_log_groups(self, job_kinds: list[_JobKind], retention: logs.RetentionDays) -> None:
        """SageMaker's job log groups, encrypted and with retention, before the first job writes to them.

        Their names are fixed and account-wide (one per job kind and region): a second stack creating them,
        or groups that already exist, make the deployment fail. So this is opt-in, for one stack per account
        and region; otherwise SageMaker creates them on first use (unencrypted by a customer key, never
        expiring) and an administrator sets retention and a key once (see README, Security).
        """
        from constructs_lib.constructs.pipeline_network import new_logs_key

        groups = list(dict.fromkeys(kind.log_group for kind in job_kinds if kind.log_group))  # Tuning: Training's
        if not groups:
            return
        key = new_logs_key(self, "JobLogsKey", f"Encrypts the SageMaker job log groups of {self.node.path}")
        for group in groups:
            self._log_groups[group] = logs.LogGroup(
                self,
                f"LogGroup{group.rsplit('/', 1)[-1]}",
                log_group_name=group,
                encryption_key=key,
                retention=retention,
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )

    @property
    def log_groups(self) -> dict[str, logs.LogGroup]:
        """The job log groups this construct created, by name (empty unless ``create_log_groups``)."""
        return dict(self._log_groups)

    def _add_vpc_access(self) -> None:
        """ENI permissions of VPC jobs: SageMaker creates, shares and deletes ENIs in the job's subnets.

        In the form of AWS's example execution-role policy (How to use SageMaker AI execution roles,
        CreateProcessingJob/CreateTrainingJob API permissions,
        https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html): the ec2 actions without
        conditions. SageMaker checks these permissions before it starts a VPC job, and a processing job fails
        that check when they carry conditions such as ``ec2:Subnet``/``ec2:Vpc`` (reported in the review that
        led to this form; the exact AWS note was not retrievable offline when this was written). The resources
        are limited to this account and region, which every real call matches; the pipeline's own subnets and
        security groups are enforced on the Create* job calls (``sagemaker:VpcSubnets``,
        ``sagemaker:VpcSecurityGroupIds`` in ``_create_conditions``).
        """
        resources = [self._ec2_arn(kind) for kind in ("network-interface", "subnet", "security-group")]
        self._add("VpcNetworkInterfaces", _ENI_ACTIONS, resources)
        # ec2:Describe* support no resource-level permissions.
        self._add("VpcDescribe", _ENI_DESCRIBE_ACTIONS, ["*"])
        self._wildcards.append(
            (
                resources,
                "SageMaker creates, shares and deletes the ENIs of VPC jobs in the form AWS documents (no "
                "conditions: SageMaker's VPC validation of processing jobs fails with them); limited to this "
                "account and region, while the job's subnets and security groups are enforced on Create* calls.",
            )
        )
        self._wildcards.append((["*"], "ec2:Describe* calls support no resource-level permissions."))

    def _ec2_arn(self, resource_type: str) -> str:
        return self._stack.format_arn(service="ec2", resource=resource_type, resource_name="*")


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
    existing_role: iam.IRole | None = None,
) -> frozenset[str]:
    errors: list[str] = []
    kinds: frozenset[str] = frozenset()
    if existing_role is not None and existing_role_arn is not None:
        errors.append("Either provide existing_role or existing_role_arn, but not both")
    if existing_role is not None or existing_role_arn is not None:
        existing = "existing_role" if existing_role is not None else "existing_role_arn"
        given = sorted(name for name, value in created_props.items() if value is not None)
        if given:
            errors.append(f"Either provide {existing} or the props of a new role ({', '.join(given)}), but not both")
        if (
            existing_role_arn is not None
            and not cdk.Token.is_unresolved(existing_role_arn)
            and not _ROLE_ARN.match(existing_role_arn)
        ):
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
                hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(STEP_KINDS))}"
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
        errors += _arn_list_errors(
            "ecr_repository_arns", created_props["ecr_repository_arns"], _REPOSITORY_ARN, "an ECR repository ARN"
        )
        statuses = created_props["model_approval_statuses"]
        if isinstance(statuses, str):
            errors.append("model_approval_statuses must be a list of statuses, not a string")
        # the constructor types model_approval_statuses Sequence[str] | None (a str is reported above)
        for status in cast("Iterable[object]", statuses or ()):
            if not isinstance(statuses, str) and status not in _APPROVAL_STATUSES:
                errors.append(
                    f"model_approval_statuses: unknown status {status!r} (known: {', '.join(_APPROVAL_STATUSES)})"
                )
        for kind, limit in dict(created_props["job_limits"] or {}).items():  # type: ignore[call-overload]
            if kind not in _JOB_KINDS or not (_JOB_KINDS[kind].limits or _JOB_KINDS[kind].isolation):
                limited = ", ".join(sorted(k for k, j in _JOB_KINDS.items() if j.limits or j.isolation))
                errors.append(f"job_limits: {kind!r} is not a job kind with limits ({limited})")
            elif not isinstance(limit, JobLimits):
                errors.append(f"job_limits[{kind!r}] must be a JobLimits")
            elif not _JOB_KINDS[kind].limits and (limit.instance_types or limit.max_runtime_in_seconds):
                errors.append(f"job_limits[{kind!r}]: only network_isolation applies to this kind")
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
    return [
        f"{prop}: not {what}: {arn!r}"
        # the constructor types these props Sequence[str] | None (a str is reported above)
        for arn in cast("Iterable[str]", values or ())
        if not cdk.Token.is_unresolved(arn) and not pattern.match(arn)
    ]
