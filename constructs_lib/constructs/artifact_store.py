"""``ArtifactStore``: the S3 bucket (and its KMS key) that holds a pipeline's inputs and outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_lib.constructs import _nag

DEFAULT_NONCURRENT_VERSION_EXPIRATION = cdk.Duration.days(90)
DEFAULT_ABORT_INCOMPLETE_MULTIPART_UPLOAD = cdk.Duration.days(7)
DEFAULT_ACCESS_LOGS_EXPIRATION = cdk.Duration.days(365)

# What a SageMaker job (or the Pipelines service) does with its artifacts: read inputs, list a
# prefix (S3Prefix inputs), write outputs with multipart uploads. There is deliberately no
# s3:DeleteObject: artifacts are append-only and the bucket is versioned.
_BUCKET_READ_WRITE_ACTIONS = ("s3:GetBucketLocation",)
_LIST_ACTIONS = ("s3:ListBucket",)
_OBJECT_READ_WRITE_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
# SSE-KMS: reading needs Decrypt, writing needs GenerateDataKey (Decrypt too for multipart).
_KEY_READ_WRITE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


#: Key administration (no use): the account's IAM principals, through their IAM policies. kms:CreateGrant is
#: left out on purpose: a grant is use. (AWS KMS key policies, "Allows key administrators to administer the key".)
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
#: Key use for data in S3 and SageMaker job volumes.
KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
)


def key_policy(
    scope: Construct, *, via_services: Sequence[str] = (), statements: Sequence[iam.PolicyStatement] = ()
) -> iam.PolicyDocument:
    """A key policy that separates administration from use.

    The account's principals may administer the key (``KEY_ADMIN_ACTIONS``, as their IAM policies allow) and
    use it only through ``via_services`` (``kms:ViaService``, e.g. ``s3``: the service name, completed as
    ``<service>.<region>.amazonaws.com``) for this account (``kms:CallerAccount``); ``statements`` add
    service principals (e.g. CloudWatch Logs).
    """
    stack = cdk.Stack.of(scope)
    root = iam.AccountRootPrincipal()
    document = iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="KeyAdministration", principals=[root], actions=list(KEY_ADMIN_ACTIONS), resources=["*"]
            )
        ]
    )
    if via_services:
        document.add_statements(
            iam.PolicyStatement(
                sid="KeyUseThroughServices",
                principals=[root],
                actions=list(KEY_USE_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": stack.account,
                        "kms:ViaService": [f"{service}.{stack.region}.{stack.url_suffix}" for service in via_services],
                    }
                },
            )
        )
    document.add_statements(*statements)
    return document


#: What both buckets share: SSL and TLS 1.2 only, versioned, private, owner-enforced, kept on stack deletion.
class _HardenedBucketProps(TypedDict):
    """The ``s3.Bucket`` keyword arguments both buckets share (typed so that ``**`` checks against them)."""

    enforce_ssl: bool
    minimum_tls_version: float
    versioned: bool
    block_public_access: s3.BlockPublicAccess
    object_ownership: s3.ObjectOwnership
    removal_policy: cdk.RemovalPolicy


_HARDENED_BUCKET = _HardenedBucketProps(
    enforce_ssl=True,
    minimum_tls_version=1.2,
    versioned=True,
    block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removal_policy=cdk.RemovalPolicy.RETAIN,
)


class ArtifactStore(Construct):
    """An encrypted, versioned, access-logged S3 bucket for pipeline artifacts, or an imported one.

    Created mode (default): a customer-managed KMS key with yearly rotation; a bucket encrypted with
    that key (S3 Bucket Key enabled), SSL-only with TLS >= 1.2, versioned, all public access blocked,
    object ownership enforced (no ACLs), lifecycle rules that expire noncurrent versions and abort
    incomplete multipart uploads; server access logs go to a separate bucket (S3-managed
    encryption, SSL-only, versioned). Every resource has ``RemovalPolicy.RETAIN``: ``cdk destroy``
    never deletes data.

    Imported mode: ``existing_bucket`` (an ``s3.IBucket``: imported with ``Bucket.from_bucket_name`` or
    ``from_bucket_attributes``, or a bucket of your app) or ``existing_bucket_name``, and ``existing_key`` (a
    ``kms.IKey``) or ``existing_kms_key_arn`` when the bucket is encrypted with a customer-managed key. Nothing
    is created; grants go through the interfaces, so imported and in-app resources behave alike.

    Props of the two modes cannot be mixed, nor an interface with its string twin; all input errors are
    reported together.

    :param existing_bucket: A bucket to use instead of creating one. Default: a new bucket is created.
    :param existing_key: The KMS key that encrypts the existing bucket. Only with an existing bucket.
        Default: ``existing_bucket.encryption_key``, else no key (SSE-S3 bucket).
    :param existing_bucket_name: Name of a bucket to use instead of creating one.
        Default: a new bucket is created.
    :param existing_kms_key_arn: ARN of the KMS key that encrypts ``existing_bucket_name``; grants
        then include the key. Only with ``existing_bucket_name``. Default: no key (SSE-S3 bucket).
    :param bucket_name: Physical name of the new bucket. Default: generated by CloudFormation.
    :param noncurrent_version_expiration: How long a replaced or deleted object version is kept.
        Default: 90 days.
    :param abort_incomplete_multipart_upload_after: When an unfinished multipart upload is removed.
        Default: 7 days.
    :param access_logs_expiration: How long server access log objects are kept.
        Default: 365 days.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        existing_bucket: s3.IBucket | None = None,
        existing_key: kms.IKey | None = None,
        existing_bucket_name: str | None = None,
        existing_kms_key_arn: str | None = None,
        bucket_name: str | None = None,
        noncurrent_version_expiration: cdk.Duration | None = None,
        abort_incomplete_multipart_upload_after: cdk.Duration | None = None,
        access_logs_expiration: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        created_props: dict[str, object] = {
            "bucket_name": bucket_name,
            "noncurrent_version_expiration": noncurrent_version_expiration,
            "abort_incomplete_multipart_upload_after": abort_incomplete_multipart_upload_after,
            "access_logs_expiration": access_logs_expiration,
        }
        _check_props(
            existing_bucket_name,
            existing_kms_key_arn,
            created_props,
            existing_bucket=existing_bucket,
            existing_key=existing_key,
        )

        self._key: kms.IKey | None
        self._access_logs_bucket: s3.IBucket | None
        if existing_bucket is not None:
            self._bucket = existing_bucket
            if existing_key is None and existing_kms_key_arn is not None:
                existing_key = kms.Key.from_key_arn(self, "ImportedKey", existing_kms_key_arn)
            self._key = existing_key if existing_key is not None else existing_bucket.encryption_key
            self._access_logs_bucket = None
            return
        if existing_bucket_name is not None:
            self._key = (
                existing_key
                if existing_key is not None
                else kms.Key.from_key_arn(self, "ImportedKey", existing_kms_key_arn)
                if existing_kms_key_arn is not None
                else None
            )
            self._bucket = s3.Bucket.from_bucket_attributes(
                self, "ImportedBucket", bucket_name=existing_bucket_name, encryption_key=self._key
            )
            self._access_logs_bucket = None
            return

        # Log delivery is granted by a bucket policy, not the LogDeliveryWrite ACL (which an owner-enforced
        # bucket refuses): the flag is set here so that this works in any app, not only with this repo's cdk.json.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self._key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the pipeline artifacts of {self.node.path}",
            enable_key_rotation=True,
            # Kept with the bucket it encrypts: a deleted key makes every retained object unreadable.
            removal_policy=cdk.RemovalPolicy.RETAIN,
            # Use only through S3 (objects), SageMaker (job volumes, the grants it creates) and EC2 (EBS attaching
            # the encrypted volumes of jobs), never directly.
            policy=key_policy(self, via_services=("s3", "sagemaker", "ec2")),
        )
        self._access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            # Server access log delivery does not support SSE-KMS destinations.
            encryption=s3.BucketEncryption.S3_MANAGED,
            **_HARDENED_BUCKET,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=access_logs_expiration or DEFAULT_ACCESS_LOGS_EXPIRATION,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=DEFAULT_ABORT_INCOMPLETE_MULTIPART_UPLOAD,
                )
            ],
        )
        # This bucket is the access-log destination itself: logging it would need a third bucket,
        # or log into itself, which AWS advises against (every delivery would be logged again).
        # cdk-nag (S1) recognises a log destination; checkov (CKV_AWS_18) does not.
        cfn_access_logs_bucket = self._access_logs_bucket.node.default_child
        assert isinstance(cfn_access_logs_bucket, s3.CfnBucket), "an s3.Bucket's default child is its CfnBucket"
        _nag.skip_checkov(
            cfn_access_logs_bucket,
            "CKV_AWS_18",
            "This bucket is the server access log destination of the artifact bucket; logging it "
            "again would need another bucket or a self-referencing loop.",
        )
        self._bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key,
            bucket_key_enabled=True,
            **_HARDENED_BUCKET,
            server_access_logs_bucket=self._access_logs_bucket,
            server_access_logs_prefix="artifacts/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=(
                        noncurrent_version_expiration or DEFAULT_NONCURRENT_VERSION_EXPIRATION
                    ),
                    abort_incomplete_multipart_upload_after=(
                        abort_incomplete_multipart_upload_after or DEFAULT_ABORT_INCOMPLETE_MULTIPART_UPLOAD
                    ),
                )
            ],
        )

        # Objects are SSE-KMS with this key: the default encryption applies it to puts that ask for none; a put
        # that asks for another encryption or another key is refused.
        self._bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOtherEncryption",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self._bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            )
        )
        self._bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyOtherKmsKey",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self._bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": self._key.key_arn},
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                },
            )
        )

    @property
    def bucket(self) -> s3.IBucket:
        """The artifact bucket (created or imported)."""
        return self._bucket

    @property
    def key(self) -> kms.IKey | None:
        """The KMS key of the bucket; None when imported without a key (an SSE-S3 bucket)."""
        return self._key

    @property
    def access_logs_bucket(self) -> s3.IBucket | None:
        """The server access log bucket; None when the bucket is imported."""
        return self._access_logs_bucket

    @property
    def bucket_name(self) -> str:
        """Name of the artifact bucket (a token in created mode)."""
        return self._bucket.bucket_name

    def s3_uri(self, prefix: str = "") -> str:
        """``s3://<bucket>/<prefix>``, for pipeline definitions."""
        return f"s3://{self._bucket.bucket_name}/{prefix}"

    def objects_arn(self, prefix: str | None = None) -> str:
        """ARN pattern of the objects under ``prefix`` (all objects when None)."""
        return self._bucket.arn_for_objects(f"{prefix}*" if prefix else "*")

    def grant_read_write(self, grantee: iam.IGrantable, prefix: str | None = None) -> iam.Grant:
        """Let ``grantee`` list, read and write objects (under ``prefix`` if given), and use the key.

        No ``s3:DeleteObject``: artifacts are append-only. With a prefix, ``s3:ListBucket`` is
        limited to that prefix by an ``s3:prefix`` condition.
        """
        return self._grant(
            grantee,
            bucket_actions=_BUCKET_READ_WRITE_ACTIONS,
            list_actions=_LIST_ACTIONS,
            object_actions=_OBJECT_READ_WRITE_ACTIONS,
            key_actions=_KEY_READ_WRITE_ACTIONS,
            prefix=prefix,
        )

    def _grant(
        self,
        grantee: iam.IGrantable,
        *,
        bucket_actions: Sequence[str],
        list_actions: Sequence[str],
        object_actions: Sequence[str],
        key_actions: Sequence[str],
        prefix: str | None,
    ) -> iam.Grant:
        """The one place that grants on the bucket: objects, the bucket, listing, then the key."""
        if prefix is not None and (not prefix or prefix.startswith("/") or "*" in prefix):
            raise ValueError(f"prefix must be a non-empty key prefix without '/' at the start or '*' (got {prefix!r})")
        # Identity-based only: the grantee is a role of this account (a bucket of another
        # account would need its owner's bucket policy anyway).
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(object_actions),
            resource_arns=[self.objects_arn(prefix)],
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=list(bucket_actions), resource_arns=[self._bucket.bucket_arn]
            )
        )
        # Listing is a bucket-level action: a prefix narrows it with the s3:prefix condition key.
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(list_actions),
                resource_arns=[self._bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}} if prefix else None,
            )
        )
        if self._key is not None:
            grant = grant.combine(self._key.grant(grantee, *key_actions))
        self._acknowledge_object_wildcard(grantee, prefix)
        return grant

    def _acknowledge_object_wildcard(self, grantee: iam.IGrantable, prefix: str | None) -> None:
        """Object permissions need an ARN pattern: acknowledge that IAM5 finding where it lands.

        The statements go to the policies of the grantee (a role, user or group of this app); other
        principals get no policy of ours, hence no finding.
        """
        principal = grantee.grant_principal
        if not Construct.is_construct(principal):
            return
        # On the principal: the statements are in its DefaultPolicy, or in an OverflowPolicyN that aws-cdk-lib
        # adds to a role whose inline policy is too big.
        where = f"under '{prefix}' in" if prefix else "in"
        _nag.acknowledge_wildcard_resources(
            principal,  # type: ignore[arg-type]
            [self.objects_arn(prefix)],
            f"Pipeline jobs read and write objects with generated keys {where} the artifact "
            "bucket; object-level actions need an ARN pattern (no delete is granted).",
        )


