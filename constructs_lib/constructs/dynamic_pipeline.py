"""``DynamicPipelineConstruct``: the compiled pipeline as an ``AWS::SageMaker::Pipeline``, with its assets and
model package groups.

It compiles the (already validated) project with placeholder bindings, turns each local file or source
directory of the asset manifest into a CDK file asset (no Docker: ``sourcedir.tar.gz`` is packed
deterministically), and substitutes every placeholder with the CloudFormation value of the resource it stands
for, in one ``Fn::Sub``. The definition goes inline into the template, or, when it is too big for a
template and holds no deploy-time value, to S3 as an asset (``PipelineDefinitionS3Location``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs
from constructs import Construct

from constructs_lib.compiler.assets import AssetEntry, asset_bytes
from constructs_lib.compiler.background import CompileJob
from constructs_lib.compiler.bindings import PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION, InfraBindings
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import value_fits
from constructs_lib.constructs import _nag
from constructs_lib.errors import did_you_mean
from constructs_lib.graph.model import PipelineGraph

if TYPE_CHECKING:
    from constructs_lib.compiler.result import CompiledPipeline
    from constructs_lib.constructs.artifact_store import ArtifactStore
    from constructs_lib.constructs.execution_role import ExecutionRole
    from constructs_lib.constructs.pipeline_network import PipelineNetwork

#: Above this many characters the definition goes to S3 instead of inline (CloudFormation templates are
#: limited to 1,000,000 bytes, and the rest of the stack needs room).
DEFAULT_INLINE_LIMIT = 800_000
#: Where job code, source archives and local data files live in the artifact bucket: ``smp-assets/<sha256>/<name>``.
ASSET_PREFIX = "smp-assets/"


#: What ``grant_read`` allows: describe the pipeline and list, describe and follow its executions.
PIPELINE_READ_ACTIONS = (
    "sagemaker:DescribePipeline",
    "sagemaker:DescribePipelineDefinitionForExecution",
    "sagemaker:ListPipelineExecutions",
    "sagemaker:ListPipelineParametersForExecution",
    "sagemaker:ListPipelineVersions",
)
EXECUTION_READ_ACTIONS = (
    "sagemaker:DescribePipelineExecution",
    "sagemaker:ListPipelineExecutionSteps",
    "sagemaker:ListPipelineParametersForExecution",
)


@jsii.implements(sagemaker.IPipeline)
class DynamicPipelineConstruct(cdk.Resource):
    """A SageMaker pipeline compiled from model config files, deployed with CloudFormation.

    An ``aws_sagemaker.IPipeline``: ``pipeline_arn``, ``pipeline_name``, ``grant_start_pipeline_execution``
    (e.g. for a ``PipelineSchedule``, or any role of the app) and ``grant_read``.

    :param project: the loaded config (``constructs_lib.config.loader.load_project``); constructs never parse YAML.
    :param graph: its checked step graph (``constructs_lib.graph.builder.build_graph``).
    :param artifact_store: where jobs write (bucket and KMS key).
    :param network: subnets and security groups of the jobs.
    :param execution_role: the role of the pipeline and its jobs; it is granted read access to the assets.
    :param pipeline_name: default: ``sagemakerPipeline.pipelineName``.
    :param parameter_defaults: new default values for pipeline parameters (e.g. per environment); each name
        must be declared in ``sagemakerPipeline.parameters`` and the value must fit its type.
    :param inline_limit: definitions longer than this go to S3. Default: 800,000 characters.
    :param compile_job: a compile started earlier with :meth:`start_compile` (it runs in another process
        while the app builds other constructs). Default: compile now, in this process.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project: ProjectConfig,
        graph: PipelineGraph,
        artifact_store: ArtifactStore,
        network: PipelineNetwork,
        execution_role: ExecutionRole,
        pipeline_name: str | None = None,
        parameter_defaults: Mapping[str, Any] | None = None,
        inline_limit: int = DEFAULT_INLINE_LIMIT,
        compile_job: CompileJob | None = None,
    ) -> None:
        super().__init__(scope, construct_id, physical_name=pipeline_name or project.pipeline.pipelineName)
        _check_parameter_defaults(project, parameter_defaults or {})
        stack = cdk.Stack.of(self)
        key = artifact_store.key
        bindings = self.placeholder_bindings(
            project,
            subnets=len(network.subnet_ids),
            security_groups=len(network.security_group_ids),
            kms_key=key is not None,
            region=None if cdk.Token.is_unresolved(stack.region) else stack.region,
        )
        if compile_job is None or compile_job.bindings != bindings:
            # In this process: the worker is the app's choice (start_compile), never forced on it.
            compile_job = CompileJob(project, graph, bindings, in_process=True)
        self._compiled = compile_job.result()
        self._pipeline_name = pipeline_name or project.pipeline.pipelineName
        definition = _with_parameter_defaults(self._compiled.definition, parameter_defaults or {})

        values: dict[str, str] = {}  # placeholder -> deploy-time value (a token or a plain string)
        names: dict[str, str] = {}  # placeholder -> Fn::Sub variable name
        for placeholder, name in bindings.placeholders().items():
            if placeholder not in definition:
                continue
            value = {
                "ArtifactBucket": artifact_store.bucket_name,
                "ExecutionRoleArn": execution_role.role_arn,
                "KmsKeyArn": key.key_arn if key is not None else "",
            }.get(name)
            if name.startswith("Subnet"):
                value = network.subnet_ids[int(name.removeprefix("Subnet")) - 1]
            elif name.startswith("SecurityGroup"):
                value = network.security_group_ids[int(name.removeprefix("SecurityGroup")) - 1]
            if placeholder in (PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION):
                names[placeholder] = name  # a pseudo parameter: ${AWS::AccountId} needs no variable
                values[placeholder] = cdk.Aws.ACCOUNT_ID if placeholder == PLACEHOLDER_ACCOUNT else cdk.Aws.REGION
                continue
            assert value is not None, f"no deploy-time value for placeholder {name}"  # bindings name only these
            names[placeholder], values[placeholder] = name, value
        self._asset_locations: dict[str, cdk.FileAssetLocation] = {}
        self._asset_keys: dict[str, str] = {}
        self._asset_deployments: list[s3_deployment.BucketDeployment] = []
        for index, asset in enumerate(self._compiled.assets, start=1):
            location, digest = _stage_asset(self, asset, project.root)
            self._asset_locations[asset.placeholder_uri] = location
            asset_key = self._asset_keys[asset.placeholder_uri] = (
                f"{ASSET_PREFIX}{digest}/{os.path.basename(location.object_key)}"
            )
            self._asset_deployments.append(self._deploy_asset(index, location, digest, artifact_store))
            names[asset.placeholder_uri] = f"Asset{index}"
            values[asset.placeholder_uri] = f"s3://{artifact_store.bucket_name}/{asset_key}"
        self._grant_asset_reads(execution_role, artifact_store)
        self._accept_asset_copy_findings(artifact_store)

        self._model_package_groups = {
            group: sagemaker.CfnModelPackageGroup(
                self,
                f"ModelPackageGroup{i}",
                model_package_group_name=group,
                model_package_group_description=f"Models registered by the SageMaker pipeline {self._pipeline_name}",
                tags=_tags(project.pipeline.tags),
            )
            for i, group in enumerate(self._compiled.model_package_groups, start=1)
        }
        for group in self._model_package_groups.values():
            # Registered model versions are data: they survive `cdk destroy`.
            group.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

        pipeline_definition = self._definition_property(definition, names, values, inline_limit)
        self._pipeline = sagemaker.CfnPipeline(
            self,
            "Resource",
            pipeline_name=self._pipeline_name,
            pipeline_description=project.pipeline.description,
            role_arn=execution_role.role_arn,
            pipeline_definition=pipeline_definition,
            # CfnPipeline types these two as JSON: CloudFormation's own (PascalCase) keys, not property classes.
            parallelism_configuration={"MaxParallelExecutionSteps": project.pipeline.max_parallel_execution_steps},
            tags=_tags(project.pipeline.tags),
        )
        # Registering needs the groups to exist before the first execution, and jobs their code and data.
        for group in self._model_package_groups.values():
            self._pipeline.add_resource_dependency(group)
        for deployment in self._asset_deployments:
            self._pipeline.node.add_dependency(deployment)
        self._pipeline_arn = stack.format_arn(
            service="sagemaker", resource="pipeline", resource_name=self._pipeline_name.lower()
        )

    @staticmethod
    def placeholder_bindings(
        project: ProjectConfig, *, subnets: int, security_groups: int, kms_key: bool, region: str | None = None
    ) -> InfraBindings:
        """The bindings the construct compiles with: placeholders for what the stack provides.

        ``region``: the stack's region when it is known (images are resolved for it and checked against it)."""
        bindings = InfraBindings.all_placeholders(subnets=subnets, security_groups=security_groups, kms_key=kms_key)
        # SMP_ACCOUNTID/SMP_REGION, when set, name where images live (possibly another account than the stack's).
        known = region or project.settings.region
        return bindings.with_(
            account=project.settings.account or bindings.account,
            region=project.settings.region or bindings.region,
            image_region=known,
            sdk_region=known or bindings.sdk_region,
        )

    @classmethod
    def start_compile(
        cls,
        project: ProjectConfig,
        graph: PipelineGraph,
        *,
        subnets: int,
        security_groups: int,
        kms_key: bool,
        region: str | None = None,
        in_process: bool = False,
    ) -> CompileJob:
        """Start compiling in the background (the worker process of ``constructs_lib.compiler.background``),
        before the constructs the definition refers to exist; ``in_process``: compile here, now."""
        return CompileJob(
            project,
            graph,
            cls.placeholder_bindings(
                project, subnets=subnets, security_groups=security_groups, kms_key=kms_key, region=region
            ),
            in_process=in_process,
        )

    # -- public, read-only -------------------------------------------------------------------------------

    @property
    def compiled(self) -> CompiledPipeline:
        """The compiled definition (with placeholders) and its asset manifest."""
        return self._compiled

    @property
    def pipeline(self) -> sagemaker.CfnPipeline:
        return self._pipeline

    @property
    def pipeline_name(self) -> str:
        return self._pipeline_name

    @property
    def pipeline_arn(self) -> str:
        return self._pipeline_arn

    @property
    def pipeline_ref(self) -> sagemaker_refs.PipelineReference:
        """``IPipelineRef``: the pipeline's name and ARN."""
        return self._pipeline.pipeline_ref

    def grant_start_pipeline_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start executions of this pipeline (``sagemaker:StartPipelineExecution`` on its ARN)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:StartPipelineExecution"], resource_arns=[self._pipeline_arn]
        )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` describe this pipeline and list, describe and follow its executions."""
        executions = f"{self._pipeline_arn}/execution/*"
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(PIPELINE_READ_ACTIONS), resource_arns=[self._pipeline_arn]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=list(EXECUTION_READ_ACTIONS), resource_arns=[executions]
            )
        )
        principal = grantee.grant_principal
        if Construct.is_construct(principal):
            _nag.acknowledge_wildcard_resources(
                principal,  # type: ignore[arg-type]
                [executions],
                f"Executions of the pipeline {self._pipeline_name} have generated ids: reading them needs "
                "an ARN pattern under the pipeline's ARN.",
            )
        return grant

    @property
    def model_package_groups(self) -> Mapping[str, sagemaker.CfnModelPackageGroup]:
        return dict(self._model_package_groups)

    @property
    def asset_locations(self) -> Mapping[str, cdk.FileAssetLocation]:
        """Placeholder URI -> where CDK publishes the file (the bootstrap bucket; copied from there at deploy)."""
        return dict(self._asset_locations)

    @property
    def asset_keys(self) -> Mapping[str, str]:
        """Placeholder URI -> the object key in the artifact bucket that jobs read (``smp-assets/<sha256>/<name>``)."""
        return dict(self._asset_keys)

    @property
    def asset_deployments(self) -> list[s3_deployment.BucketDeployment]:
        """The deploy-time copies of the assets into the artifact bucket."""
        return list(self._asset_deployments)

    # -- internals ------------------------------------------------------------------------------------------

    def _definition_property(
        self, definition: str, names: Mapping[str, str], values: Mapping[str, str], inline_limit: int
    ) -> dict[str, Any]:
        if len(definition) <= inline_limit:
            # `${` is Fn::Sub syntax: escape the definition's own, then put a variable per placeholder
            # (longest first, so no placeholder is replaced inside a longer one).
            body = definition.replace("${", "${!")
            variables: dict[str, str] = {}
            for placeholder in sorted(names, key=lambda p: (-len(p), p)):
                name = names[placeholder]
                body = body.replace(placeholder, "${" + name + "}")
                if not name.startswith("AWS::"):
                    variables[name] = values[placeholder]
            return {"PipelineDefinitionBody": cdk.Fn.sub(body, variables)}
        resolved = definition
        for placeholder in sorted(names, key=lambda p: (-len(p), p)):
            value = values[placeholder]
            if cdk.Token.is_unresolved(value):
                raise ValueError(
                    f"the definition of {self._pipeline_name} has {len(definition):,} characters: too big for the "
                    "template, so it must go to S3 as a file, which cannot hold deploy-time values such as "
                    f"{names[placeholder]}. Give existing resources (SMP_S3BUCKETNAME, SMP_ROLE, SMP_SUBNETS, "
                    "SMP_SECURITYGROUPS, SMP_KMSKEY) and an explicit account/region, or split the pipeline."
                )
            resolved = resolved.replace(placeholder, value)
        path = _asset_outdir(self) / f"definition.{self._pipeline_name}.json"
        path.write_text(resolved, encoding="utf-8")
        from aws_cdk import aws_s3_assets as s3_assets

        asset = s3_assets.Asset(self, "DefinitionAsset", path=str(path))
        return {"PipelineDefinitionS3Location": {"Bucket": asset.s3_bucket_name, "Key": asset.s3_object_key}}

    def _deploy_asset(
        self, index: int, location: cdk.FileAssetLocation, digest: str, artifact_store: ArtifactStore
    ) -> s3_deployment.BucketDeployment:
        """Copy one asset from the CDK bootstrap bucket into the artifact bucket, at deploy time.

        The bootstrap bucket is shared by every CDK app of the account and writable by whoever can assume the
        file-publishing role, at any time; jobs run what is in the artifact bucket (KMS-encrypted with the
        pipeline's key, retained, and under ``smp-assets/`` writable only by this copy: ``_grant_asset_reads``).
        ``<sha256>/`` in the key: a changed file is a new object, never an overwrite.
        """
        imported = self.node.try_find_child("CdkAssetBucket")  # by an earlier asset's call, just below
        source_bucket = (
            cast(s3.IBucket, imported)
            if imported is not None
            else s3.Bucket.from_bucket_name(self, "CdkAssetBucket", location.bucket_name)
        )
        key = artifact_store.key
        deployment = s3_deployment.BucketDeployment(
            self,
            f"DeployAsset{index}",
            destination_bucket=artifact_store.bucket,
            sources=[s3_deployment.Source.bucket(source_bucket, location.object_key)],
            destination_key_prefix=f"{ASSET_PREFIX}{digest}/",
            extract=False,
            prune=False,
            retain_on_delete=True,
            server_side_encryption=s3_deployment.ServerSideEncryption.AWS_KMS if key is not None else None,
            server_side_encryption_aws_kms_key_id=key.key_arn if key is not None else None,
            # The handler runs the AWS CLI; 128 MB (the default) is slow for multi-MB data files. Its /tmp is
            # 512 MB: a local data file larger than that belongs in S3 (give an s3:// URI instead).
            memory_limit=512,
        )
        return deployment

    def _accept_asset_copy_findings(self, artifact_store: ArtifactStore) -> None:
        """The copy's handler is aws-cdk-lib's BucketDeployment Lambda: its findings, each with its reason."""
        if not self._asset_deployments:
            return
        what = "the aws-cdk-lib BucketDeployment Lambda that copies the job assets into the artifact bucket"
        _nag.accept_cdk_handler(cdk.Stack.of(self), "Custom::CDKBucketDeployment", what)
        role = self._asset_deployments[0].handler_role
        source = cast(s3.IBucket, self.node.find_child("CdkAssetBucket"))  # imported by _deploy_asset
        reason = (
            "aws-cdk-lib's BucketDeployment grants its deploy-time handler read on the CDK asset bucket "
            "(bucket.grantRead) and read-write on the artifact bucket and key (grantReadWrite); it copies "
            "the job assets by generated key at deploy time and runs no code of ours."
        )
        for action in (
            "s3:GetObject*",
            "s3:GetBucket*",
            "s3:List*",
            "s3:DeleteObject*",
            "s3:Abort*",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        ):
            _nag.acknowledge(role, f"{_nag.AWS_SOLUTIONS}-IAM5[Action::{action}]", reason)
        _nag.acknowledge_wildcard_resources(
            role, [artifact_store.bucket.arn_for_objects("*"), source.arn_for_objects("*")], reason
        )

    def _grant_asset_reads(self, execution_role: ExecutionRole, artifact_store: ArtifactStore) -> None:
        """Jobs read their code and local data from the artifact bucket: exactly those objects, and cannot
        write under ``smp-assets/`` (the role's other grants let them write the rest of the bucket)."""
        if not self._asset_keys:
            return
        bucket = artifact_store.bucket
        resources = [bucket.arn_for_objects(key) for key in self._asset_keys.values()]
        execution_role.role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadPipelineAssets", actions=["s3:GetObject"], resources=resources)
        )
        assets = bucket.arn_for_objects(f"{ASSET_PREFIX}*")
        execution_role.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NoWritesToPipelineAssets",
                effect=iam.Effect.DENY,
                resources=[assets],
                actions=["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl"],
            )
        )
        # Created bucket: nobody but the copy may write there (an imported bucket's policy is its owner's).
        handler = self._asset_deployments[0].handler_role
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PipelineAssetsOnlyFromTheDeployment",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[assets],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": handler.role_arn}},
            )
        )


def _asset_outdir(scope: Construct) -> Path:
    """The cloud assembly folder of ``scope``'s stage (every construct of an app is in one: the App is a Stage)."""
    stage = cdk.Stage.of(scope)
    assert stage is not None, f"{scope.node.path} is in no CDK Stage"
    return Path(stage.asset_outdir)


def _stage_asset(scope: Construct, asset: AssetEntry, root: Path) -> tuple[cdk.FileAssetLocation, str]:
    """Copy (or pack) the asset into the cloud assembly and register it under a key that keeps its name.

    The object key is ``<sha256>/<name>``: SageMaker downloads a Processing script under its key's last
    segment and runs it by that name (``ContainerEntrypoint``), so the real file name must survive.
    """
    data = asset_bytes(asset, root)
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    name = asset.object_name
    stem, dot, extension = name.rpartition(".")
    stem, extension = (stem, dot + extension) if dot and stem else (name, "")
    outdir = _asset_outdir(scope)
    staged = outdir / f"asset.{digest}.{name}"
    if not staged.exists():
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
    stage = cdk.Stage.of(cdk.Stack.of(scope))
    file_name = os.path.relpath(staged, stage.outdir) if stage is not None else str(staged)
    return cdk.Stack.of(scope).synthesizer.add_file_asset(
        source_hash=f"{digest}/{stem}",
        file_name=file_name,
        packaging=cdk.FileAssetPackaging.FILE,
        display_name=f"{asset.local_path} ({asset.kind})",
    ), digest


def _check_parameter_defaults(project: ProjectConfig, overrides: Mapping[str, Any]) -> None:
    declared = {p.name: p.type for p in project.pipeline.parameters}
    errors = []
    for name, value in overrides.items():
        if name not in declared:
            errors.append(f"unknown pipeline parameter '{name}' ({did_you_mean(name, declared, what='parameters')})")
        elif not value_fits(declared[name], value):
            errors.append(f"parameter '{name}' is a {declared[name]}: {value!r} does not fit")
    if errors:
        raise ValueError("; ".join(errors))


def _with_parameter_defaults(definition: str, overrides: Mapping[str, Any]) -> str:
    if not overrides:
        return definition
    data = json.loads(definition)
    for parameter in data["Parameters"]:
        if parameter["Name"] in overrides:
            parameter["DefaultValue"] = overrides[parameter["Name"]]
    return json.dumps(data)


def _tags(tags: Mapping[str, str]) -> list[cdk.CfnTag] | None:
    return [cdk.CfnTag(key=k, value=v) for k, v in sorted(tags.items())] or None
