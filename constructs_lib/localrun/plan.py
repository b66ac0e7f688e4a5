"""Read a compiled definition: its steps (those of Condition branches included), what each one needs, and
every construct the local runner cannot execute, all reported before anything runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from constructs_lib.config.kinds import DEFINITION_TYPES
from constructs_lib.localrun.expr import (
    LocalRunError,
    condition_problems,
    references,
    unsupported,
    walk,
)
from constructs_lib.runtime.model import DeployedParameter

SUPPORTED_TYPES = ("Processing", "Training", "Tuning", "Model", "Transform", "RegisterModel", "Condition", "Fail")
#: Step types whose containers run: cacheable and timed like jobs (from the step-kind declarations).
JOB_TYPES = tuple(d.name for d in DEFINITION_TYPES.values() if d.runs_containers)


def training_request(tuning_args: dict, hyperparameters: dict | None = None) -> dict:
    """The CreateTrainingJob request one training job of a tuning job (CreateHyperParameterTuningJob) gets:
    its ``TrainingJobDefinition`` with the static hyperparameters plus ``hyperparameters`` (the trial's)."""
    definition = tuning_args.get("TrainingJobDefinition", {})
    spec = definition.get("AlgorithmSpecification", {})
    request = {
        key: definition[key]
        for key in (
            "RoleArn",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
            "Environment",
            "VpcConfig",
        )
        if key in definition
    }
    request["AlgorithmSpecification"] = {k: v for k, v in spec.items() if k in ("TrainingImage", "TrainingInputMode")}
    request["HyperParameters"] = {**definition.get("StaticHyperParameters", {}), **(hyperparameters or {})}
    return request


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass
class Step:
    name: str
    type: str
    body: dict
    depends_on: set[str] = field(default_factory=set)
    branch: tuple[str, bool] | None = None
    """(condition step, True for IfSteps / False for ElseSteps) for a step inside a Condition's branch."""

    @property
    def arguments(self) -> dict:
        return self.body.get("Arguments", {})

    @property
    def cache_for(self) -> timedelta | None:
        """How long a result of this step may be reused (its CacheConfig), None when caching is off."""
        config = self.body.get("CacheConfig") or {}
        if not config.get("Enabled"):
            return None
        return parse_duration(config.get("ExpireAfter") or "P30D")


@dataclass
class Plan:
    name: str
    definition: dict
    parameters: tuple[DeployedParameter, ...]
    steps: dict[str, Step]
    manifest: Mapping[str, Any]

    def order(self) -> list[str]:
        """Step names, dependencies first (definition order among independent steps)."""
        done: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for dep in sorted(self.steps[name].depends_on, key=list(self.steps).index):
                visit(dep)
            done.append(name)

        for name in self.steps:
            visit(name)
        return done

    def downstream(self, roots: set[str]) -> set[str]:
        out = set(roots)
        changed = True
        while changed:
            changed = False
            for step in self.steps.values():
                if step.name not in out and step.depends_on & out:
                    out.add(step.name)
                    changed = True
        return out


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise LocalRunError(f"CacheConfig.ExpireAfter {text!r} is not an ISO 8601 duration", "e.g. P30D or PT12H")
    y, mo, w, d, h, mi, s = (int(g or 0) for g in match.groups())
    return timedelta(days=365 * y + 30 * mo + 7 * w + d, hours=h, minutes=mi, seconds=s)


def load_plan(definition: Mapping[str, Any], manifest: Mapping[str, Any], name: str = "") -> Plan:
    """The plan of a definition; :class:`LocalRunError` listing every unsupported or broken construct."""
    problems: list[str] = []
    steps: dict[str, Step] = {}

    def add(body: Mapping[str, Any], branch: tuple[str, bool] | None) -> None:
        step_name, kind = body.get("Name"), body.get("Type")
        if not isinstance(step_name, str) or not step_name:
            problems.append(f"a step without a Name: {str(body)[:80]}")
            return
        if step_name in steps:
            problems.append(f"step '{step_name}' is defined twice")
            return
        step = Step(step_name, str(kind), dict(body), branch=branch)
        steps[step_name] = step
        if kind not in SUPPORTED_TYPES:
            problems.append(
                f"step '{step_name}': type {kind!r} is not supported by the local runner "
                f"(supported: {', '.join(SUPPORTED_TYPES)})"
            )
            return
        if kind == "Condition":
            for item in body.get("Arguments", {}).get("IfSteps", []):
                add(item, (step_name, True))
            for item in body.get("Arguments", {}).get("ElseSteps", []):
                add(item, (step_name, False))

    for body in definition.get("Steps", []):
        add(body, None)
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    for step in steps.values():
        where = f"step '{step.name}'"
        arguments = step.arguments
        if step.type == "Condition":
            arguments = {k: v for k, v in arguments.items() if k not in ("IfSteps", "ElseSteps")}
            problems += condition_problems(arguments.get("Conditions", []), where)
        problems += unsupported(arguments, where)
        for node in walk(arguments):
            if (
                isinstance(node, dict)
                and isinstance(node.get("Get"), str)
                and node["Get"].startswith("Parameters.")
                and node["Get"][len("Parameters.") :] not in declared
            ):
                problems.append(f"{where} reads {node['Get']}, which the definition does not declare")
        step.depends_on = references(arguments) | set(step.body.get("DependsOn", []))
        if step.branch:
            step.depends_on.add(step.branch[0])
        for dep in sorted(step.depends_on):
            if dep not in steps and dep not in {b.get("Name") for b in definition.get("Steps", [])}:
                problems.append(f"{where} depends on '{dep}', which is not a step of the pipeline")
        problems += _step_problems(step)
        if step.body.get("CacheConfig", {}).get("Enabled"):
            try:
                parse_duration(step.body["CacheConfig"].get("ExpireAfter") or "P30D")
            except LocalRunError as exc:
                problems.append(f"{where}: {exc.message}")
    for step in steps.values():
        step.depends_on &= set(steps)
    if not problems:
        problems += _cycles(steps)
    if problems:
        raise LocalRunError(f"the definition cannot run locally: {'; '.join(problems)}", "nothing was run")
    parameters = tuple(
        DeployedParameter(
            p["Name"], p.get("Type", "String"), p.get("DefaultValue"), tuple(p.get("EnumValues", ()) or ())
        )
        for p in declared.values()
    )
    return Plan(name or manifest.get("pipeline", "pipeline"), dict(definition), parameters, steps, manifest)


def _cycles(steps: Mapping[str, Step]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(steps[name].depends_on):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return None

    for name in steps:
        if name not in state:
            found = visit(name)
            if found:
                return [f"steps depend on each other in a cycle: {' -> '.join(found)}"]
    return []


def _step_problems(step: Step) -> list[str]:
    """Constructs of one step the runner cannot reproduce locally."""
    where = f"step '{step.name}'"
    args = step.arguments
    out = []
    if step.type == "Processing":
        app = args.get("AppSpecification", {})
        if not app.get("ContainerEntrypoint"):
            out.append(
                f"{where}: no AppSpecification.ContainerEntrypoint: the image's own entrypoint cannot "
                "run without its image (not supported locally)"
            )
        for item in args.get("ProcessingInputs", []):
            s3 = item.get("S3Input")
            if s3 is None:
                out.append(
                    f"{where}: input {item.get('InputName')!r}: only S3Input is supported locally "
                    "(not DatasetDefinition)"
                )
                continue
            if s3.get("S3InputMode", "File") != "File":
                out.append(
                    f"{where}: input {item.get('InputName')!r}: S3InputMode {s3.get('S3InputMode')} is not "
                    "supported locally (File only)"
                )
            if s3.get("S3CompressionType", "None") != "None":
                out.append(
                    f"{where}: input {item.get('InputName')!r}: S3CompressionType "
                    f"{s3.get('S3CompressionType')} is not supported locally"
                )
            if s3.get("S3DataType", "S3Prefix") not in ("S3Prefix", "ManifestFile"):
                out.append(
                    f"{where}: input {item.get('InputName')!r}: S3DataType {s3.get('S3DataType')} is not "
                    "supported locally (S3Prefix, ManifestFile)"
                )
        for item in args.get("ProcessingOutputConfig", {}).get("Outputs", []):
            if "S3Output" not in item:
                out.append(f"{where}: output {item.get('OutputName')!r}: only S3Output is supported locally")
    elif step.type in ("Training", "Tuning"):
        if step.type == "Tuning":
            args = training_request(args)
        hps = args.get("HyperParameters", {})
        if "sagemaker_program" not in hps or "sagemaker_submit_directory" not in hps:
            out.append(
                f"{where}: not a script-mode training job (no sagemaker_program/sagemaker_submit_directory "
                "hyperparameters): built-in algorithms need their image (not supported locally)"
            )
        for channel in args.get("InputDataConfig", []):
            source = channel.get("DataSource", {}).get("S3DataSource")
            name = channel.get("ChannelName")
            if source is None:
                out.append(f"{where}: channel {name!r}: only S3DataSource is supported locally")
                continue
            if source.get("S3DataType", "S3Prefix") not in ("S3Prefix", "ManifestFile"):
                out.append(f"{where}: channel {name!r}: S3DataType {source.get('S3DataType')} is not supported locally")
            if (
                channel.get("InputMode", args.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File"))
                == "Pipe"
            ):
                out.append(f"{where}: channel {name!r}: Pipe input mode is not supported locally (File, FastFile)")
            if channel.get("CompressionType", "None") != "None":
                out.append(
                    f"{where}: channel {name!r}: CompressionType {channel['CompressionType']} is not supported locally"
                )
    elif step.type == "Transform":
        source = args.get("TransformInput", {}).get("DataSource", {})
        if "S3DataSource" not in source:
            out.append(f"{where}: only an S3DataSource transform input is supported locally")
        elif source["S3DataSource"].get("S3DataType", "S3Prefix") not in ("S3Prefix", "ManifestFile"):
            out.append(f"{where}: S3DataType {source['S3DataSource'].get('S3DataType')} is not supported locally")
        split = args.get("TransformInput", {}).get("SplitType", "None")
        if split not in ("None", "Line"):
            out.append(f"{where}: SplitType {split} is not supported locally (None, Line)")
        if args.get("TransformInput", {}).get("CompressionType", "None") != "None":
            out.append(
                f"{where}: input CompressionType {args['TransformInput']['CompressionType']} is not supported locally"
            )
        processing = args.get("DataProcessing", {})
        for key in ("InputFilter", "OutputFilter"):
            if processing.get(key, "$") != "$":
                out.append(f"{where}: DataProcessing.{key} {processing[key]!r} is not supported locally (only '$')")
        if processing.get("JoinSource", "None") not in ("None", "Input"):
            out.append(f"{where}: DataProcessing.JoinSource {processing['JoinSource']!r} is not supported")
    elif step.type == "Model" and "Containers" in args and len(args["Containers"]) != 1:
        out.append(f"{where}: a multi-container model is not supported locally")
    return out
