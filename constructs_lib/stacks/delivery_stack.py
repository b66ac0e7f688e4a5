"""``DeliveryStack``: a CDK Pipelines delivery pipeline that promotes the ML pipeline stack through environments.

Source (CodeConnections) -> Build/Synth (``./dev test`` then ``./dev synth``) -> UpdatePipeline (self-mutation)
-> Assets -> one stage per environment, in the order of ``context.environments``. Each stage deploys
:class:`MlPipelineStack` into that environment's account and region and then checks the deployed SageMaker
pipeline. A manual approval opens the last stage (or each stage with ``approval: true``).

The check runs in the tooling account, but the SageMaker pipeline lives in the target account: describing it
needs credentials there. So each stage stack also holds a small role (:class:`DeployCheckRole`) that may only
``sagemaker:DescribePipeline`` that one pipeline and that only the check's CodeBuild role of the tooling account
may assume. The check reads the pipeline name and the role ARN from the stage stack's outputs
(``env_from_cfn_outputs``), assumes the role and compares the deployed definition with what this commit built.
See docs/delivery.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct, IConstruct

from constructs_lib.config.loader import ProjectConfig
from constructs_lib.constructs import _nag
from constructs_lib.constructs.execution_role import approval_statuses_from_definition
from constructs_lib.errors import ConfigError, Problem
from constructs_lib.graph.model import PipelineGraph
from constructs_lib.stacks.environments import DeliveryConfig, TargetEnvironment, parse_delivery_context
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack

#: What the synth step runs: ``./dev`` sets up .venv, .venv-checkov and the pinned CDK CLI by itself.
# `bash ./dev`: source archives do not always keep the executable bit.
SYNTH_COMMANDS = ("bash ./dev test", "bash ./dev synth")
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
RUNTIME_VERSIONS = {"python": "3.11", "nodejs": "20"}
#: The CDK CLI that self-mutation installs (``npm install -g aws-cdk@...``): the same as package.json's pin, which
#: ./dev and the synth step use (a test checks they match). Unpinned, each run would install the newest release.
CDK_CLI_VERSION = "2.1148.1"
#: The cdk-assets CLI the asset publishing step installs (``npm install -g cdk-assets@...``); newest release when
#: pinned (registry dist-tag "latest", 2026-09-18). Bump both deliberately, in a reviewed change.
CDK_ASSETS_CLI_VERSION = "4.7.3"
ML_STACK_ID = "MlPipeline"
APPROVAL_STEP_ID = "Approve"
CHECK_STEP_ID = "CheckPipeline"

#: The post-deploy check, run with ``python3 -c "$CHECK_SCRIPT"`` after ``describe-pipeline`` wrote pipeline.json.
CHECK_SCRIPT = """\
import json, os, sys
described = json.load(open("pipeline.json"))
expected = json.loads(os.environ["EXPECTED"])
definition = json.loads(described["PipelineDefinition"])
found = {
    "steps": sorted(step["Name"] for step in definition.get("Steps", [])),
    "parameters": {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])},
}
print(json.dumps({"pipeline": described.get("PipelineArn"), "status": described.get("PipelineStatus"), **found},
                 indent=1, sort_keys=True))
problems = [f"{key}: expected {expected[key]!r}, found {found[key]!r}" for key in ("steps", "parameters")
            if found[key] != expected[key]]
if described.get("PipelineStatus") != "Active":
    problems.append(f"status is {described.get('PipelineStatus')!r}, not 'Active'")
if problems:
    sys.exit("the deployed SageMaker pipeline is not the one this commit built:\\n  " + "\\n  ".join(problems))
print("ok: the deployed SageMaker pipeline matches this commit")
"""


def physical_name(*parts: str, limit: int = 64) -> str:
    """``a-b-c``, or when longer than ``limit`` a truncated form ending in a hash of the whole (stable)."""
    name = "-".join(p for p in parts if p)
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def stack_name(name: str) -> str:
    """A CloudFormation stack name (letters, digits, hyphens; a letter first; at most 128) from ``name``."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", name)
    if not cleaned[:1].isalpha():
        cleaned = f"s-{cleaned}"
    return physical_name(cleaned, limit=128)


