"""Names and resources a compiled pipeline uses, derived from the config alone (no SageMaker SDK import).

The CDK layer needs them before it compiles: the execution role is scoped to the model package groups and
ECR repositories the pipeline will use.
"""

from __future__ import annotations

import re

from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import StepClass
from constructs_lib.graph.model import PipelineGraph, StepNode

#: The step ``Type`` values of a definition each step class produces (a gated RegisterModel adds Condition/Fail).
STEP_KINDS = {
    StepClass.PROCESSING: ("Processing",),
    StepClass.TRAINING: ("Training",),
    StepClass.CREATE_MODEL: ("Model",),
    StepClass.TRANSFORM: ("Transform",),
    StepClass.METRICS: ("Processing",),
    StepClass.REGISTER_MODEL: ("RegisterModel",),
}

#: Every job carries this tag with the pipeline's name (``CompileContext.tags``); the execution role lets a job create,
#: describe, stop and tag only jobs with its own pipeline's value (``pipelines-*`` is every pipeline's name prefix).
PIPELINE_TAG_KEY = "smp:pipeline"

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12}|\$\{SMP_ACCOUNTID\})\.dkr\.ecr\.(?P<region>[a-z0-9-]+|\$\{SMP_REGION\})"
    r"\.amazonaws\.com(\.cn)?/(?P<repository>[a-z0-9][a-z0-9._/-]*)(:[\w.-]+|@sha256:[0-9a-f]+)?$")


def package_group_name(project: ProjectConfig, node: StepNode) -> str:
    """``registry.ModelPackageGroupName``, else ``<pipelineName>-<model>`` (at most 63 characters)."""
    configured = project.models[node.model].registry.ModelPackageGroupName
    return configured or f"{project.pipeline.pipelineName}-{node.model}"[:63].rstrip("-")


def model_package_groups(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    return tuple(sorted({package_group_name(project, n) for n in graph.nodes
                         if n.step_class is StepClass.REGISTER_MODEL}))


def step_kinds(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    kinds = {kind for n in graph.nodes for kind in STEP_KINDS[n.step_class]}
    for n in graph.nodes:
        registry = project.models[n.model].registry
        if n.step_class is StepClass.REGISTER_MODEL and registry is not None and registry.quality_gate is not None:
            kinds |= {"Condition", "Fail"}
    return tuple(sorted(kinds))


def image_uris(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    """Every container image the pipeline's jobs and models use (framework variables not yet bound)."""
    images = set()
    for n in graph.nodes:
        model = project.models[n.model]
        for section in (model.preprocess if n.step_class is StepClass.PROCESSING else None,
                        model.train if n.step_class is StepClass.TRAINING else None,
                        model.evaluate if n.step_class is StepClass.METRICS else None,
                        model.transform if n.step_class in (StepClass.TRANSFORM, StepClass.CREATE_MODEL) else None):
            if section is not None:
                images.add(section.image_uri)
        if n.step_class is StepClass.CREATE_MODEL and model.transform is None:
            images.add(model.registry.InferenceSpecification.image_uri)
        if n.step_class is StepClass.REGISTER_MODEL:
            images.add(model.registry.InferenceSpecification.image_uri)
    return tuple(sorted(images))


def ecr_repositories(images: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(account, region, repository) of each ECR image; other images (not pullable by SageMaker) are skipped."""
    out = set()
    for image in images:
        match = ECR_IMAGE.match(image)
        if match:
            out.add((match["account"], match["region"], match["repository"]))
    return tuple(sorted(out))
