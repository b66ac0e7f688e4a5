"""Infrastructure the compiled jobs run with: role, bucket, KMS key, subnets, security groups, account, region.

The compiler takes these as plain strings. Outside the CDK they are the framework settings from the
environment or, where unset, *placeholders*: syntactically valid values (so the SageMaker SDK and botocore's
request validation accept them) that are unique enough to be found and replaced. The CDK layer compiles
with placeholders and substitutes each one with the CloudFormation value of the resource it creates
(``Fn::Sub``). :data:`PLACEHOLDERS` lists them; the README documents them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from constructs_lib.config.settings import FrameworkSettings

#: Placeholder values, by the binding they stand for. Each is unique in a definition and never a real value.
PLACEHOLDER_BUCKET = "smp-placeholder-artifact-bucket"
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/smp-placeholder-execution-role"
PLACEHOLDER_KMS_KEY = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-00000000c0de"
PLACEHOLDER_ACCOUNT = "smp-placeholder-account"
PLACEHOLDER_REGION = "smp-placeholder-region"
PLACEHOLDER_SUBNETS = ("subnet-0000000000000a001", "subnet-0000000000000a002")
PLACEHOLDER_SECURITY_GROUPS = ("sg-0000000000000b001",)

_FRAMEWORK_REF = re.compile(r"\$\{(SMP_[A-Z0-9_]+)\}")


class BindingChanges(TypedDict, total=False):
    """Fields :meth:`InfraBindings.with_` may replace (each as typed on :class:`InfraBindings`)."""

    role_arn: str
    bucket: str
    kms_key: str | None
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    account: str
    region: str
    sdk_region: str
    image_region: str | None


@dataclass(frozen=True)
class InfraBindings:
    """What every job runs with. ``kms_key`` may be None only for an existing setup without a key."""

    role_arn: str
    bucket: str
    kms_key: str | None
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    account: str
    region: str
    #: The region the SDK session uses; only the SDK sees it (it never reaches the definition).
    sdk_region: str = "us-east-1"
    #: The region the jobs run in when it is known (SMP_REGION, or the CDK stack's region): images must be there
    #: (see :mod:`constructs_lib.compiler.images`). None: unknown (short-form images resolve for ``sdk_region``).
    image_region: str | None = None

    @classmethod
    def from_settings(cls, settings: FrameworkSettings) -> InfraBindings:
        """Settings from the environment where given, placeholders elsewhere."""
        region = settings.region or PLACEHOLDER_REGION
        return cls(
            role_arn=settings.role_arn or PLACEHOLDER_ROLE,
            bucket=settings.bucket or PLACEHOLDER_BUCKET,
            kms_key=settings.kms_key or (None if settings.bucket and settings.role_arn else PLACEHOLDER_KMS_KEY),
            subnets=settings.subnets or PLACEHOLDER_SUBNETS,
            security_groups=settings.security_groups or PLACEHOLDER_SECURITY_GROUPS,
            account=settings.account or PLACEHOLDER_ACCOUNT,
            region=region,
            sdk_region=settings.region or "us-east-1",
            image_region=settings.region,
        )

    @classmethod
    def all_placeholders(cls, *, subnets: int = 2, security_groups: int = 1, kms_key: bool = True) -> InfraBindings:
        """Placeholders only (what the CDK layer compiles with), for this many subnets and groups."""
        return cls(
            role_arn=PLACEHOLDER_ROLE,
            bucket=PLACEHOLDER_BUCKET,
            kms_key=PLACEHOLDER_KMS_KEY if kms_key else None,
            subnets=tuple(f"subnet-0000000000000a{i + 1:03d}" for i in range(subnets)),
            security_groups=tuple(f"sg-0000000000000b{i + 1:03d}" for i in range(security_groups)),
            account=PLACEHOLDER_ACCOUNT,
            region=PLACEHOLDER_REGION,
        )

    def with_(self, **changes: Unpack[BindingChanges]) -> InfraBindings:
        return replace(self, **changes)

    def resolve(self, text: str) -> str:
        """Replace the framework variables (``${SMP_...}``, canonicalised by the config layer) in a value."""
        values = {
            "SMP_S3BUCKETNAME": self.bucket,
            "SMP_ROLE": self.role_arn,
            "SMP_ACCOUNTID": self.account,
            "SMP_REGION": self.region,
            "SMP_KMSKEY": self.kms_key or "",
            "SMP_SUBNETS": ",".join(self.subnets),
            "SMP_SECURITYGROUPS": ",".join(self.security_groups),
        }
        return _FRAMEWORK_REF.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def placeholders(self) -> dict[str, str]:
        """Placeholder value -> binding name, for the placeholders these bindings actually use."""
        out = {}
        if self.bucket == PLACEHOLDER_BUCKET:
            out[PLACEHOLDER_BUCKET] = "ArtifactBucket"
        if self.role_arn == PLACEHOLDER_ROLE:
            out[PLACEHOLDER_ROLE] = "ExecutionRoleArn"
        if self.kms_key == PLACEHOLDER_KMS_KEY:
            out[PLACEHOLDER_KMS_KEY] = "KmsKeyArn"
        if self.account == PLACEHOLDER_ACCOUNT:
            out[PLACEHOLDER_ACCOUNT] = "AWS::AccountId"
        if self.region == PLACEHOLDER_REGION:
            out[PLACEHOLDER_REGION] = "AWS::Region"
        for i, subnet in enumerate(self.subnets):
            if subnet.startswith("subnet-0000000000000a"):
                out[subnet] = f"Subnet{i + 1}"
        for i, group in enumerate(self.security_groups):
            if group.startswith("sg-0000000000000b"):
                out[group] = f"SecurityGroup{i + 1}"
        return out