class DeployCheckRole(Construct):
    """A role in the target account that the tooling account's check may assume to describe one pipeline.

    Trust: the tooling account, and there only the principal
    ``arn:<partition>:iam::<tooling>:role/<principal_role_name>``
    (the check's CodeBuild role; the condition survives that role being re-created, unlike a role principal).
    Permissions: ``sagemaker:DescribePipeline`` on ``pipeline_arn``, nothing else. Its ARN is the stack
    output ``DeployCheckRoleArn``. The name is fixed so that the tooling side can grant ``sts:AssumeRole`` on
    exactly this ARN at synth time.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline_arn: str,
        role_name: str,
        tooling_account: str,
        principal_role_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.role_name = role_name
        self.principal_arn = stack.format_arn(
            service="iam", region="", account=tooling_account, resource="role", resource_name=principal_role_name
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            description="Lets the delivery pipeline's post-deploy check describe this SageMaker pipeline",
            assumed_by=iam.AccountPrincipal(tooling_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": self.principal_arn}}
            ),
            max_session_duration=cdk.Duration.hours(1),
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeThisPipeline", actions=["sagemaker:DescribePipeline"], resources=[pipeline_arn]
            )
        )
        self.output = cdk.CfnOutput(
            stack,
            "DeployCheckRoleArn",
            value=self.role.role_arn,
            description="Role the delivery pipeline assumes to check this SageMaker pipeline",
        )


class MlPipelineStage(cdk.Stage):
    """One environment: :class:`MlPipelineStack` with that environment's overrides, plus its check role.

    Only the environment's own keys choose existing resources: the framework settings (``SMP_*``,
    ``sagemakerNetworkSecurity``) name resources of the sandbox account and would be wrong elsewhere.
    The schedule is the environment's (``schedule``), none when it has none.

    :param tooling_account: the account the delivery pipeline runs in (trusted by the check role).
    :param check_principal_role_name: the tooling-account role that may assume the check role.
    :param extra_endpoints: interface endpoints for job code that calls SageMaker or STS (``jobEndpoints``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: ProjectConfig,
        graph: PipelineGraph,
        environment: TargetEnvironment,
        tooling_account: str,
        check_principal_role_name: str,
        extra_endpoints: list[str] | None = None,
    ) -> None:
        super().__init__(
            scope, construct_id, env=cdk.Environment(account=environment.account, region=environment.region)
        )
        self.environment = environment
        self._declared_defaults = {p.name: p.default for p in project.pipeline.parameters}
        name = project.pipeline.pipelineName
        # Behind a manual approval (production by default) the role registers models pending approval only,
        # whatever a parameter says; a default that asks for more is refused here rather than at run time.
        statuses = ["PendingManualApproval"] if environment.approval else None
        self.ml_stack = MlPipelineStack(
            self,
            ML_STACK_ID,
            stack_name=stack_name(f"{name}-{environment.name}"),
            model_approval_statuses=statuses,
            extra_endpoints=extra_endpoints,
            description=f"SageMaker pipeline {name}, environment {environment.name} (constructs_lib delivery)",
            project=project,
            graph=graph,
            existing_bucket_name=environment.existing_bucket_name,
            existing_kms_key_arn=environment.existing_kms_key_arn,
            existing_role_arn=environment.existing_role_arn,
            existing_subnet_ids=list(environment.existing_subnet_ids) if environment.existing_subnet_ids else None,
            existing_security_group_ids=(
                list(environment.existing_security_group_ids) if environment.existing_security_group_ids else None
            ),
            parameter_defaults=dict(environment.parameters) or None,
            schedule=environment.schedule,
        )
        if environment.approval:
            asked = approval_statuses_from_definition(
                self.ml_stack.pipeline.compiled.definition, dict(environment.parameters)
            )
            if asked - {"PendingManualApproval"}:
                raise ConfigError(
                    [
                        Problem(
                            file="cdk.json",
                            key_path=f"context.environments ({environment.name}).parameters",
                            message=f"registers models as {', '.join(sorted(asked - {'PendingManualApproval'}))} in an "
                            "environment behind a manual approval",
                            hint="production registers PendingManualApproval only; approve the model package afterwards",
                        )
                    ]
                )
        # Role names are per account, pipeline names per region: the region keeps two stages apart.
        self.check_role = DeployCheckRole(
            self.ml_stack,
            "DeployCheck",
            pipeline_arn=self.ml_stack.pipeline.pipeline_arn,
            role_name=physical_name(name, environment.region, "deploy-check"),
            tooling_account=tooling_account,
            principal_role_name=check_principal_role_name,
        )

    @property
    def pipeline_name_output(self) -> cdk.CfnOutput:
        return _output(self.ml_stack, "PipelineName")

    def expected(self) -> dict[str, Any]:
        """What the check compares the deployed definition with: top-level step names, parameter defaults."""
        compiled = json.loads(self.ml_stack.pipeline.compiled.definition)
        return {
            "steps": sorted(step["Name"] for step in compiled.get("Steps", [])),
            "parameters": {**self._declared_defaults, **self.environment.parameters},
        }


