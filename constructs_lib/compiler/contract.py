"""Check a pipeline definition against the SageMaker API contract that botocore ships.

Each job-like step's ``Arguments`` is the request of one SageMaker API call (``CreateProcessingJob``,
``CreateTrainingJob``, ``CreateHyperParameterTuningJob``, ``CreateModel``, ``CreateTransformJob``,
``CreateModelPackage``: ``DefinitionType.operation`` in :mod:`constructs_lib.config.kinds`). botocore carries
the request shape of each call, and its ``ParamValidator`` checks a request against it: unknown and missing
parameters, wrong types, too-short strings and lists, numbers below their minimum. The service checks the
rest (maximum lengths, sizes and values, patterns, enum values) only when the pipeline runs: :func:`limit_problems`
checks them here, from the same shapes.

A definition is not quite a request: values may be pipeline expressions (``{"Get": ...}``,
``{"Std:Join": ...}``, ``{"Std:JsonGet": ...}``) that are only resolved at execution time, and the SDK leaves
out the job/model names that SageMaker Pipelines generates. :func:`check_definition` stands in a value of
the type the API expects for each expression, fills in the generated names, and validates. On the way it
checks what the expressions and ``DependsOn`` lists refer to: declared parameters of the right type,
existing steps, declared property files (the SDK checks none of these), known execution variables.

This module needs botocore and the step-kind declarations only (not the SageMaker SDK), so it is cheap to import in tests and tools.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.loaders
import botocore.model
import botocore.validate

from constructs_lib.config.kinds import DEFINITION_TYPES

#: The SageMaker API operation whose request each step type's ``Arguments`` is (from the step-kind declarations).
STEP_OPERATIONS: Mapping[str, str] = {d.name: d.operation for d in DEFINITION_TYPES.values() if d.operation}

# Names that SageMaker Pipelines generates at execution time, so the SDK leaves them out of the definition.
_GENERATED_NAMES: Mapping[str, str] = {
    d.operation: d.generated_name for d in DEFINITION_TYPES.values() if d.generated_name
}

_EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})

# The botocore shape types a pipeline parameter of each type can stand for.
_PARAMETER_SHAPE_TYPES: Mapping[str, frozenset[str]] = {
    "String": frozenset({"string"}),
    "Integer": frozenset({"integer", "long"}),
    "Float": frozenset({"float", "double"}),
    "Boolean": frozenset({"boolean"}),
}

_EXECUTION_VARIABLES = frozenset(
    {
        "PipelineExecutionId",
        "PipelineExecutionArn",
        "PipelineName",
        "PipelineArn",
        "StartDateTime",
        "CurrentDateTime",
    }
)


@dataclass(frozen=True, order=True)
class RequestProblem:
    """One way a step of a definition breaks the SageMaker API contract."""

    step: str
    operation: str  # the API call, or "" for a problem outside any request (e.g. a Condition step)
    message: str

    def __str__(self) -> str:
        where = f"step {self.step!r}" + (f" ({self.operation})" if self.operation else "")
        return f"{where}: {self.message}"


@functools.cache
def _sagemaker_service_model() -> botocore.model.ServiceModel:
    # A bare loader rather than a botocore session: no AWS_PROFILE or ~/.aws file is read.
    data = botocore.loaders.create_loader().load_service_model("sagemaker", "service-2")
    return botocore.model.ServiceModel(data, service_name="sagemaker")


def request_shape(operation: str) -> botocore.model.StructureShape:
    """The botocore input shape of a SageMaker API operation, e.g. ``CreateTransformJob``."""
    return _sagemaker_service_model().operation_model(operation).input_shape


def check_definition(definition: str | Mapping[str, Any]) -> list[RequestProblem]:
    """Every contract problem of a pipeline definition (JSON text or parsed), sorted; empty when it is clean."""
    parsed: Mapping[str, Any] = json.loads(definition) if isinstance(definition, str) else definition
    context = _Context.of(parsed)
    problems: list[RequestProblem] = []
    for step in context.steps:
        name, step_type = step.get("Name", "?"), step.get("Type", "?")
        operation = STEP_OPERATIONS.get(step_type, "")
        arguments = step.get("Arguments", {})
        # References are checked everywhere (Condition and Fail steps too); types only inside requests.
        for path, expression in _expressions(arguments, ""):
            problems += [
                RequestProblem(name, operation, f"{path}: {message}")
                for message in context.reference_problems(expression)
            ]
        for dependency in step.get("DependsOn", []):
            target = dependency.get("Step") if isinstance(dependency, dict) else dependency  # or a run condition
            if target not in context.step_names:
                problems.append(RequestProblem(name, operation, f"DependsOn: unknown step {target!r}"))
        if operation:
            problems += [
                RequestProblem(name, operation, message) for message in _request_problems(operation, arguments, context)
            ]
    return sorted(set(problems))


def check_request(operation: str, request: Mapping[str, Any]) -> list[str]:
    """Contract problems of one request (expressions allowed, with no parameter or step to refer to)."""
    return _request_problems(operation, request, _Context.of({}))


def _request_problems(operation: str, arguments: Mapping[str, Any], context: _Context) -> list[str]:
    shape = request_shape(operation)
    problems: list[str] = []
    request = _stand_in_expressions(arguments, shape, "", context, problems)
    generated = _GENERATED_NAMES.get(operation)
    if generated and generated not in request:
        request[generated] = f"pipelines-generated-{generated}"
    errors = botocore.validate.ParamValidator().validate(request, shape)
    if errors.has_errors():
        problems += errors.generate_report().splitlines()
    problems += limit_problems(arguments, shape)
    if operation == "CreateModelPackage" and not (
        request.get("ModelPackageGroupName") or request.get("ModelPackageName")
    ):
        problems.append("one of ModelPackageGroupName (versioned) or ModelPackageName is required")
    return problems


@dataclass(frozen=True)
class _Context:
    """What expressions in a definition may refer to."""

    steps: tuple[Mapping[str, Any], ...]  # every step, including those nested in Condition steps
    parameter_types: Mapping[str, str]
    property_files: Mapping[str, frozenset[str]]  # step name -> names of its property files

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> _Context:
        steps = tuple(_all_steps(definition.get("Steps", [])))
        return cls(
            steps=steps,
            parameter_types={p.get("Name"): p.get("Type") for p in definition.get("Parameters", [])},
            # A step without a name can't be referred to (references name steps by their string names).
            property_files={
                name: frozenset(f.get("PropertyFileName") for f in s.get("PropertyFiles", []))
                for s in steps
                if (name := s.get("Name")) is not None
            },
        )

    @property
    def step_names(self) -> Collection[str]:
        return self.property_files.keys()

    def reference_problems(self, expression: Mapping[str, Any]) -> Iterator[str]:
        ((function, value),) = expression.items()
        if function == "Get" and isinstance(value, str):
            kind, _, rest = value.partition(".")
            name = rest.partition(".")[0]
            if kind == "Parameters" and name not in self.parameter_types:
                yield f"refers to undeclared pipeline parameter {name!r}"
            elif kind == "Steps" and name not in self.step_names:
                yield f"refers to unknown step {name!r}"
            elif kind == "Steps" and rest.split(".")[1:2] == ["PropertyFiles"]:
                file_name = rest.split(".", 2)[2] if rest.count(".") >= 2 else ""
                if file_name not in self.property_files[name]:
                    yield f"refers to property file {file_name!r}, which step {name!r} does not declare"
            elif kind == "Execution" and rest not in _EXECUTION_VARIABLES:
                yield f"refers to unknown execution variable {rest!r}"
            elif kind not in ("Parameters", "Steps", "Execution"):
                yield f"cannot resolve {value!r}"

    def expression_type_problem(self, expression: Mapping[str, Any], shape_type: str) -> str | None:
        """Why ``expression`` cannot produce a value of botocore type ``shape_type`` (None: it can)."""
        ((function, value),) = expression.items()
        if function == "Std:Join" and shape_type != "string":
            return f"Std:Join produces a string, the API expects {shape_type}"
        if function == "Get" and isinstance(value, str) and value.startswith("Parameters."):
            declared = self.parameter_types.get(value.partition(".")[2])
            allowed = _PARAMETER_SHAPE_TYPES.get(declared or "")
            if allowed is not None and shape_type not in allowed:
                return f"parameter of type {declared} used where the API expects {shape_type}"
        if function == "Get" and isinstance(value, str) and value.startswith("Execution.") and shape_type != "string":
            return f"execution variables are strings, the API expects {shape_type}"
        return None


def _all_steps(steps: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for step in steps:
        yield step
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            yield from _all_steps(arguments.get("IfSteps", []))
            yield from _all_steps(arguments.get("ElseSteps", []))


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _EXPRESSION_KEYS


def _expressions(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every pipeline expression in ``value`` (nested ones too, e.g. inside Std:Join), with its path.

    Steps nested in a Condition step are skipped: they are visited as steps of their own.
    """
    if _is_expression(value):
        yield path, value
        ((function, inner),) = value.items()
        if function != "Get":
            yield from _expressions(inner, _join(path, function))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("IfSteps", "ElseSteps"):
                yield from _expressions(item, _join(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _expressions(item, f"{path}[{index}]")


def _stand_in_expressions(
    value: Any, shape: botocore.model.Shape, path: str, context: _Context, problems: list[str]
) -> Any:
    """``value`` with each expression replaced by a valid value of the type the API expects there."""
    if _is_expression(value):
        problem = context.expression_type_problem(value, shape.type_name)
        if problem:
            problems.append(f"{path}: {problem}")
        return _stand_in(shape)
    if isinstance(value, dict) and shape.type_name == "structure":
        return {
            key: (
                _stand_in_expressions(item, shape.members[key], _join(path, key), context, problems)
                if key in shape.members
                else item
            )  # unknown keys: left for ParamValidator to report
            for key, item in value.items()
        }
    if isinstance(value, dict) and shape.type_name == "map":
        return {
            key: _stand_in_expressions(item, shape.value, _join(path, key), context, problems)
            for key, item in value.items()
        }
    if isinstance(value, list) and shape.type_name == "list":
        return [
            _stand_in_expressions(item, shape.member, f"{path}[{index}]", context, problems)
            for index, item in enumerate(value)
        ]
    return value


def limit_problems(value: Any, shape: botocore.model.Shape, path: str = "") -> list[str]:
    """Maximums, patterns and enum values of ``shape`` that ``value`` breaks (expressions are skipped: their
    value is only known at execution time)."""
    out: list[str] = []
    if _is_expression(value):
        return out
    meta, where = shape.metadata, path or "request"
    match shape.type_name:
        case "structure" if isinstance(value, dict):
            for key, item in value.items():
                if key in shape.members:
                    out += limit_problems(item, shape.members[key], _join(path, key))
        case "map" if isinstance(value, dict):
            if len(value) > meta.get("max", len(value)):
                out.append(f"{where}: at most {meta['max']} entries, got {len(value)}")
            for key, item in value.items():
                out += [
                    f"{_join(path, key)} (the name): {m.partition(': ')[2]}"
                    for m in limit_problems(key, shape.key, _join(path, key))
                ]
                out += limit_problems(item, shape.value, _join(path, key))
        case "list" if isinstance(value, list):
            if len(value) > meta.get("max", len(value)):
                out.append(f"{where}: at most {meta['max']} items, got {len(value)}")
            for index, item in enumerate(value):
                out += limit_problems(item, shape.member, f"{path}[{index}]")
        case "string" if isinstance(value, str):
            if len(value) > meta.get("max", len(value)):
                out.append(f"{where}: at most {meta['max']:,} characters, got {len(value):,}")
            elif shape.enum and value not in shape.enum:
                out.append(f"{where}: must be one of {', '.join(shape.enum)} (got {value!r})")
            elif meta.get("pattern") and not _pattern_matches(meta["pattern"], value):
                out.append(f"{where}: {value[:60]!r} does not match SageMaker's pattern {meta['pattern']}")
        case "integer" | "long" | "float" | "double" if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value > meta.get("max", value):
                out.append(f"{where}: at most {meta['max']:,}, got {value:,}")
    return out


@functools.cache
def _compiled(pattern: str) -> Any:
    try:
        return re.compile(pattern, re.S)
    except re.error:  # \p{L}-style classes: Python's re cannot read them, so they are not checked here
        return None


def _pattern_matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is None or compiled.fullmatch(value) is not None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _stand_in(shape: botocore.model.Shape) -> Any:
    """A value of ``shape`` that ParamValidator accepts (it checks type and minimums only)."""
    minimum = shape.metadata.get("min")
    match shape.type_name:
        case "string":
            return "x" * max(int(minimum or 1), 1)
        case "integer" | "long":
            return max(int(minimum or 1), 1)
        case "float" | "double":
            return max(float(minimum or 1.0), 1.0)
        case "boolean":
            return True
        case "timestamp":
            return datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        case "blob":
            return b"x"
        case "list":
            return [_stand_in(shape.member)] * max(int(minimum or 1), 1)
        case "map":
            return {}
        case "structure":
            return {name: _stand_in(shape.members[name]) for name in shape.required_members}
    return "x"
