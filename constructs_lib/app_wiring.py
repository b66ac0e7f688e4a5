"""What ``app.py`` does, importable so tests synthesize exactly the app users get."""

from __future__ import annotations

import sys
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from constructs_lib.config.loader import load_project
from constructs_lib.constructs.pipeline_network import optional_interface_endpoints
from constructs_lib.errors import ConfigError, Problem
from constructs_lib.graph.builder import build_graph
from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack


def _context(app: cdk.App, key: str) -> Any:
    return app.node.try_get_context(key)


def build_app(app: cdk.App) -> MlPipelineStack:
    """Load the configs (``ConfigError`` on bad input), add the stack(s) and the cdk-nag gate."""
    config_path = _context(app, "modelConfigPath")
    project = load_project([config_path] if isinstance(config_path, str) and not _env_config() else None)
    for warning in project.warnings:  # the CDK CLI shows the app's stderr: warnings are not silent at synth
        print(warning.format(), file=sys.stderr)
    graph = build_graph(project)
    account, region = _context(app, "account"), _context(app, "region")
    env = cdk.Environment(account=str(account), region=str(region)) if account and region else None
    options = _security_options(app)
    stack = MlPipelineStack(
        app,
        _context(app, "stackName") or f"{project.pipeline.pipelineName}-stack",
        project=project,
        graph=graph,
        env=env,
        description=f"SageMaker pipeline {project.pipeline.pipelineName} (constructs_lib)",
        **options,
    )
    if _context(app, "environments") and _context(app, "delivery"):
        from constructs_lib.stacks.delivery_stack import DeliveryStack

        DeliveryStack.from_context(app, project=project, graph=graph, extra_endpoints=options["extra_endpoints"])
    # Security gate: any unacknowledged AwsSolutions finding fails synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


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