class DeliveryStack(cdk.Stack):
    """The delivery (tooling) pipeline: CDK Pipelines ``CodePipeline`` with one stage per environment.

    Cross-account ready (KMS-encrypted artifact bucket with a rotating key), self-mutating, no Docker. The
    artifact bucket that CDK Pipelines creates is also versioned and access-logged here. Every cdk-nag
    finding of the CDK Pipelines internals is acknowledged one by one on the policy it is in, and only when
    it is one of the expected grants (:func:`policy_acknowledgments`); anything else fails the synth.

    :param config: the checked ``environments``/``delivery`` context (see :func:`parse_delivery_context`).
    :param extra_endpoints: interface endpoints every stage's network adds for job code (``jobEndpoints``); job
        log groups are not created in stages (their names are account-wide, see ``ExecutionRole``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: ProjectConfig,
        graph: PipelineGraph,
        config: DeliveryConfig,
        extra_endpoints: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        source_config = config.source
        kwargs.setdefault("env", cdk.Environment(account=source_config.account, region=source_config.region))
        kwargs.setdefault(
            "description",
            f"Delivery pipeline of the SageMaker pipeline {project.pipeline.pipelineName} (constructs_lib)",
        )
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        source = pipelines.CodePipelineSource.connection(
            source_config.repository,
            source_config.branch,
            connection_arn=source_config.connection_arn,
            trigger_on_push=True,
        )
        self.synth_step = pipelines.ShellStep(
            "Synth", input=source, commands=list(SYNTH_COMMANDS), primary_output_directory="cdk.out"
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=source_config.pipeline_name,
            synth=self.synth_step,
            cross_account_keys=True,
            enable_key_rotation=True,
            self_mutation=True,
            docker_enabled_for_synth=False,
            publish_assets_in_parallel=False,
            cli_version=CDK_CLI_VERSION,
            cdk_assets_cli_version=CDK_ASSETS_CLI_VERSION,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.SMALL, privileged=False
                ),
                timeout=cdk.Duration.minutes(30),
            ),
            synth_code_build_defaults=pipelines.CodeBuildOptions(
                # The test suite installs the SageMaker SDK (~1 GB), runs cfn-lint/checkov and synthesizes.
                build_environment=codebuild.BuildEnvironment(compute_type=codebuild.ComputeType.MEDIUM),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": dict(RUNTIME_VERSIONS)}}}
                ),
                timeout=cdk.Duration.minutes(60),
            ),
        )
        self.stages: list[MlPipelineStage] = []
        for environment in config.environments:
            principal_role_name = physical_name(source_config.pipeline_name, "check", environment.name)
            stage = MlPipelineStage(
                self,
                environment.name,
                project=project,
                graph=graph,
                environment=environment,
                tooling_account=source_config.account,
                check_principal_role_name=principal_role_name,
                extra_endpoints=extra_endpoints,
            )
            pre = (
                [
                    pipelines.ManualApprovalStep(
                        APPROVAL_STEP_ID,
                        comment=f"Deploy the SageMaker pipeline {project.pipeline.pipelineName} to {environment.name} "
                        f"(account {environment.account}, {environment.region})?",
                    )
                ]
                if environment.approval
                else []
            )
            self.pipeline.add_stage(stage, pre=pre, post=[self._check_step(stage, principal_role_name)])
            self.stages.append(stage)
        self.pipeline.build_pipeline()
        self._harden_artifact_bucket()
        self._scope_asset_builds()
        self._sub_instead_of_join_in_action_configuration()
        self._skip_generated_findings()
        _acknowledge_expected_wildcards(self)

    @classmethod
    def from_context(
        cls,
        app: cdk.App,
        *,
        project: ProjectConfig,
        graph: PipelineGraph,
        construct_id: str | None = None,
        extra_endpoints: list[str] | None = None,
    ) -> DeliveryStack:
        """The delivery stack described by ``app``'s context (``environments`` and ``delivery``).

        Raises ``ConfigError`` (every problem, with its ``context.…`` key path in cdk.json) on bad context.
        """
        config = parse_delivery_context(
            app.node.try_get_context("environments"),
            app.node.try_get_context("delivery"),
            parameters=project.pipeline.parameters,
            pipeline_name=project.pipeline.pipelineName,
        )
        return cls(
            app,
            construct_id or stack_name(config.source.pipeline_name),
            project=project,
            graph=graph,
            config=config,
            extra_endpoints=extra_endpoints,
        )

    # -- steps --------------------------------------------------------------------------------------------

    def _check_step(self, stage: MlPipelineStage, role_name: str) -> pipelines.CodeBuildStep:
        environment = stage.environment
        # A named role, so that the check role in the target account can trust exactly this principal.
        role = iam.Role(
            self,
            f"CheckRole-{environment.name}",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"Post-deploy check of the {environment.name} stage of the delivery pipeline",
        )
        target_role_arn = self.format_arn(
            service="iam",
            region="",
            account=environment.account,
            resource="role",
            resource_name=stage.check_role.role_name,
        )
        return pipelines.CodeBuildStep(
            CHECK_STEP_ID,
            role=role,
            env={
                "EXPECTED": json.dumps(stage.expected(), sort_keys=True),
                "TARGET_REGION": environment.region,
                "CHECK_SCRIPT": CHECK_SCRIPT,
            },
            env_from_cfn_outputs={
                "PIPELINE_NAME": stage.pipeline_name_output,
                "CHECK_ROLE_ARN": stage.check_role.output,
            },
            role_policy_statements=[
                iam.PolicyStatement(sid="AssumeTheCheckRole", actions=["sts:AssumeRole"], resources=[target_role_arn])
            ],
            commands=[
                # The CodeBuild role (container credentials) assumes the check role of the target account.
                'aws configure set profile.target.role_arn "$CHECK_ROLE_ARN"',
                "aws configure set profile.target.credential_source EcsContainer",
                'aws sagemaker describe-pipeline --profile target --region "$TARGET_REGION" '
                '--pipeline-name "$PIPELINE_NAME" --output json > pipeline.json',
                'python3 -c "$CHECK_SCRIPT"',
            ],
        )

    # -- CDK Pipelines internals ----------------------------------------------------------------------------

    def _harden_artifact_bucket(self) -> None:
        """Versioning, lifecycle and server access logs for the artifact bucket CDK Pipelines creates."""
        bucket = self.pipeline.pipeline.artifact_bucket
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket), "CDK Pipelines creates its artifact bucket"
        logs = s3.Bucket(
            self,
            "ArtifactsAccessLogs",
            # Server access log delivery does not support SSE-KMS destinations.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
        )
        cfn_logs = logs.node.default_child
        assert isinstance(cfn_logs, s3.CfnBucket), "an s3.Bucket's default child is its CfnBucket"
        _nag.skip_checkov(
            cfn_logs,
            "CKV_AWS_18",
            "This bucket is the server access log destination of the pipeline artifact bucket; "
            "logging it again would need another bucket or a self-referencing loop.",
        )
        prefix = "pipeline-artifacts/"
        logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsPolicy",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[logs.arn_for_objects(f"{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=logs.bucket_name, log_file_prefix=prefix
        )
        cfn_bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
        # The bucket is retained (aws-cdk-lib's default); its key must be too, or the kept artifacts are unreadable.
        if bucket.encryption_key is not None:
            cfn_key = bucket.encryption_key.node.default_child
            assert isinstance(cfn_key, cdk.CfnResource), "CDK Pipelines creates the key (a kms.Key)"
            cfn_key.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        cfn_bucket.lifecycle_configuration = s3.CfnBucket.LifecycleConfigurationProperty(
            rules=[
                s3.CfnBucket.RuleProperty(
                    id="ExpireNoncurrentArtifacts",
                    status="Enabled",
                    noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(noncurrent_days=90),
                    abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                        days_after_initiation=7
                    ),
                )
            ]
        )
        self.artifacts_access_logs = logs

    def _scope_asset_builds(self) -> None:
        """The asset-publishing role may start, watch and stop the asset projects only, not every CodeBuild project.

        aws-cdk-lib's AssetSingletonRole grants codebuild:StartBuild/BatchGetBuilds/StopBuild on ``*`` (so its
        policy does not grow with each asset project) and refuses per-project grants; the statement is
        rewritten with the ARNs of the asset projects of this pipeline (a validation fails the synth if
        aws-cdk-lib adds statements to that policy afterwards).
        """
        assets = _descendant(self.pipeline, "Assets")
        policy = _descendant(self.pipeline, "Assets", "FileRole", "DefaultPolicy")
        if assets is None or policy is None:
            return
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnPolicy)
        projects = [c for c in assets.node.find_all() if isinstance(c, codebuild.CfnProject)]
        original = cfn_policy.policy_document
        snapshot = self.resolve(original)
        cfn_policy.policy_document = _scoped_builds(snapshot, [self.resolve(p.attr_arn) for p in projects])
        policy.node.add_validation(_UnchangedPolicy(self, original, snapshot))

    def _sub_instead_of_join_in_action_configuration(self) -> None:
        """CDK Pipelines writes each stage's CloudFormation execution role ARN in an action's Configuration as an
        ``Fn::Join``, which cfn-lint's action-configuration check (E3703) rejects; the same ARN as ``Fn::Sub``."""
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, cdk.CfnResource)
        # The L1 property resolves with its struct's (camelCase) keys; the override path is CloudFormation's.
        for i, stage in enumerate(self.resolve(cfn_pipeline.stages)):  # type: ignore[attr-defined]
            for j, action in enumerate(stage.get("actions", [])):
                for key, value in (action.get("configuration") or {}).items():
                    text = _join_as_sub(value)
                    if text is not None:
                        cfn_pipeline.add_property_override(
                            f"Stages.{i}.Actions.{j}.Configuration.{key}", {"Fn::Sub": text}
                        )

    def _skip_generated_findings(self) -> None:
        """cfn-lint skips on resources that aws-cdk-lib generates (see each comment)."""
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, cdk.CfnResource)
        # W3005 (redundant DependsOn): aws-cdk-lib adds DependsOn on the pipeline role's policy and role.
        _nag.skip_cfn_lint(cfn_pipeline, "W3005")


