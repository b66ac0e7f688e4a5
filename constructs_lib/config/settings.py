"""Framework settings: which existing AWS resources to use, from the environment or a framework config file.

All are optional. Each one that is unset means "the stack creates it" (bucket, role, network, key) or "the
deployment's own value" (account, region). An unset variable never reaches the output as its own name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from constructs_lib.errors import Problem

_PATTERNS = {
    "SMP_S3BUCKETNAME": (re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), "a bucket name such as my-ml-artifacts"),
    "SMP_ROLE": (
        re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$"),
        "a full role ARN such as arn:aws:iam::123456789012:role/MyRole (a bare name would need IAM calls)",
    ),
    "SMP_ACCOUNTID": (re.compile(r"^\d{12}$"), "12 digits"),
    "SMP_REGION": (re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"), "a region such as us-east-1"),
    "SMP_KMSKEY": (
        re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/-]+|[0-9a-f-]{36}|alias/[\w/-]+)$"),
        "a KMS key id, key ARN or alias",
    ),
}
_ITEM_PATTERNS = {
    "SMP_SUBNETS": (
        re.compile(r"^subnet-[0-9a-f]{8,17}$"),
        "comma-separated ids such as subnet-0123abcd,subnet-4567ef01",
    ),
    "SMP_SECURITYGROUPS": (re.compile(r"^sg-[0-9a-f]{8,17}$"), "comma-separated ids such as sg-0123abcd"),
}


@dataclass(frozen=True)
class FrameworkSettings:
    """Resolved framework settings (``None``/empty: not set)."""

    bucket: str | None = None
    role_arn: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    kms_key: str | None = None
    account: str | None = None
    region: str | None = None
    config_path: str | None = None

    @property
    def uses_existing_network(self) -> bool:
        return bool(self.subnets)


def _value(
    name: str, environ: Mapping[str, str], file_values: Mapping[str, tuple[str | None, Problem | None]]
) -> tuple[str | None, Problem | None]:
    """The environment wins over a framework config file; a file value of ``${SMP_X}`` means "the env var"."""
    env_value = environ.get(name, "").strip()
    if env_value:
        return env_value, Problem("environment", 0, 0, name, "")
    file_value, where = file_values.get(name, (None, None))
    if file_value and file_value != "${" + name + "}":
        return file_value, where
    return None, None


def resolve_settings(
    environ: Mapping[str, str], file_values: Mapping[str, tuple[str | None, Problem | None]] | None = None
) -> tuple[FrameworkSettings, list[Problem]]:
    """Read and check the settings. ``file_values`` maps a variable name to (value, where it was written)."""
    file_values = file_values or {}
    problems: list[Problem] = []
    values: dict[str, str | None] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for name, (pattern, expected) in _PATTERNS.items():
        value, where = _value(name, environ, file_values)
        if value is not None and not pattern.match(value):
            problems.append(_bad(where, name, value, expected))
        values[name] = value
    for name, (pattern, expected) in _ITEM_PATTERNS.items():
        value, where = _value(name, environ, file_values)
        items = tuple(i.strip() for i in (value or "").split(",") if i.strip())
        bad = [i for i in items if not pattern.match(i)]
        if bad:
            problems.append(_bad(where, name, ",".join(bad), expected))
        lists[name] = items
    if bool(lists["SMP_SUBNETS"]) != bool(lists["SMP_SECURITYGROUPS"]):
        given, missing = (
            ("SMP_SUBNETS", "SMP_SECURITYGROUPS") if lists["SMP_SUBNETS"] else ("SMP_SECURITYGROUPS", "SMP_SUBNETS")
        )
        problems.append(
            Problem(
                "environment",
                0,
                0,
                missing,
                f"is not set but {given} is",
                "an existing network needs both subnets and security groups; set both or neither",
            )
        )
    config_path = environ.get("SMP_MODEL_CONFIGPATH") or None
    return FrameworkSettings(
        bucket=values["SMP_S3BUCKETNAME"],
        role_arn=values["SMP_ROLE"],
        subnets=lists["SMP_SUBNETS"],
        security_groups=lists["SMP_SECURITYGROUPS"],
        kms_key=values["SMP_KMSKEY"],
        account=values["SMP_ACCOUNTID"],
        region=values["SMP_REGION"],
        config_path=config_path,
    ), problems


def _bad(where: Problem | None, name: str, value: str, expected: str) -> Problem:
    where = where or Problem("environment", 0, 0, name, "")
    return Problem(
        where.file,
        where.line,
        where.col,
        where.key_path or name,
        f"invalid value {value!r} for {name}",
        f"expected {expected}",
    )
