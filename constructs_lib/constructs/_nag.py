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


def policy_resource(scope: IConstruct | None) -> IConstruct | None:
    """The L1 ``AWS::IAM::Policy`` of an ``iam.Policy`` (e.g. a role's DefaultPolicy): the narrowest
    construct to acknowledge a policy finding on. None when ``scope`` is None."""
    if scope is None:
        return None
    return scope.node.default_child or scope