def _scoped_builds(document: dict[str, Any], arns: list[Any]) -> dict[str, Any]:
    """``document`` with its codebuild:StartBuild/BatchGetBuilds/StopBuild statement on ``*`` naming ``arns``."""
    scoped = json.loads(json.dumps(document))
    for statement in scoped.get("Statement", []):
        if statement.get("Resource") == "*" and set(_as_list(statement.get("Action"))) <= _BUILD_ACTIONS:
            statement["Resource"] = arns[0] if len(arns) == 1 else arns
    return scoped


@jsii.implements(constructs.IValidation)
class _UnchangedPolicy:
    """Fails the synth if aws-cdk-lib added statements to the asset role after its document was rewritten."""

    def __init__(self, stack: cdk.Stack, original: Any, snapshot: dict[str, Any]) -> None:
        self.stack, self.original, self.snapshot = stack, original, snapshot

    def validate(self) -> list[str]:
        if self.stack.resolve(self.original) == self.snapshot:
            return []
        return ["the asset-publishing role's policy changed after build_pipeline(); _scope_asset_builds must run later"]


_BUILD_ACTIONS = {"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"}


def _join_as_sub(value: Any) -> str | None:
    """``{"Fn::Join": ["", [...]]}`` of strings, Refs and GetAtts as an ``Fn::Sub`` string; None for anything else."""
    if not (isinstance(value, dict) and list(value) == ["Fn::Join"] and value["Fn::Join"][0] == ""):
        return None
    parts = []
    for part in value["Fn::Join"][1]:
        if isinstance(part, str):
            parts.append(part.replace("${", "${!"))
        elif isinstance(part, dict) and list(part) == ["Ref"]:
            parts.append("${" + part["Ref"] + "}")
        elif isinstance(part, dict) and list(part) == ["Fn::GetAtt"]:
            parts.append("${" + ".".join(part["Fn::GetAtt"]) + "}")
        else:
            return None
    return "".join(parts)


