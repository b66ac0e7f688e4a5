"""Precise acknowledgments for cdk-nag findings and skips for checkov, shared by the constructs.

cdk-nag 3 matches an acknowledgment by its exact finding id, e.g.
``AwsSolutions-IAM5[Resource::<ArtifactStoreBucket1A2B3C4D.Arn>/*]``. Those ids embed logical ids
(hashes) and, when a stack has an explicit environment, literal regions and accounts. Hard-coding
them would break on any rename, so the ids are computed here from the same values the constructs
put in their policies, with the same flattening that cdk-nag applies (a port of its
``flattenCfnReference``).

checkov reads skips from a resource's CloudFormation ``Metadata``; ``skip_checkov`` adds one
without losing skips already there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

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


def acknowledge_wildcard_resources(scope: IConstruct, resources: Iterable[Any], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for each wildcard resource in ``resources``.

    Values without a ``*`` after flattening produce no finding and are skipped.
    """
    seen: set[str] = set()
    for resource in resources:
        rule_id = finding_id(scope, "IAM5", "Resource", resource)
        if "*" in rule_id and rule_id not in seen:
            seen.add(rule_id)
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


def cfn_resource_of(scope: IConstruct | None) -> cdk.CfnResource | None:
    """The L1 resource of ``scope``: itself if it is one, else its default child, else None."""
    if scope is None:
        return None
    if cdk.CfnResource.is_cfn_resource(scope):
        return scope  # type: ignore[return-value]
    child = scope.node.default_child
    if child is not None and cdk.CfnResource.is_cfn_resource(child):
        return child  # type: ignore[return-value]
    return None
