"""YAML model configurations to SageMaker Pipelines, deployed with the AWS CDK.

The public API, importable from the package itself::

    from constructs_lib import load_project, build_graph, MlPipelineStack

    project = load_project(["models/*/conf/conf.yaml"])      # ConfigError on bad input
    MlPipelineStack(app, "Forecasting", project=project, graph=build_graph(project))

Names are imported on first use (module ``__getattr__``): ``import constructs_lib`` stays cheap, and the config
layer (``load_project``, ``build_graph``) never imports the SageMaker SDK or the CDK, so the base install
(``pip install constructs_lib``: PyYAML and pydantic) can validate configs. The compiler needs the ``compile``
extra, the constructs and stacks the ``cdk`` extra, ``start``/``status`` the ``runtime`` extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_EXPORTS: dict[str, str] = {
    # config and graph (base install)
    "ConfigError": "constructs_lib.errors",
    "Problem": "constructs_lib.errors",
    "ProjectConfig": "constructs_lib.config.loader",
    "load_project": "constructs_lib.config.loader",
    "load_projects": "constructs_lib.config.loader",
    "PipelineGraph": "constructs_lib.graph.model",
    "build_graph": "constructs_lib.graph.builder",
    # compiler (extra: compile)
    "CompiledPipeline": "constructs_lib.compiler.result",
    "InfraBindings": "constructs_lib.compiler.bindings",
    "compile_pipeline": "constructs_lib.compiler.facade",
    "render": "constructs_lib.compiler.facade",
    # constructs and stacks (extra: cdk)
    "ArtifactStore": "constructs_lib.constructs.artifact_store",
    "DynamicPipelineConstruct": "constructs_lib.constructs.dynamic_pipeline",
    "ExecutionRole": "constructs_lib.constructs.execution_role",
    "PipelineNetwork": "constructs_lib.constructs.pipeline_network",
    "PipelineSchedule": "constructs_lib.constructs.pipeline_schedule",
    "MlPipelineStack": "constructs_lib.stacks.ml_pipeline_stack",
    "DeliveryStack": "constructs_lib.stacks.delivery_stack",
    "build_app": "constructs_lib.app_wiring",
}

__all__ = [
    "__version__",
    "ArtifactStore",
    "CompiledPipeline",
    "ConfigError",
    "DeliveryStack",
    "DynamicPipelineConstruct",
    "ExecutionRole",
    "InfraBindings",
    "MlPipelineStack",
    "PipelineGraph",
    "PipelineNetwork",
    "PipelineSchedule",
    "Problem",
    "ProjectConfig",
    "build_app",
    "build_graph",
    "compile_pipeline",
    "load_project",
    "load_projects",
    "render",
]

if TYPE_CHECKING:  # for type checkers and editors; at run time the names are resolved lazily
    from constructs_lib.app_wiring import build_app
    from constructs_lib.compiler.bindings import InfraBindings
    from constructs_lib.compiler.facade import compile_pipeline, render
    from constructs_lib.compiler.result import CompiledPipeline
    from constructs_lib.config.loader import ProjectConfig, load_project, load_projects
    from constructs_lib.constructs.artifact_store import ArtifactStore
    from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
    from constructs_lib.constructs.execution_role import ExecutionRole
    from constructs_lib.constructs.pipeline_network import PipelineNetwork
    from constructs_lib.constructs.pipeline_schedule import PipelineSchedule
    from constructs_lib.errors import ConfigError, Problem
    from constructs_lib.graph.builder import build_graph
    from constructs_lib.graph.model import PipelineGraph
    from constructs_lib.stacks.delivery_stack import DeliveryStack
    from constructs_lib.stacks.ml_pipeline_stack import MlPipelineStack


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'constructs_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