# -- cdk-nag: the CDK Pipelines grants, acknowledged one finding at a time ----------------------------------

#: Reasons by kind of finding. Each pattern is matched against one finding id of one policy; an
#: ``AwsSolutions-IAM5`` finding that matches none stays unacknowledged and fails the synth.
_ARTIFACT_ACTIONS = {
    "s3:GetObject*": "read",
    "s3:GetBucket*": "read",
    "s3:List*": "read",
    "s3:DeleteObject*": "write",
    "s3:Abort*": "write",
    "kms:GenerateDataKey*": "key",
    "kms:ReEncrypt*": "key",
}
_REASONS = {
    "read": "CDK Pipelines grants read access to its artifact bucket (bucket.grantRead): the wildcard is S3's "
    "read action family, and the statement's resources are that one bucket and its objects.",
    "write": "CDK Pipelines grants read-write access to its artifact bucket (bucket.grantReadWrite) to the roles "
    "that produce artifacts; the statement's resources are that one bucket and its objects.",
    "key": "CDK Pipelines grants encrypt/decrypt on the artifact bucket's KMS key (key.grantEncryptDecrypt); "
    "the statement's resource is that one key.",
    "objects": "Pipeline artifacts have generated keys (one per execution and action) in the pipeline's own "
    "artifact bucket: object-level actions need an ARN pattern, limited to that bucket.",
    "project-logs": "CodeBuild writes each build's log stream (named per build) into this project's own log "
    "group /aws/codebuild/<project>: the pattern covers only that group's streams.",
    "project-reports": "aws-cdk-lib's default CodeBuild grant for test reports of this project only (report "
    "groups named <project>-<name>); no report groups are used, the grant is inert.",
    "assets-logs": "CDK Pipelines' shared asset-publishing role (AssetSingletonRole) may write the logs of any "
    "CodeBuild project of the tooling account and region (/aws/codebuild/*): one role serves every "
    "asset project, so its policy does not grow with each asset.",
    "assets-reports": "CDK Pipelines' shared asset-publishing role (AssetSingletonRole) holds aws-cdk-lib's "
    "CodeBuild report grant for every project of the tooling account and region; asset "
    "projects write no reports.",
    "self-mutation-read": "The self-mutation step runs `cdk deploy` of the pipeline stack: CDK Pipelines grants "
    "cloudformation:DescribeStacks and s3:ListBucket on * (read-only) so the CLI can read "
    "the bootstrap and pipeline stacks and the asset bucket.",
    "self-mutation-roles": "sts:AssumeRole on the tooling account's roles, restricted by the condition "
    "iam:ResourceTag/aws-cdk:bootstrap-role to the CDK bootstrap deploy and "
    "publishing roles.",
}


