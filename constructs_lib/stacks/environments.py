"""The ``environments`` and ``delivery`` context of ``cdk.json``: parsed, checked, and turned into plain values.

``environments`` is an ordered list (the promotion order) of target environments, each with its own
account, region and overrides; ``delivery`` says where the source lives and where the delivery (tooling)
pipeline runs. Every problem found is reported at once as a :class:`~constructs_lib.errors.Problem`
pointing at ``cdk.json`` and the key (``context.environments[1].account``), raised as one
:class:`~constructs_lib.errors.ConfigError` (``app.py`` prints them and exits 2).

This module imports neither the CDK nor the SageMaker SDK: it is plain data checking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.config.schema import Parameter, Schedule, value_fits
from constructs_lib.errors import ConfigError, Problem, did_you_mean

CONTEXT_FILE = "cdk.json"

_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,31}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$"
)
_PIPELINE_NAME = re.compile(r"^[A-Za-z0-9.@_-]{1,100}$")
_SCHEDULE_EXPRESSION = re.compile(
    r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$"
)

#: The stages CDK Pipelines puts before the environments (CodePipeline stage names must be unique).
_RESERVED_STAGE_NAMES = {n.lower(): n for n in ("Source", "Build", "UpdatePipeline", "Assets")}
_INVALID: Any = object()  # a value that was JSON text and did not parse (already reported)

ENVIRONMENT_KEYS = (
    "name",
    "account",
    "region",
    "parameters",
    "schedule",
    "existingBucketName",
    "existingKmsKeyArn",
    "existingRoleArn",
    "existingSubnetIds",
    "existingSecurityGroupIds",
    "approval",
)
SCHEDULE_KEYS = ("expression", "parameters", "enabled")
DELIVERY_KEYS = ("repository", "branch", "connectionArn", "account", "region", "pipelineName")


@dataclass(frozen=True)
class TargetEnvironment:
    """One stage of the delivery pipeline: where the ML pipeline stack goes and how it differs there."""

    name: str
    account: str
    region: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None
    existing_bucket_name: str | None = None
    existing_kms_key_arn: str | None = None
    existing_role_arn: str | None = None
    existing_subnet_ids: tuple[str, ...] | None = None
    existing_security_group_ids: tuple[str, ...] | None = None
    approval: bool = False


@dataclass(frozen=True)
class DeliverySource:
    """Where the code comes from and where the delivery (tooling) pipeline runs."""

    repository: str
    branch: str
    connection_arn: str
    account: str
    region: str
    pipeline_name: str


@dataclass(frozen=True)
class DeliveryConfig:
    source: DeliverySource
    environments: tuple[TargetEnvironment, ...]


def parse_delivery_context(
    environments: Any, delivery: Any, *, parameters: Sequence[Parameter], pipeline_name: str, file: str = CONTEXT_FILE
) -> DeliveryConfig:
    """Check the two context values and return them as plain values; ``ConfigError`` lists every problem.

    :param parameters: the pipeline parameters the config declares (``sagemakerPipeline.parameters``).
    :param pipeline_name: the SageMaker pipeline's name (the delivery pipeline's default name derives from it).
    Values given on the command line (``cdk synth -c environments='[...]'``) arrive as JSON text and are parsed.
    """
    checker = _Checker(file, {p.name: p for p in parameters})
    environments = checker.json_text(environments, "context.environments")
    delivery = checker.json_text(delivery, "context.delivery")
    targets = checker.environments(environments)
    source = checker.delivery(delivery, targets, pipeline_name)
    if checker.problems or source is None:
        raise ConfigError(checker.problems)
    return DeliveryConfig(source=source, environments=tuple(targets))


class _Checker:
    def __init__(self, file: str, declared: Mapping[str, Parameter]) -> None:
        self.file = file
        self.declared = declared
        self.problems: list[Problem] = []

    def add(self, key_path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(file=self.file, key_path=key_path, message=message, hint=hint))

    # -- generic ----------------------------------------------------------------------------------------

    def json_text(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                self.add(
                    path,
                    f"is not valid JSON ({exc.msg} at character {exc.pos})",
                    "on the command line, quote the whole JSON value: -c key='[...]'",
                )
                return _INVALID
        return value

    def unknown_keys(self, data: Mapping[str, Any], known: Sequence[str], path: str, what: str) -> None:
        for key in data:
            if key not in known:
                self.add(f"{path}.{key}", "unknown key", did_you_mean(str(key), known, what=f"{what} keys"))

    def string(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        pattern: re.Pattern[str] | None = None,
        expected: str = "",
        hint: str = "",
    ) -> str | None:
        where = f"{path}.{key}"
        if key not in data or data[key] is None:
            if required:
                self.add(where, "missing required key", hint)
            return None
        value = data[key]
        if not isinstance(value, str):
            quoted = " (write it in quotes)" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            self.add(where, f"must be a string{quoted}, got {_describe(value)}", hint)
            return None
        if not value.strip():
            self.add(where, "must not be empty", hint)
            return None
        if pattern is not None and not pattern.match(value):
            self.add(where, f"invalid value {value!r}" + (f" (expected {expected})" if expected else ""), hint)
            return None
        return value

    def id_list(
        self, data: Mapping[str, Any], key: str, path: str, pattern: re.Pattern[str], example: str
    ) -> tuple[str, ...] | None:
        where = f"{path}.{key}"
        if data.get(key) is None:
            return None
        value = data[key]
        if isinstance(value, str):  # "subnet-a,subnet-b", as SMP_SUBNETS is written
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not value:
            self.add(where, f"must be a non-empty list of IDs such as {example!r}, got {_describe(value)}")
            return None
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str) or not pattern.match(item):
                self.add(f"{where}[{index}]", f"invalid ID {item!r} (expected the form {example})")
                ok = False
        return tuple(value) if ok else None

    # -- environments -----------------------------------------------------------------------------------

    def environments(self, value: Any) -> list[TargetEnvironment]:
        path = "context.environments"
        if value is _INVALID:
            return []
        if value is None:
            self.add(
                path,
                "missing: the delivery pipeline needs at least one environment",
                'add "environments": [{"name": "dev", "account": "...", "region": "..."}, ...] to the context',
            )
            return []
        if isinstance(value, dict):
            self.add(
                path,
                "must be a list of environments (the list order is the promotion order), got a mapping",
                'write [{"name": "dev", ...}, {"name": "prod", ...}]',
            )
            return []
        if not isinstance(value, list) or not value:
            self.add(path, f"must be a non-empty list of environments, got {_describe(value)}")
            return []
        # Default approval: before the last (production) stage only.
        targets = [self.environment(item, f"{path}[{i}]", last=i == len(value) - 1) for i, item in enumerate(value)]
        seen_names: dict[str, int] = {}
        seen_places: dict[tuple[str, str], int] = {}
        for index, (item, target) in enumerate(zip(value, targets, strict=True)):
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and _ENV_NAME.match(name):
                key = name.lower()  # stage ids and stack names are case-insensitive in places (S3, CloudFormation)
                if key in _RESERVED_STAGE_NAMES:
                    self.add(
                        f"{path}[{index}].name",
                        f"{name!r} is the name of a stage CDK Pipelines adds itself",
                        "choose another name than " + ", ".join(sorted(_RESERVED_STAGE_NAMES.values())),
                    )
                elif key in seen_names:
                    self.add(
                        f"{path}[{index}].name",
                        f"duplicate environment name {name!r}",
                        f"already used by context.environments[{seen_names[key]}]; names must be unique",
                    )
                else:
                    seen_names[key] = index
            if target is not None:
                place = (target.account, target.region)
                if place in seen_places:
                    self.add(
                        f"{path}[{index}]",
                        f"same account and region as context.environments[{seen_places[place]}] "
                        f"({target.account}/{target.region})",
                        "both stages would deploy the same SageMaker pipeline and model package groups; "
                        "use one environment per account and region",
                    )
                else:
                    seen_places[place] = index
        return [t for t in targets if t is not None] if all(targets) else []

    def environment(self, item: Any, path: str, *, last: bool) -> TargetEnvironment | None:
        if not isinstance(item, dict):
            self.add(path, f"must be a mapping with name, account and region, got {_describe(item)}")
            return None
        before = len(self.problems)
        self.unknown_keys(item, ENVIRONMENT_KEYS, path, "environment")
        name = self.string(
            item,
            "name",
            path,
            required=True,
            pattern=_ENV_NAME,
            expected="a letter, then letters, digits or '-', at most 32 characters",
            hint="it names the stage, e.g. dev or prod",
        )
        account = self.string(
            item,
            "account",
            path,
            required=True,
            pattern=_ACCOUNT,
            expected="12 digits",
            hint="the AWS account ID of this environment, in quotes",
        )
        region = self.region(item, "region", path, required=True)
        parameters = self.parameters(item.get("parameters"), f"{path}.parameters")
        schedule = self.schedule(item.get("schedule"), f"{path}.schedule")
        bucket = self.string(
            item, "existingBucketName", path, required=False, pattern=_BUCKET, expected="an S3 bucket name"
        )
        key_arn = self.string(
            item,
            "existingKmsKeyArn",
            path,
            required=False,
            pattern=_KMS_KEY_ARN,
            expected="a KMS key ARN such as arn:aws:kms:eu-west-1:111111111111:key/<id>",
        )
        if key_arn is not None and item.get("existingBucketName") is None:
            self.add(
                f"{path}.existingKmsKeyArn",
                "is only used with existingBucketName",
                "it names the key of that existing bucket; without it the stack creates bucket and key",
            )
        role = self.string(
            item,
            "existingRoleArn",
            path,
            required=False,
            pattern=_ROLE_ARN,
            expected="a full role ARN such as arn:aws:iam::111111111111:role/MyRole",
        )
        subnets = self.id_list(item, "existingSubnetIds", path, _SUBNET_ID, "subnet-0123456789abcdef0")
        groups = self.id_list(item, "existingSecurityGroupIds", path, _SECURITY_GROUP_ID, "sg-0123456789abcdef0")
        if (item.get("existingSubnetIds") is None) != (item.get("existingSecurityGroupIds") is None):
            missing = (
                "existingSecurityGroupIds" if item.get("existingSecurityGroupIds") is None else "existingSubnetIds"
            )
            self.add(
                f"{path}.{missing}",
                "missing: existingSubnetIds and existingSecurityGroupIds go together",
                "give both to run the jobs in an existing network, or neither to create one",
            )
        approval = item.get("approval", last)
        if not isinstance(approval, bool):
            self.add(
                f"{path}.approval",
                f"must be true or false, got {_describe(approval)}",
                "true: a manual approval before this stage (default: only before the last stage)",
            )
        if len(self.problems) > before or name is None or account is None or region is None:
            return None
        return TargetEnvironment(
            name=name,
            account=account,
            region=region,
            parameters=parameters,
            schedule=schedule,
            existing_bucket_name=bucket,
            existing_kms_key_arn=key_arn,
            existing_role_arn=role,
            existing_subnet_ids=subnets,
            existing_security_group_ids=groups,
            approval=bool(approval),
        )

    def region(self, data: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = self.string(
            data,
            key,
            path,
            required=required,
            pattern=_REGION,
            expected="a region such as eu-west-1",
            hint=did_you_mean(str(data.get(key, "")), known_regions(), what="regions")
            if isinstance(data.get(key), str)
            else "",
        )
        if value is not None and known_regions() and value not in known_regions():
            self.add(
                f"{path}.{key}",
                f"unknown region {value!r} (SageMaker is not available there)",
                did_you_mean(value, known_regions(), what="regions"),
            )
            return None
        return value

    def parameters(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of pipeline parameter names to default values, got {_describe(value)}")
            return {}
        out = {}
        for name, default in value.items():
            declared = self.declared.get(name)
            if declared is None:
                self.add(
                    f"{path}.{name}",
                    f"unknown pipeline parameter '{name}'",
                    did_you_mean(str(name), self.declared, what="parameters")
                    or "declare it in sagemakerPipeline.parameters of the anchor config file",
                )
                continue
            if not value_fits(declared.type, default):
                self.add(
                    f"{path}.{name}",
                    f"parameter '{name}' is {_a(declared.type)}: {_describe(default)} does not fit",
                    _type_hint(declared.type),
                )
                continue
            out[name] = float(default) if declared.type == "Float" else default
        return out

    def schedule(self, value: Any, path: str) -> Schedule | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(
                path,
                f"must be a mapping with expression (and optionally parameters, enabled) or null, "
                f"got {_describe(value)}",
            )
            return None
        before = len(self.problems)
        self.unknown_keys(value, SCHEDULE_KEYS, path, "schedule")
        expression = self.string(
            value,
            "expression",
            path,
            required=True,
            pattern=_SCHEDULE_EXPRESSION,
            expected="rate(1 day) or cron(0 3 * * ? *), EventBridge syntax, UTC",
            hint="a cron expression has six fields: minutes hours day-of-month month day-of-week year",
        )
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            self.add(f"{path}.enabled", f"must be true or false, got {_describe(enabled)}")
        parameters: dict[str, str] = {}
        given = value.get("parameters")
        if given is not None and not isinstance(given, dict):
            self.add(
                f"{path}.parameters", f"must be a mapping of pipeline parameter names to values, got {_describe(given)}"
            )
        for name, item in (given or {}).items() if isinstance(given, dict) else ():
            declared = self.declared.get(name)
            if declared is None:
                self.add(
                    f"{path}.parameters.{name}",
                    f"unknown pipeline parameter '{name}'",
                    did_you_mean(str(name), self.declared, what="parameters")
                    or "declare it in sagemakerPipeline.parameters of the anchor config file",
                )
            elif not _fits_text(declared.type, item):
                self.add(
                    f"{path}.parameters.{name}",
                    f"parameter '{name}' is {_a(declared.type)}: {_describe(item)} does not fit",
                    _type_hint(declared.type),
                )
            else:
                parameters[name] = _as_text(item)
        if len(self.problems) > before or expression is None:
            return None
        return Schedule(expression=expression, parameters=parameters, enabled=enabled)

    # -- delivery ---------------------------------------------------------------------------------------

    def delivery(self, value: Any, targets: Sequence[TargetEnvironment], pipeline_name: str) -> DeliverySource | None:
        path = "context.delivery"
        if value is _INVALID:
            return None
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping with repository, branch and connectionArn, got {_describe(value)}")
            return None
        before = len(self.problems)
        self.unknown_keys(value, DELIVERY_KEYS, path, "delivery")
        repository = self.string(
            value,
            "repository",
            path,
            required=True,
            pattern=_REPOSITORY,
            expected="owner/repository",
            hint="the GitHub/GitLab/Bitbucket repository",
        )
        branch = self.string(value, "branch", path, required=True, hint="the branch that is delivered, e.g. main")
        connection = self.string(
            value,
            "connectionArn",
            path,
            required=True,
            pattern=_CONNECTION_ARN,
            expected="arn:aws:codeconnections:<region>:<account>:connection/<id>",
            hint="create the connection in the tooling account and authorize it in the console (docs/delivery.md)",
        )
        account = self.string(
            value,
            "account",
            path,
            required=False,
            pattern=_ACCOUNT,
            expected="12 digits",
            hint="the AWS account ID of the tooling account, in quotes",
        )
        region = self.region(value, "region", path, required=False)
        name = self.string(
            value,
            "pipelineName",
            path,
            required=False,
            pattern=_PIPELINE_NAME,
            expected="letters, digits and . @ _ -, at most 100 characters",
        )
        if len(self.problems) > before or not targets or repository is None or branch is None or connection is None:
            return None
        # The tooling account/region default to the first environment's: a delivery pipeline needs a concrete
        # account and region to deploy across accounts.
        region = region or targets[0].region
        for index, target in enumerate(targets):
            if target.region != region:
                self.add(
                    f"context.environments[{index}].region",
                    f"region {target.region!r} differs from the delivery pipeline's region {region!r}",
                    "all stages must be in the delivery pipeline's region: in another region CDK Pipelines "
                    "adds a replication stack whose KMS grant covers every key (Resource '*'); use one "
                    "delivery pipeline per region",
                )
        if len(self.problems) > before:
            return None
        return DeliverySource(
            repository=repository,
            branch=branch,
            connection_arn=connection,
            account=account or targets[0].account,
            region=region,
            pipeline_name=name or f"{pipeline_name}-delivery"[:100],
        )


def known_regions() -> frozenset[str]:
    """Regions where SageMaker is available, from botocore's bundled endpoint data (offline); empty if missing."""
    global _KNOWN_REGIONS
    if _KNOWN_REGIONS is None:
        try:
            import botocore.session

            session = botocore.session.get_session()
            _KNOWN_REGIONS = frozenset(
                region
                for partition in session.get_available_partitions()
                for region in session.get_available_regions("sagemaker", partition_name=partition)
            )
        except Exception:
            _KNOWN_REGIONS = frozenset()
    return _KNOWN_REGIONS


_KNOWN_REGIONS: frozenset[str] | None = None


def _fits_text(kind: str, value: Any) -> bool:
    """Schedule values are sent as text; they must still read as the parameter's type."""
    if value_fits(kind, value):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if kind == "String":
        return True
    if kind == "Integer":
        return re.fullmatch(r"-?\d+", text) is not None
    if kind == "Float":
        return re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text) is not None
    return text.lower() in {"true", "false"}


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "AEIOU" else f"a {kind}"


def _type_hint(kind: str) -> str:
    return {
        "String": "write the value in quotes",
        "Integer": "write a whole number without quotes",
        "Float": "write a number without quotes",
        "Boolean": "write true or false without quotes",
    }[kind]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)
