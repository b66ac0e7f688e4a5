"""Precise acknowledgments for cdk-nag findings and skips for checkov, shared by the constructs.

cdk-nag 3 matches an acknowledgment by its exact finding id, e.g.
``AwsSolutions-IAM5[Resource::<ArtifactStoreBucket1A2B3C4D.Arn>/*]``. Those ids embed logical ids
(hashes) and, when a stack has an explicit environment, literal regions and accounts. Hard-coding
them would break on any rename, so the ids are computed here from the same values the constructs
put in their policies, with the same flattening that cdk-nag applies (a port of its
``flattenCfnReference``).

checkov and cfn-lint read skips from a resource's CloudFormation ``Metadata``; ``skip_checkov``
and ``skip_cfn_lint`` add one without losing those already there. Use them only on resources that
aws-cdk-lib generates, or with a reason that holds for every use of the construct.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, overload

import aws_cdk as cdk
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"


def flatten_reference(value: Any) -> str:
    """Flatten a resolved CloudFormation value the way cdk-nag does for its finding ids.

    ``Fn::Join`` is joined, ``Fn::Sub`` keeps its text with ``${X}`` written ``<X>``, ``Ref`` and
    ``Fn::GetAtt`` become ``<Name>`` and ``<Name.Attribute>``; anything else is JSON-encoded.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    # cdk-nag falls back to JSON.stringify, which has no spaces after separators.
    return json.dumps(value, separators=(",", ":"))


def finding_id(scope: IConstruct, rule: str, kind: str, value: Any) -> str:
    """The id of one granular cdk-nag finding, e.g. ``AwsSolutions-IAM5[Resource::arn:...:*]``.

    ``value`` is what the construct put into its policy (a string, possibly holding tokens); it is
    resolved in the stack of ``scope``, so placeholders become literals when the env is explicit.
    """
    resolved = cdk.Stack.of(scope).resolve(value)
    return f"{AWS_SOLUTIONS}-{rule}[{kind}::{flatten_reference(resolved)}]"


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on ``scope`` (and its children) with a reason."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def wildcard_resource_finding_ids(scope: IConstruct, resources: Iterable[Any]) -> list[str]:
    """The ``AwsSolutions-IAM5`` finding ids that ``resources`` produce (those with a ``*``)."""
    ids: dict[str, None] = {}
    for resource in resources:
        flat = flatten_reference(cdk.Stack.of(scope).resolve(resource))
        if "*" in flat:
            ids[f"{AWS_SOLUTIONS}-IAM5[Resource::{flat}]"] = None
    return list(ids)


def acknowledge_wildcard_resources(scope: IConstruct, resources: Iterable[Any], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for each wildcard resource in ``resources``.

    Values without a ``*`` after flattening produce no finding and are skipped.
    """
    for rule_id in wildcard_resource_finding_ids(scope, resources):
        acknowledge(scope, rule_id, reason)


def acknowledge_wildcard_actions(scope: IConstruct, actions: Iterable[str], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for each wildcard action (e.g. ``kms:GenerateDataKey*``)."""
    for action in dict.fromkeys(actions):
        if "*" in action:
            acknowledge(scope, f"{AWS_SOLUTIONS}-IAM5[Action::{action}]", reason)


def skip_checkov(resource: cdk.CfnResource, check_id: str, comment: str) -> None:
    """Add a checkov skip (``Metadata: checkov: skip``) to one L1 resource, keeping earlier skips."""
    current = resource.get_metadata("checkov") or {}
    skips = [s for s in current.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": comment})
    resource.add_metadata("checkov", {**current, "skip": skips})


def skip_cfn_lint(resource: cdk.CfnResource, rule_id: str) -> None:
    """Make cfn-lint ignore ``rule_id`` on one L1 resource (``Metadata: cfn-lint: config``)."""
    current = resource.get_metadata("cfn-lint") or {}
    config = dict(current.get("config", {}))
    ignored = list(dict.fromkeys([*config.get("ignore_checks", []), rule_id]))
    resource.add_metadata("cfn-lint", {**current, "config": {**config, "ignore_checks": ignored}})


@overload
def policy_resource(scope: IConstruct) -> IConstruct: ...
@overload
def policy_resource(scope: None) -> None: ...
def policy_resource(scope: IConstruct | None) -> IConstruct | None:
    """The L1 ``AWS::IAM::Policy`` of an ``iam.Policy`` (e.g. a role's DefaultPolicy): the narrowest
    construct to acknowledge a policy finding on. None when ``scope`` is None."""
    if scope is None:
        return None
    return scope.node.default_child or scope


# checkov findings on the CDK-generated handlers: these checks target application functions.
_HANDLER_LAMBDA_CHECKOV = {
    "CKV_AWS_115": "a one-shot deploy-time handler needs no reserved concurrency.",
    "CKV_AWS_116": "CloudFormation reports a failed invocation itself; a DLQ would never be read.",
    "CKV_AWS_117": "the handler only calls AWS APIs at deploy time and is not part of the job network.",
    "CKV_AWS_173": "its environment holds no secret (aws-cdk-lib's own settings); the function is not configurable.",
}


def accept_cdk_handler(stack: cdk.Stack, child_id: str, what: str) -> None:
    """Settle the findings on a CDK-internal, stack-level singleton Lambda, on its own resources.

    aws-cdk-lib generates these (one per stack, shared by every construct that needs them): a short
    deploy-time handler whose role, runtime and log group it chooses itself. cdk-nag: the AWS managed basic
    execution policy of the handler's role (IAM4), the runtime aws-cdk-lib pins (L1). checkov: concurrency
    limit, DLQ, VPC placement and environment encryption of the handler (CKV_AWS_115/116/117/173), KMS on
    its log group (CKV_AWS_158). cfn-lint: W3005, a DependsOn on the handler's role that its GetAtt already
    implies. ``child_id`` may be a prefix (ids that embed a hash or a size).
    """
    from aws_cdk import aws_iam as iam

    providers = [c for c in stack.node.children if c.node.id == child_id or c.node.id.startswith(child_id)]
    for provider in providers:
        for child in provider.node.find_all():
            if not cdk.CfnResource.is_cfn_resource(child):
                continue
            resource: cdk.CfnResource = child  # type: ignore[assignment]
            kind = resource.cfn_resource_type
            if kind == "AWS::IAM::Role" and isinstance(resource, iam.CfnRole):
                for policy_arn in stack.resolve(resource.managed_policy_arns) or []:
                    acknowledge(
                        resource,
                        f"{AWS_SOLUTIONS}-IAM4[Policy::{flatten_reference(policy_arn)}]",
                        f"aws-cdk-lib attaches this AWS managed policy (basic execution: CloudWatch "
                        f"Logs only) to the role of {what}; that role is not configurable.",
                    )
            elif kind == "AWS::Lambda::Function":
                for check_id, comment in _HANDLER_LAMBDA_CHECKOV.items():
                    skip_checkov(resource, check_id, f"CDK-internal: {what}; {comment}")
                # The handler's DependsOn on its role (added by aws-cdk-lib) is implied by its GetAtt.
                skip_cfn_lint(resource, "W3005")
                acknowledge(
                    resource, f"{AWS_SOLUTIONS}-L1", f"aws-cdk-lib pins the runtime of {what}; it is not configurable."
                )
            elif kind == "AWS::Logs::LogGroup":
                skip_checkov(
                    resource,
                    "CKV_AWS_158",
                    f"CDK-internal: log group of {what}; it holds only deploy-time handler logs.",
                )