def _acknowledge_expected_wildcards(stack: DeliveryStack) -> None:
    """Acknowledge each ``AwsSolutions-IAM5`` finding of the pipeline's roles that is an expected grant.

    cdk-nag reports a finding id once per policy, whichever statements produce it: an id is acknowledged
    only when every statement of the policy that produces it is an expected grant.
    """
    bucket = stack.pipeline.pipeline.artifact_bucket
    objects_id = _nag.flatten_reference(stack.resolve(bucket.arn_for_objects("*")))
    for policy in _policies(stack):
        document = stack.resolve(policy.policy_document)
        for rule_id, reason in policy_acknowledgments(stack, document, objects_id, _role_kind(stack, policy)).items():
            _nag.acknowledge(policy, rule_id, reason)


def policy_acknowledgments(
    stack: DeliveryStack, document: dict[str, Any], objects_id: str, role_kind: str
) -> dict[str, str]:
    """Finding id -> reason for the IAM5 findings of one resolved policy document that are all expected."""
    reasons: dict[str, list[str | None]] = {}
    for statement in document.get("Statement", []):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        for rule_id, reason in _statement_findings(stack, statement, objects_id, role_kind):
            reasons.setdefault(rule_id, []).append(reason)
    return {rule_id: " ".join(dict.fromkeys(r for r in found if r)) for rule_id, found in reasons.items() if all(found)}


def _policies(stack: cdk.Stack) -> Iterable[iam.CfnPolicy]:
    for construct in stack.node.find_all():
        if isinstance(construct, iam.CfnPolicy) and cdk.Stack.of(construct) is stack:
            yield construct