def _check_props(
    existing_bucket_name: str | None,
    existing_kms_key_arn: str | None,
    created_props: dict[str, object],
    *,
    existing_bucket: s3.IBucket | None = None,
    existing_key: kms.IKey | None = None,
) -> None:
    errors: list[str] = []
    given = sorted(name for name, value in created_props.items() if value is not None)
    if existing_bucket is not None and existing_bucket_name is not None:
        errors.append("Either provide existing_bucket or existing_bucket_name, but not both")
    if existing_key is not None and existing_kms_key_arn is not None:
        errors.append("Either provide existing_key or existing_kms_key_arn, but not both")
    existing = "existing_bucket" if existing_bucket is not None else "existing_bucket_name"
    has_existing = existing_bucket is not None or existing_bucket_name is not None
    if has_existing and given:
        errors.append(f"Either provide {existing} or the props of a new bucket ({', '.join(given)}), but not both")
    if existing_kms_key_arn is not None and not has_existing:
        errors.append("existing_kms_key_arn is only used with existing_bucket or existing_bucket_name")
    if existing_key is not None and not has_existing:
        errors.append("existing_key is only used with existing_bucket or existing_bucket_name")
    if (
        existing_bucket_name is not None
        and not cdk.Token.is_unresolved(existing_bucket_name)
        and not existing_bucket_name.strip()
    ):
        errors.append("existing_bucket_name must not be empty")
    for name in (
        "noncurrent_version_expiration",
        "abort_incomplete_multipart_upload_after",
        "access_logs_expiration",
    ):
        duration = created_props[name]
        if isinstance(duration, cdk.Duration) and not cdk.Token.is_unresolved(duration.to_string()):
            days = duration.to_days(integral=False)
            if days < 1 or days != int(days):
                errors.append(f"{name} must be a whole number of days, at least 1 (got {duration.to_human_string()})")
    if errors:
        raise ValueError("Invalid ArtifactStore props:\n  - " + "\n  - ".join(errors))
