"""What ``app.py`` does, importable so tests synthesize exactly the app users get."""

from __future__ import annotations

import json
import sys
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from constructs_lib.config.loader import load_projects, name_pipeline
from constructs_lib.constructs.pipeline_network import optional_interface_endpoints
from constructs_lib.errors import ConfigError, Problem, did_you_mean
from constructs_lib.graph.builder import build_graph
from constructs_lib.graph.model import PipelineGraph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack


def _context(app: cdk.App, key: str) -> Any:
    return app.node.try_get_context(key)


def build_app(app: cdk.App) -> MlPipelineStack:
    """Load the configs (``ConfigError`` on bad input), add the stack(s) and the cdk-nag gate. Returns the
    stack of the first pipeline by name (the only one, unless the config files define several: see
    :func:`build_pipeline_stacks`)."""
    return next(iter(build_pipeline_stacks(app).values()))


def build_pipeline_stacks(app: cdk.App) -> dict[str, MlPipelineStack]:
    """One :class:`MlPipelineStack` per pipeline (by pipeline name), the delivery stack when the context
    describes one, and the cdk-nag gate. A stack per pipeline, not one stack for all: each deploys, rolls
    back and is destroyed on its own, and CloudFormation's resource limit applies per pipeline."""
    config_path = _context(app, "modelConfigPath")
    projects = load_projects([config_path] if isinstance(config_path, str) and not _env_config() else None)
    first = next(iter(projects.values()))
    for warning in first.warnings:  # the CDK CLI shows the app's stderr: warnings are not silent at synth
        print(warning.format(), file=sys.stderr)
    several = len(projects) > 1
    graphs: dict[str, PipelineGraph] = {}
    problems: list[Problem] = []
    for name, project in projects.items():
        try:
            graphs[name] = build_graph(project, name_pipeline=several)
        except ConfigError as exc:
            problems += exc.problems
    names = _stack_names(app, list(projects))
    if problems:
        raise ConfigError(problems)
    account, region = _context(app, "account"), _context(app, "region")
    env = cdk.Environment(account=str(account), region=str(region)) if account and region else None
    options = _security_options(app)
    stacks: dict[str, MlPipelineStack] = {}
    for name, project in projects.items():
        try:  # the stack compiles its pipeline: compile-time problems surface here
            stacks[name] = MlPipelineStack(
                app,
                names[name],
                project=project,
                graph=graphs[name],
                env=env,
                description=f"SageMaker pipeline {name} (constructs_lib)",
                **options,
            )
        except ConfigError as exc:
            if not several:
                raise
            problems += [name_pipeline(p, name) for p in exc.problems]
    if problems:
        raise ConfigError(problems)
    if _context(app, "environments") and _context(app, "delivery"):
        if several:
            raise ConfigError(
                [
                    Problem(
                        file="cdk.json",
                        key_path="context.delivery",
                        message=f"the delivery pipeline deploys one SageMaker pipeline; the config files define "
                        f"{len(projects)}: {', '.join(projects)}",
                        hint="point modelConfigPath at one pipeline's files for the delivery app",
                    )
                ]
            )
        from constructs_lib.stacks.delivery_stack import DeliveryStack

        DeliveryStack.from_context(
            app, project=first, graph=graphs[first.pipeline.pipelineName], extra_endpoints=options["extra_endpoints"]
        )
    # Security gate: any unacknowledged AwsSolutions finding fails synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks


def _stack_names(app: cdk.App, pipelines: list[str]) -> dict[str, str]:
    """Context ``stackName`` (one pipeline) or ``stackNames`` ({pipelineName: stackName}); by default
    ``<pipelineName>-stack``."""
    names = {name: f"{name}-stack" for name in pipelines}
    single, several = _context(app, "stackName"), _context(app, "stackNames")
    problems = []
    if single is not None:
        if len(pipelines) == 1:
            names[pipelines[0]] = str(single)
        else:
            problems.append(
                Problem(
                    file="cdk.json",
                    key_path="context.stackName",
                    message=f"names one stack, but the config files define {len(pipelines)} pipelines: "
                    f"{', '.join(pipelines)}",
                    hint='use context stackNames: {"<pipelineName>": "<stackName>", ...}',
                )
            )
    if isinstance(several, str):  # -c 'stackNames={"a": "b"}'
        try:
            several = json.loads(several)
        except ValueError:
            pass
    if several is not None and not isinstance(several, dict):
        problems.append(
            Problem(
                file="cdk.json",
                key_path="context.stackNames",
                message="must map pipeline names to stack names",
                hint='e.g. {"churn-pipeline": "churn-stack"}',
            )
        )
    for pipeline, stack in several.items() if isinstance(several, dict) else ():
        if pipeline not in names:
            problems.append(
                Problem(
                    file="cdk.json",
                    key_path=f"context.stackNames.{pipeline}",
                    message=f"no pipeline named {pipeline!r}",
                    hint=did_you_mean(pipeline, pipelines, what="pipelines"),
                )
            )
        else:
            names[pipeline] = str(stack)
    if problems:
        raise ConfigError(problems)
    return names


def _security_options(app: cdk.App) -> dict[str, Any]:
    """``jobEndpoints`` (extra interface endpoints for job code) and ``createJobLogGroups`` from the context."""
    endpoints = _context(app, "jobEndpoints") or []
    if isinstance(endpoints, str):  # -c jobEndpoints=SageMakerApi,Sts
        endpoints = [e.strip() for e in endpoints.split(",") if e.strip()]
    create = _context(app, "createJobLogGroups")
    if isinstance(create, str) and create.strip().lower() in ("true", "false"):  # -c createJobLogGroups=true
        create = create.strip().lower() == "true"
    known = list(optional_interface_endpoints())
    problems = [
        Problem(
            file="cdk.json",
            key_path="context.jobEndpoints",
            message=f"unknown endpoint {name!r}",
            hint=f"known: {', '.join(known)}",
        )
        for name in (endpoints if isinstance(endpoints, list) else [endpoints])
        if name not in known
    ]
    if create is not None and not isinstance(create, bool):
        problems.append(
            Problem(
                file="cdk.json", key_path="context.createJobLogGroups", message=f"must be true or false, got {create!r}"
            )
        )
    if problems:
        raise ConfigError(problems)
    return {"extra_endpoints": list(endpoints) or None, "create_job_log_groups": bool(create)}


def _env_config() -> bool:
    import os

    return bool(os.environ.get("SMP_MODEL_CONFIGPATH"))