def _role_kind(stack: DeliveryStack, policy: iam.CfnPolicy) -> str:
    """Which CDK Pipelines role a policy belongs to, by its construct path (aws-cdk-lib's construct ids)."""
    relative = policy.node.path.removeprefix(f"{stack.pipeline.node.path}/")
    if relative.startswith("Assets/"):
        return "assets"
    if relative.startswith("UpdatePipeline/SelfMutation/"):
        return "self-mutation"
    return "other"


def _statement_findings(
    stack: DeliveryStack, statement: dict[str, Any], objects_id: str, role_kind: str
) -> Iterable[tuple[str, str | None]]:
    """The IAM5 finding ids one statement produces, each with its reason, or None when it is not expected."""
    actions = _as_list(statement.get("Action"))
    resources = [_nag.flatten_reference(r) for r in _as_list(statement.get("Resource"))]
    arn = f"arn:{stack.partition}"  # literal with the enablePartitionLiterals flag and an explicit region
    logs = f"{arn}:logs:{stack.region}:{stack.account}:log-group:/aws/codebuild/"
    reports = f"{arn}:codebuild:{stack.region}:{stack.account}:report-group/"
    matchers: list[tuple[Callable[[str], bool], str]] = [
        (lambda r: r == objects_id, "objects"),
        (lambda r: re.fullmatch(re.escape(logs) + r"<[A-Za-z0-9]+>:\*", r) is not None, "project-logs"),
        (lambda r: re.fullmatch(re.escape(reports) + r"<[A-Za-z0-9]+>-\*", r) is not None, "project-reports"),
    ]
    action_set = set(actions)
    if role_kind == "assets" and action_set and "NotResource" not in statement:
        if action_set <= {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}:
            matchers.append((lambda r: r == f"{logs}*", "assets-logs"))
        if action_set <= {
            "codebuild:BatchPutCodeCoverages",
            "codebuild:BatchPutTestCases",
            "codebuild:CreateReport",
            "codebuild:CreateReportGroup",
            "codebuild:UpdateReport",
        }:
            matchers.append((lambda r: r == f"{reports}*", "assets-reports"))
    if role_kind == "self-mutation" and action_set:
        if action_set <= {"cloudformation:DescribeStacks", "s3:ListBucket"}:
            matchers.append((lambda r: r == "*", "self-mutation-read"))
        condition = statement.get("Condition", {}).get("ForAnyValue:StringEquals", {})
        if actions == ["sts:AssumeRole"] and condition.get("iam:ResourceTag/aws-cdk:bootstrap-role"):
            matchers.append((lambda r: r == f"arn:*:iam::{stack.account}:role/*", "self-mutation-roles"))

    for action in actions:
        if "*" in action:
            expected = action in _ARTIFACT_ACTIONS and _only_artifact_resources(stack, resources, objects_id)
            yield (
                f"{_nag.AWS_SOLUTIONS}-IAM5[Action::{action}]",
                _REASONS[_ARTIFACT_ACTIONS[action]] if expected else None,
            )
    for resource in resources:
        if "*" in resource:
            kind = next((kind for matches, kind in matchers if matches(resource)), None)
            yield f"{_nag.AWS_SOLUTIONS}-IAM5[Resource::{resource}]", _REASONS[kind] if kind else None


def _only_artifact_resources(stack: DeliveryStack, resources: list[str], objects_id: str) -> bool:
    """The statement's resources are the artifact bucket, its objects or its key, and nothing else."""
    bucket = stack.pipeline.pipeline.artifact_bucket
    allowed = {objects_id, _nag.flatten_reference(stack.resolve(bucket.bucket_arn))}
    if bucket.encryption_key is not None:
        allowed.add(_nag.flatten_reference(stack.resolve(bucket.encryption_key.key_arn)))
    return bool(resources) and set(resources) <= allowed


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _descendant(scope: IConstruct, *ids: str) -> IConstruct | None:
    current: IConstruct | None = scope
    for construct_id in ids:
        current = current.node.try_find_child(construct_id) if current is not None else None
    return current


def _output(stack: cdk.Stack, construct_id: str) -> cdk.CfnOutput:
    child = stack.node.try_find_child(construct_id)
    if not isinstance(child, cdk.CfnOutput):
        raise TypeError(f"{stack.node.path} has no CfnOutput {construct_id!r}")
    return child


__all__ = [
    "DeliveryStack",
    "DeployCheckRole",
    "MlPipelineStage",
    "parse_delivery_context",
    "physical_name",
    "policy_acknowledgments",
    "stack_name",
]
