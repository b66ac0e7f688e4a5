"""``MlPipelineStack``: everything one SageMaker pipeline needs, composed from the constructs.

The same class is the sandbox stack (``cdk deploy``) and the body of each environment's stage in the
delivery pipeline. Existing resources (bucket, key, role, subnets, security groups) are used when given,
by keyword or through the framework settings (``SMP_*``); otherwise the stack creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.compiler import background
from constructs_lib.compiler.naming import ecr_repositories, image_refs, image_uris, model_package_groups, step_kinds
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import Schedule
from constructs_lib.constructs.artifact_store import ArtifactStore
from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
from constructs_lib.constructs.execution_role import (
    ExecutionRole,
    JobLimits,
    approval_statuses_from_definition,
    job_limits_from_definition,
)
from constructs_lib.constructs.pipeline_network import PipelineNetwork, select_subnets
from constructs_lib.constructs.pipeline_schedule import PipelineSchedule
from constructs_lib.graph.model import PipelineGraph

_UNSET: Any = object()
#: What jobs do in the artifact bucket (ArtifactStore.grant_read_write), for the S3 gateway endpoint policy.
_ARTIFACT_S3_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)


class MlPipelineStack(cdk.Stack):
    """Artifact store, network, execution role, model package groups, the pipeline and its schedule.

    Keyword-only props (each ``existing_*`` defaults to the matching framework setting of ``project``):

    :param project: / :param graph: the loaded config and its checked graph.
    :param existing_bucket_name: / :param existing_kms_key_arn: use this bucket (and key) for artifacts.
    :param existing_role_arn: use this execution role.
    :param existing_subnet_ids: / :param existing_security_group_ids: run jobs in this network.
    :param existing_bucket: / :param existing_key: / :param existing_role: / :param existing_vpc: /
        :param subnet_selection: / :param existing_security_groups: the same as CDK interfaces (``s3.IBucket``,
        ``kms.IKey``, ``iam.IRole``, ``ec2.IVpc`` with ``ec2.SubnetSelection``, ``ec2.ISecurityGroup``), passed to
        ``ArtifactStore``, ``ExecutionRole`` and ``PipelineNetwork``; an interface replaces the framework setting
        of its string twin, and giving both twins is an error.
    :param parameter_defaults: per-environment default values of pipeline parameters.
    :param schedule: a schedule, or None for none. Default: ``sagemakerPipeline.schedule``.
    :param pipeline_name: default: ``sagemakerPipeline.pipelineName``.
    :param s3_prefix_list_id: the region's S3 prefix list (skips a deploy-time lookup).
    :param extra_endpoints: interface endpoints for job code that calls SageMaker or STS (``SageMakerApi``,
        ``SageMakerRuntime``, ``Sts``). Default: none (see ``PipelineNetwork``).
    :param network_isolation: require network isolation on every job and model (their definition must set it).
        Default: False (the role requires it on the job kinds whose jobs all set ``network_isolation``).
    :param create_job_log_groups: create SageMaker's account-wide job log groups (one stack per account/region).
    :param model_approval_statuses: what RegisterModel may set. Default: ``PendingManualApproval`` and what the
        definition sets with this environment's parameter defaults (starting an execution with another status
        is refused).
    :param compile_in_background: compile the definition in the worker process
        (``constructs_lib.compiler.background``) while the constructs are built. Default: only when the app
        already started that worker (``prewarm()``, as this repository's ``app.py`` does); else in this process.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: ProjectConfig,
        graph: PipelineGraph,
        existing_bucket_name: str | None = _UNSET,
        existing_kms_key_arn: str | None = _UNSET,
        existing_role_arn: str | None = _UNSET,
        existing_subnet_ids: Sequence[str] | None = _UNSET,
        existing_security_group_ids: Sequence[str] | None = _UNSET,
        existing_bucket: s3.IBucket | None = None,
        existing_key: kms.IKey | None = None,
        existing_role: iam.IRole | None = None,
        existing_vpc: ec2.IVpc | None = None,
        subnet_selection: ec2.SubnetSelection | None = None,
        existing_security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        parameter_defaults: Mapping[str, Any] | None = None,
        schedule: Schedule | None = _UNSET,
        pipeline_name: str | None = None,
        s3_prefix_list_id: str | None = None,
        extra_endpoints: Sequence[str] | None = None,
        network_isolation: bool = False,
        create_job_log_groups: bool = False,
        model_approval_statuses: Sequence[str] | None = None,
        compile_in_background: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = project.settings

        def pick(value: Any, default: Any) -> Any:
            return default if value is _UNSET else value

        # An interface prop replaces the framework setting of its string twin (both given: the construct says so).
        bucket = pick(existing_bucket_name, None if existing_bucket is not None else settings.bucket)
        imported_bucket = bool(bucket) or existing_bucket is not None
        key_arn = (
            pick(existing_kms_key_arn, None if existing_key is not None else _key_arn(self, settings.kms_key))
            if imported_bucket
            else None
        )
        subnets = pick(existing_subnet_ids, None if existing_vpc is not None else list(settings.subnets) or None)
        groups_ids = pick(
            existing_security_group_ids,
            None if existing_security_groups is not None else list(settings.security_groups) or None,
        )
        imported_network = bool(subnets) or existing_vpc is not None
        imported_groups = bool(groups_ids) or existing_security_groups is not None
        subnet_count = len(subnets) if subnets else 2
        if existing_vpc is not None and not subnets:
            try:
                subnet_count = len(select_subnets(existing_vpc, subnet_selection))
            except RuntimeError:  # no such subnets: PipelineNetwork reports it with the other errors
                pass
        has_key = not imported_bucket or bool(
            key_arn or existing_key or (existing_bucket is not None and existing_bucket.encryption_key)
        )
        # The definition may compile in another process (the SageMaker SDK's import alone takes ~2 s) while the
        # constructs below are built; the created network has two subnets and one job security group.
        if compile_in_background is None:
            compile_in_background = background.started()
        compile_job = DynamicPipelineConstruct.start_compile(
            project,
            graph,
            subnets=subnet_count,
            security_groups=(
                len(groups_ids or existing_security_groups or ()) if imported_network and imported_groups else 1
            ),
            kms_key=has_key,
            region=self._known_region,
            in_process=not compile_in_background,
        )
        self.artifact_store = ArtifactStore(
            self,
            "ArtifactStore",
            existing_bucket_name=bucket,
            existing_kms_key_arn=key_arn,
            existing_bucket=existing_bucket,
            existing_key=existing_key,
        )
        self.network = PipelineNetwork(
            self,
            "Network",
            existing_subnet_ids=subnets,
            existing_security_group_ids=groups_ids,
            existing_vpc=existing_vpc,
            subnet_selection=subnet_selection,
            existing_security_groups=existing_security_groups,
            s3_prefix_list_id=None if imported_network else s3_prefix_list_id,
            extra_endpoints=None if imported_network else extra_endpoints,
        )
        groups = model_package_groups(project, graph)
        role_arn = pick(existing_role_arn, None if existing_role is not None else settings.role_arn)
        imported_role = bool(role_arn) or existing_role is not None
        schedule = pick(schedule, project.pipeline.schedule)
        created_role: dict[str, Any] = (
            {}
            if imported_role
            else {
                "job_limits": _job_limits(compile_job.result().definition, parameter_defaults, schedule),
                "pipeline_tag": project.pipeline.pipelineName,
                "network_isolation": network_isolation or None,
                "create_log_groups": create_job_log_groups or None,
                "model_approval_statuses": model_approval_statuses
                or sorted(approval_statuses_from_definition(compile_job.result().definition, parameter_defaults)),
            }
        )
        self.execution_role = ExecutionRole(
            self,
            "ExecutionRole",
            existing_role_arn=role_arn,
            existing_role=existing_role,
            step_kinds=None if imported_role else step_kinds(project, graph),
            artifact_store=None if imported_role else self.artifact_store,
            network=None if imported_role else self.network,
            ecr_repository_arns=None if imported_role else self._repository_arns(project, graph),
            model_package_group_arns=None
            if imported_role
            else [
                self.format_arn(service="sagemaker", resource="model-package-group", resource_name=g) for g in groups
            ],
            **created_role,
        )
        self.pipeline = DynamicPipelineConstruct(
            self,
            "Pipeline",
            project=project,
            graph=graph,
            artifact_store=self.artifact_store,
            network=self.network,
            execution_role=self.execution_role,
            pipeline_name=pipeline_name,
            parameter_defaults=parameter_defaults,
            compile_job=compile_job,
        )
        self._allow_s3_through_the_endpoint()
        self.schedule = (
            PipelineSchedule(
                self,
                "Schedule",
                pipeline=self.pipeline,
                expression=schedule.expression,
                parameters=schedule.parameters,
                enabled=schedule.enabled,
            )
            if schedule is not None
            else None
        )
        if self.schedule is not None:
            self.schedule.node.add_dependency(self.pipeline)
        for key, value in sorted(project.pipeline.tags.items()):
            cdk.Tags.of(self).add(key, value)

        cdk.CfnOutput(
            self,
            "PipelineName",
            value=self.pipeline.pipeline_name,
            description="Name of the SageMaker pipeline (python -m constructs_lib start --pipeline NAME)",
        )
        cdk.CfnOutput(self, "PipelineArn", value=self.pipeline.pipeline_arn)
        cdk.CfnOutput(
            self,
            "ArtifactBucketName",
            value=self.artifact_store.bucket_name,
            description="Where the pipeline's jobs write, under <pipeline>/<execution id>/",
        )
        cdk.CfnOutput(self, "ExecutionRoleArn", value=self.execution_role.role_arn)

    @property
    def availability_zones(self) -> list[str]:
        """Two zones without a lookup when the region is known (synth stays offline), else deploy-time zones."""
        if not cdk.Token.is_unresolved(self.region):
            return [f"{self.region}a", f"{self.region}b"]
        return super().availability_zones

    @property
    def _known_region(self) -> str | None:
        """The stack's region when it is a literal (an environment of cdk.json): images must be there."""
        return None if cdk.Token.is_unresolved(self.region) else self.region

    def _allow_s3_through_the_endpoint(self) -> None:
        """The S3 gateway endpoint admits the artifact bucket (what the role does there; the job code and data
        files are in it too, under smp-assets/)."""
        bucket = self.artifact_store.bucket
        self.network.allow_s3([bucket.bucket_arn, self.artifact_store.objects_arn()], _ARTIFACT_S3_ACTIONS)

    def _repository_arns(self, project: ProjectConfig, graph: PipelineGraph) -> list[str]:
        """ECR repositories of every image the jobs and models use (SageMaker pulls them with this role)."""
        arns = []
        for account, region, repository in ecr_repositories(
            image_uris(project, graph), image_refs(project, graph), self._known_region or project.settings.region
        ):
            account = project.settings.account or self.account if account == "${SMP_ACCOUNTID}" else account
            region = project.settings.region or self.region if region == "${SMP_REGION}" else region
            arns.append(
                self.format_arn(
                    service="ecr", account=account, region=region, resource="repository", resource_name=repository
                )
            )
        return arns


def _job_limits(
    definition: str, parameter_defaults: Mapping[str, Any] | None, schedule: Schedule | None
) -> dict[str, JobLimits]:
    """What the role allows: exactly what the compiled definition asks for, with the parameter defaults this
    environment deploys and the values its schedule starts executions with (instance types, runtimes)."""
    limits = job_limits_from_definition(definition, parameter_defaults)
    if schedule is not None and schedule.parameters:
        scheduled = job_limits_from_definition(definition, {**(parameter_defaults or {}), **schedule.parameters})
        limits = {kind: limit.union(scheduled.get(kind, limit)) for kind, limit in limits.items()}
    return limits


def _key_arn(stack: cdk.Stack, key: str | None) -> str | None:
    """SMP_KMSKEY may be a key id, alias or ARN; the artifact store imports ARNs."""
    if key is None or key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return stack.format_arn(service="kms", resource=key)
    return stack.format_arn(service="kms", resource="key", resource_name=key)
