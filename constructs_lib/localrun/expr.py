"""Pipeline expressions (``Get``, ``Std:Join``, ``Std:JsonGet``) and conditions, as SageMaker evaluates them.

``references(value)`` lists the steps a value reads (its data dependencies); ``unsupported(value)`` lists
what the local runner cannot evaluate (checked before anything runs); ``Scope.evaluate(value)`` resolves a
value once the steps it reads have run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.runtime.model import RuntimeUserError

EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "StartDateTime",
    "CurrentDateTime",
    "PipelineName",
    "PipelineArn",
)
FUNCTIONS = ("Get", "Std:Join", "Std:JsonGet")
CONDITIONS = ("Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "In", "Not", "Or")
_TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[(\d+)\]")


class LocalRunError(RuntimeUserError):
    """Bad input for a local run (definition, parameters, data): one line and a hint, exit 2, nothing run."""


class StepFailed(Exception):
    """A step failed at run time; ``reason`` is its failure reason as SageMaker would show it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def walk(value: Any) -> Iterator[Any]:
    """Every node of a JSON value (dicts, lists, scalars), depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def parse_path(path: str) -> list[str | int]:
    """``Outputs['train'].S3Output.S3Uri`` -> ``['Outputs', 'train', 'S3Output', 'S3Uri']``."""
    tokens: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot parse {path!r} at {path[pos:]!r}")
        name, quoted, dquoted, index = match.groups()
        tokens.append(
            int(index)
            if index is not None
            else (name if name is not None else (quoted if quoted is not None else dquoted))
        )
        pos = match.end()
    return tokens


def split_step_get(get: str) -> tuple[str, str]:
    """``Steps.<name>.<path>`` -> (name, path). Step names hold letters, digits, '-' and '_'."""
    rest = get[len("Steps.") :]
    name, _, path = rest.partition(".")
    return name, path


def references(value: Any) -> set[str]:
    """Names of the steps whose properties a value reads."""
    out = set()
    for node in walk(value):
        if isinstance(node, dict) and isinstance(node.get("Get"), str) and node["Get"].startswith("Steps."):
            out.add(split_step_get(node["Get"])[0])
    return out


def unsupported(value: Any, where: str) -> list[str]:
    """What in ``value`` the runner cannot evaluate, one message each."""
    problems = []
    for node in walk(value):
        if not isinstance(node, dict):
            continue
        for key in node:
            if (key.startswith("Std:") and key not in FUNCTIONS) or key in ("Fn::Sub", "Ref"):
                problems.append(
                    f"{where}: the expression {key!r} is not supported by the local runner "
                    f"(supported: {', '.join(FUNCTIONS)})"
                )
        get = node.get("Get") if len(node) == 1 else None
        if isinstance(get, str):
            root = get.split(".", 1)[0]
            if root == "Execution" and get.split(".", 1)[-1] not in EXECUTION_VARIABLES:
                problems.append(
                    f"{where}: unknown execution variable {get!r} (known: "
                    f"{', '.join('Execution.' + v for v in EXECUTION_VARIABLES)})"
                )
            elif root not in ("Steps", "Parameters", "Execution"):
                problems.append(
                    f"{where}: 'Get' of {get!r} is not supported by the local runner "
                    "(supported: Steps.*, Parameters.*, Execution.*)"
                )
    return problems


def lookup(data: Any, tokens: list[str | int], what: str) -> Any:
    """Follow a property path. A list indexed by a name selects the element one of whose ``*Name`` fields
    holds it (``Outputs['train']`` is the output whose ``OutputName`` is ``train``)."""
    current = data
    for token in tokens:
        if isinstance(current, list):
            if isinstance(token, int):
                if token >= len(current):
                    raise KeyError(f"{what}: index {token} out of range")
                current = current[token]
                continue
            matches = [
                item
                for item in current
                if isinstance(item, dict) and any(k.endswith("Name") and v == token for k, v in item.items())
            ]
            if not matches:
                raise KeyError(f"{what}: no element named {token!r}")
            current = matches[0]
        elif isinstance(current, dict):
            if token not in current:
                raise KeyError(f"{what}: no property {token!r}")
            current = current[token]
        else:
            raise KeyError(f"{what}: {token!r} of a {type(current).__name__}")
    return current


def to_text(value: Any) -> str:
    """How SageMaker turns a value into text in ``Std:Join`` (booleans lower case, as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@dataclass
class Scope:
    """What expressions can read during one execution."""

    parameters: Mapping[str, Any]
    execution: Mapping[str, str]
    properties: dict[str, dict] = field(default_factory=dict)
    """Step name -> its properties (the resolved arguments plus what the job produced)."""
    read_json: Callable[[str], Any] | None = None
    """Reads and parses the JSON object at an S3 URI (the local store)."""

    def evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.evaluate(item) for item in value]
        if not isinstance(value, dict):
            return value
        if is_expression(value):
            ((function, argument),) = value.items()
            if function == "Get":
                return self.get(argument)
            if function == "Std:Join":
                return to_text(argument.get("On", "")).join(to_text(self.evaluate(v)) for v in argument["Values"])
            return self.json_get(argument)
        return {key: self.evaluate(item) for key, item in value.items()}

    def get(self, name: str) -> Any:
        root, _, rest = name.partition(".")
        if root == "Parameters":
            if rest not in self.parameters:
                raise StepFailed(f"the definition reads an undeclared parameter {rest!r}")
            return self.parameters[rest]
        if root == "Execution":
            return self.execution[rest]
        step, path = split_step_get(name)
        if step not in self.properties:
            raise StepFailed(f"step '{step}' has not run, so {name} has no value")
        try:
            return lookup(self.properties[step], parse_path(path), f"Steps.{step}")
        except (KeyError, ValueError) as exc:
            raise StepFailed(f"{name}: {exc.args[0]}") from None

    def property_file(self, get: str) -> Any:
        step, path = split_step_get(get)
        tokens = parse_path(path)
        if len(tokens) != 2 or tokens[0] != "PropertyFiles":
            raise StepFailed(f"{get}: expected Steps.<step>.PropertyFiles.<name>")
        files = self.properties.get(step, {}).get("PropertyFiles", {})
        if tokens[1] not in files:
            raise StepFailed(f"{get}: step '{step}' declares no property file {tokens[1]!r}")
        return self._read(files[tokens[1]])

    def _read(self, uri: str) -> Any:
        assert self.read_json is not None
        return self.read_json(uri)

    def json_get(self, argument: Mapping[str, Any]) -> Any:
        if "PropertyFile" in argument:
            source = argument["PropertyFile"]
            get = source.get("Get") if isinstance(source, dict) else None
            if not isinstance(get, str):
                raise StepFailed(
                    f"Std:JsonGet: PropertyFile must be a Get of Steps.<step>.PropertyFiles.<name>, got {source!r}"
                )
            document = self.property_file(get)
            where = get
        else:
            where = to_text(self.evaluate(argument["S3Uri"]))
            document = self._read(where)
        path = to_text(self.evaluate(argument["Path"]))
        try:
            return lookup(document, parse_path(path), where)
        except (KeyError, ValueError) as exc:
            raise StepFailed(f"Std:JsonGet {path!r} in {where}: {exc.args[0]}") from None

    # ------------------------------------------------------------------------------------------------------
    # Conditions
    # ------------------------------------------------------------------------------------------------------

    def condition(self, condition: Mapping[str, Any]) -> bool:
        kind = condition["Type"]
        if kind == "Not":
            return not self.condition(condition["Expression"])
        if kind == "Or":
            return any(self.condition(c) for c in condition["Conditions"])
        if kind == "In":
            query = self.evaluate(condition["QueryValue"])
            return any(_equal(query, self.evaluate(v)) for v in condition["Values"])
        left, right = self.evaluate(condition["LeftValue"]), self.evaluate(condition["RightValue"])
        if kind == "Equals":
            return _equal(left, right)
        a, b = _comparable(left, right, kind)
        return {"GreaterThan": a > b, "GreaterThanOrEqualTo": a >= b, "LessThan": a < b, "LessThanOrEqualTo": a <= b}[
            kind
        ]


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not isinstance(left, bool):
        return float(left) == float(right)
    return left == right


def _comparable(left: Any, right: Any, kind: str) -> tuple[Any, Any]:
    def number(value: Any) -> Any:
        if isinstance(value, bool):
            raise StepFailed(f"condition {kind}: cannot compare a boolean ({value})")
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            return value

    a, b = number(left), number(right)
    if isinstance(a, (int, float)) != isinstance(b, (int, float)):
        raise StepFailed(f"condition {kind}: cannot compare {left!r} with {right!r}")
    return a, b


def condition_problems(conditions: Any, where: str) -> list[str]:
    out = []
    for node in walk(conditions):
        if (
            isinstance(node, dict)
            and "Type" in node
            and node["Type"] not in CONDITIONS
            and any(k in node for k in ("LeftValue", "Expression", "Conditions", "QueryValue"))
        ):
            out.append(
                f"{where}: condition type {node['Type']!r} is not supported (supported: {', '.join(CONDITIONS)})"
            )
    return out
