"""ArtifactStore alone in a bare Stack: created and imported modes, input errors, security gates."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from security import new_app, run_cfn_lint, run_checkov, synth_template, write_template

from constructs_lib.constructs.artifact_store import ArtifactStore

EXPLICIT_ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def _grantee(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "Grantee", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


def _statements(template: Template) -> list[dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


class Created:
    def __init__(self) -> None:
        self.app = new_app()
        self.stack = cdk.Stack(self.app, "Sandbox")
        self.store = ArtifactStore(self.stack, "Store")
        self.store.grant_read_write(_grantee(self.stack), prefix="pipelines/")
        self.template = Template.from_stack(self.stack)

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


@pytest.fixture(scope="module")
def created() -> Created:
    return Created()


# -- created mode ----------------------------------------------------------------------------


def test_key_rotates_and_is_retained(created: Created) -> None:
    created.template.resource_count_is("AWS::KMS::Key", 1)
    created.template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": {"EnableKeyRotation": True},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_key_policy_separates_administration_from_use(created: Created) -> None:
    (key,) = created.template.find_resources("AWS::KMS::Key").values()
    admin, use = key["Properties"]["KeyPolicy"]["Statement"]
    root = {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    }
    assert admin["Sid"] == "KeyAdministration" and admin["Principal"] == root and "Condition" not in admin
    # Administration only: no data-key, decrypt or grant actions, and no kms:* or Create* wildcard.
    assert not [
        a
        for a in admin["Action"]
        if "*" in a or a.split(":")[1].startswith(("Decrypt", "Encrypt", "GenerateDataKey", "ReEncrypt", "CreateGrant"))
    ]
    assert "kms:PutKeyPolicy" in admin["Action"] and "kms:ScheduleKeyDeletion" in admin["Action"]
    assert use["Sid"] == "KeyUseThroughServices" and use["Principal"] == root
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"} <= set(use["Action"])
    region = {"Ref": "AWS::Region"}
    assert use["Condition"] == {
        "StringEquals": {
            "kms:CallerAccount": {"Ref": "AWS::AccountId"},
            "kms:ViaService": [
                {"Fn::Join": ["", [service, region, ".", {"Ref": "AWS::URLSuffix"}]]}
                for service in ("s3.", "sagemaker.", "ec2.")
            ],
        }
    }


def test_bucket_refuses_puts_with_another_encryption_or_key(created: Created) -> None:
    store_id = created.logical_id(created.store.bucket)
    (policy,) = created.template.find_resources(
        "AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": store_id}}}
    ).values()
    statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [store_id, "Arn"]}, "/*"]]}
    key_arn = {"Fn::GetAtt": [created.logical_id(created.store.key), "Arn"]}
    assert statements["DenyOtherEncryption"] == {
        "Sid": "DenyOtherEncryption",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:PutObject",
        "Resource": objects,
        "Condition": {
            "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "Null": {"s3:x-amz-server-side-encryption": "false"},
        },
    }
    assert statements["DenyOtherKmsKey"] == {
        "Sid": "DenyOtherKmsKey",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:PutObject",
        "Resource": objects,
        "Condition": {
            "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
            "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
        },
    }


def test_bucket_is_encrypted_with_the_key_and_bucket_key(created: Created) -> None:
    key_id = created.logical_id(created.store.key)
    created.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                        },
                    }
                ]
            }
        },
    )


def test_access_logs_bucket_is_encrypted(created: Created) -> None:
    bucket_id = created.logical_id(created.store.access_logs_bucket)
    bucket = created.template.find_resources("AWS::S3::Bucket")[bucket_id]
    rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules == [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]


def test_every_bucket_is_versioned_private_owner_enforced_and_retained(created: Created) -> None:
    created.template.resource_count_is("AWS::S3::Bucket", 2)
    created.template.all_resources(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_every_bucket_denies_non_ssl_and_old_tls(created: Created) -> None:
    created.template.resource_count_is("AWS::S3::BucketPolicy", 2)
    created.template.all_resources_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                        Match.object_like({"Effect": "Deny", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}),
                    ]
                ),
                "Version": "2012-10-17",
            }
        },
    )


def test_bucket_logs_to_the_access_logs_bucket(created: Created) -> None:
    logs_id = created.logical_id(created.store.access_logs_bucket)
    bucket = created.template.find_resources("AWS::S3::Bucket")[created.logical_id(created.store.bucket)]
    assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads(created: Created) -> None:
    created.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": [
                    Match.object_like(
                        {
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    )
                ]
            },
            "LoggingConfiguration": Match.any_value(),
        },
    )


def test_lifecycle_days_are_configurable() -> None:
    stack = cdk.Stack(new_app(), "Custom")
    ArtifactStore(
        stack,
        "Store",
        noncurrent_version_expiration=cdk.Duration.days(30),
        abort_incomplete_multipart_upload_after=cdk.Duration.days(2),
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": [
                    Match.object_like(
                        {
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
                        }
                    )
                ]
            }
        },
    )


def test_grant_read_write_covers_objects_listing_and_key(created: Created) -> None:
    bucket_id = created.logical_id(created.store.bucket)
    key_id = created.logical_id(created.store.key)
    statements = _statements(created.template)
    by_resource = {str(s["Resource"]): s for s in statements}
    objects = by_resource[str({"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/pipelines/*"]]})]
    assert set(_actions(objects)) == {
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    }
    listing = [s for s in statements if "s3:ListBucket" in _actions(s)]
    assert listing and all(s["Condition"] == {"StringLike": {"s3:prefix": ["pipelines/*"]}} for s in listing)
    key = by_resource[str({"Fn::GetAtt": [key_id, "Arn"]})]
    assert set(_actions(key)) == {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}


def test_grant_has_no_wildcard_actions_and_no_delete(created: Created) -> None:
    actions = [a for s in _statements(created.template) for a in _actions(s)]
    assert actions and not [a for a in actions if "*" in a]
    assert not [a for a in actions if "Delete" in a]


def test_grant_rejects_a_bad_prefix() -> None:
    stack = cdk.Stack(new_app(), "BadPrefix")
    store = ArtifactStore(stack, "Store")
    with pytest.raises(ValueError, match="prefix"):
        store.grant_read_write(_grantee(stack), prefix="/leading-slash")


def test_synthesizes_with_an_explicit_environment() -> None:
    stack = cdk.Stack(new_app(), "Explicit", env=EXPLICIT_ENV)
    ArtifactStore(stack, "Store")
    Template.from_stack(stack).resource_count_is("AWS::S3::Bucket", 2)


# -- imported mode ---------------------------------------------------------------------------


def test_imported_bucket_with_key_creates_nothing_and_grants_on_both() -> None:
    stack = cdk.Stack(new_app(), "Imported")
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    store = ArtifactStore(stack, "Store", existing_bucket_name="my-artifacts", existing_kms_key_arn=key_arn)
    store.grant_read_write(_grantee(stack))
    template = Template.from_stack(stack)
    for kind in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::KMS::Key"):
        template.resource_count_is(kind, 0)
    assert store.key is not None and store.access_logs_bucket is None
    assert stack.resolve(store.bucket_name) == "my-artifacts"
    statements = _statements(template)
    resources = [stack.resolve(s["Resource"]) for s in statements]
    assert key_arn in resources
    assert {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-artifacts/*"]]} in resources


def test_imported_bucket_without_key_has_no_key_grant() -> None:
    stack = cdk.Stack(new_app(), "ImportedNoKey")
    store = ArtifactStore(stack, "Store", existing_bucket_name="my-artifacts")
    store.grant_read_write(_grantee(stack))
    assert store.key is None
    actions = [a for s in _statements(Template.from_stack(stack)) for a in _actions(s)]
    assert "s3:GetObject" in actions and not [a for a in actions if a.startswith("kms:")]


# -- imported as CDK interfaces (s3.IBucket, kms.IKey) ----------------------------------------

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _grant_statements(stack: cdk.Stack) -> list[dict]:
    return [stack.resolve(s) for s in _statements(Template.from_stack(stack))]


def test_imported_bucket_and_key_interfaces_create_nothing_and_grant_through_them() -> None:
    stack = cdk.Stack(new_app(), "Interfaces")
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "my-artifacts")
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    store = ArtifactStore(stack, "Store", existing_bucket=bucket, existing_key=key)
    store.grant_read_write(_grantee(stack), prefix="pipelines/")
    template = Template.from_stack(stack)
    for kind in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::KMS::Key"):
        template.resource_count_is(kind, 0)
    assert store.bucket is bucket and store.key is key and store.access_logs_bucket is None
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": [
                                    "s3:AbortMultipartUpload",
                                    "s3:GetObject",
                                    "s3:ListMultipartUploadParts",
                                    "s3:PutObject",
                                ],
                                "Effect": "Allow",
                                "Resource": {
                                    "Fn::Join": [
                                        "",
                                        ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-artifacts/pipelines/*"],
                                    ]
                                },
                            }
                        ),
                        Match.object_like(
                            {
                                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                                "Effect": "Allow",
                                "Resource": KEY_ARN,
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_imported_interfaces_grant_exactly_what_the_string_props_grant() -> None:
    by_name = cdk.Stack(new_app(), "ByName")
    ArtifactStore(by_name, "Store", existing_bucket_name="my-artifacts", existing_kms_key_arn=KEY_ARN).grant_read_write(
        _grantee(by_name)
    )
    by_interface = cdk.Stack(new_app(), "ByInterface")
    ArtifactStore(
        by_interface,
        "Store",
        existing_bucket=s3.Bucket.from_bucket_name(by_interface, "Bucket", "my-artifacts"),
        existing_key=kms.Key.from_key_arn(by_interface, "Key", KEY_ARN),
    ).grant_read_write(_grantee(by_interface))
    assert _grant_statements(by_interface) == _grant_statements(by_name)


def test_the_key_of_an_imported_bucket_is_used_when_no_key_is_given() -> None:
    stack = cdk.Stack(new_app(), "BucketKey")
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    bucket = s3.Bucket.from_bucket_attributes(stack, "Bucket", bucket_name="my-artifacts", encryption_key=key)
    store = ArtifactStore(stack, "Store", existing_bucket=bucket)
    store.grant_read_write(_grantee(stack))
    assert store.key is not None and store.key.key_arn == KEY_ARN
    assert KEY_ARN in [s["Resource"] for s in _grant_statements(stack)]


def test_an_interface_and_its_string_twin_are_rejected_together_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "Twins")
    with pytest.raises(ValueError) as error:
        ArtifactStore(
            stack,
            "Store",
            existing_bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "my-artifacts"),
            existing_bucket_name="my-artifacts",
            existing_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
            existing_kms_key_arn=KEY_ARN,
            bucket_name="new-bucket",
        )
    message = str(error.value)
    assert "Either provide existing_bucket or existing_bucket_name, but not both" in message
    assert "Either provide existing_key or existing_kms_key_arn, but not both" in message
    assert "Either provide existing_bucket or the props of a new bucket (bucket_name), but not both" in message


def test_existing_key_needs_an_existing_bucket() -> None:
    stack = cdk.Stack(new_app(), "KeyAlone")
    with pytest.raises(ValueError, match="existing_key is only used with existing_bucket or existing_bucket_name"):
        ArtifactStore(stack, "Store", existing_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN))


# -- input errors ----------------------------------------------------------------------------


def test_existing_bucket_and_new_bucket_props_are_rejected_together() -> None:
    with pytest.raises(ValueError) as error:
        ArtifactStore(
            cdk.Stack(new_app(), "Both"),
            "Store",
            existing_bucket_name="my-artifacts",
            noncurrent_version_expiration=cdk.Duration.days(30),
        )
    expected = (
        "Either provide existing_bucket_name or the props of a new bucket (noncurrent_version_expiration), but not both"
    )
    assert expected in str(error.value)


def test_all_input_errors_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as error:
        ArtifactStore(
            cdk.Stack(new_app(), "Errors"),
            "Store",
            existing_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/abc",
            noncurrent_version_expiration=cdk.Duration.hours(1),
        )
    message = str(error.value)
    assert "existing_kms_key_arn is only used with existing_bucket or existing_bucket_name" in message
    assert "noncurrent_version_expiration must be a whole number of days, at least 1 (got 1 hour)" in message


# -- security gates (slow: external tools) ---------------------------------------------------


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """Both env modes in one app with cdk-nag registered: synth raises on any unacknowledged finding."""
    app = new_app(nag=True)
    stacks = [cdk.Stack(app, "Agnostic"), cdk.Stack(app, "Explicit", env=EXPLICIT_ENV)]
    for stack in stacks:
        store = ArtifactStore(stack, "Store")
        store.grant_read_write(_grantee(stack), prefix="pipelines/")
    out = tmp_path_factory.mktemp("artifact_store")
    return [write_template(synth_template(stack), out / f"{stack.stack_name}.json") for stack in stacks]


@pytest.mark.slow
def test_security_gates_pass(gated) -> None:
    # Reaching here means the cdk-nag plugin found nothing unacknowledged in either stack.
    assert [finding for path in gated for finding in run_cfn_lint(path)] == []
    assert run_checkov(gated[0]) == []
