"""Names and resources a compiled pipeline uses, derived from the config alone (no SageMaker SDK import).

The CDK layer needs them before it compiles: the execution role is scoped to the model package groups and
ECR repositories the pipeline will use.
"""

from __future__ import annotations

from constructs_lib.compiler.images import ECR_IMAGE, ecr_repository
from constructs_lib.config.kinds import KINDS, image_scope
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import ImageRef, StepClass
from constructs_lib.graph.model import PipelineGraph, StepNode

#: Every job carries this tag with the pipeline's name (``CompileContext.tags``); the execution role lets a job create,
#: describe, stop and tag only jobs with its own pipeline's value (``pipelines-*`` is every pipeline's name prefix).
PIPELINE_TAG_KEY = "smp:pipeline"


def package_group_name(project: ProjectConfig, node: StepNode) -> str:
    """``registry.ModelPackageGroupName``, else ``<pipelineName>-<model>`` (at most 63 characters)."""
    registry = project.models[node.model].registry
    assert registry is not None  # a RegisterModel step's unit has a registry section (the graph checked it, SMP-G5)
    configured = registry.ModelPackageGroupName
    return configured or f"{project.pipeline.pipelineName}-{node.model}"[:63].rstrip("-")


def model_package_groups(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    return tuple(
        sorted({package_group_name(project, n) for n in graph.nodes if n.step_class is StepClass.REGISTER_MODEL})
    )


def step_kinds(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    kinds = {kind for n in graph.nodes for kind in KINDS[n.step_class].definition_types}
    for n in graph.nodes:
        registry = project.models[n.model].registry
        if n.step_class is StepClass.REGISTER_MODEL and registry is not None and registry.quality_gate is not None:
            kinds |= {"Condition", "Fail"}
    return tuple(sorted(kinds))


def _images(project: ProjectConfig, graph: PipelineGraph) -> list[tuple[str, str | ImageRef]]:
    """(section key, image) of every container the pipeline's jobs and models use."""
    images = []
    for n in graph.nodes:
        model = project.models[n.model]
        kind = KINDS[n.step_class]
        key = kind.image_from
        section = getattr(model, key) if key else None
        if key and section is not None and hasattr(section, "image_uri"):
            images.append((key, section.image_uri))
        if (
            n.step_class is StepClass.CREATE_MODEL and model.transform is None
        ) or n.step_class is StepClass.REGISTER_MODEL:
            assert model.registry is not None  # the graph checked it (SMP-G5, and SMP-G7 without transform)
            images.append(("registry", model.registry.InferenceSpecification.image_uri))
    return images


def image_uris(project: ProjectConfig, graph: PipelineGraph) -> tuple[str, ...]:
    """Every container image URI the pipeline's jobs and models use (framework variables not yet bound; short
    forms are in :func:`image_refs`)."""
    return tuple(sorted({image for _, image in _images(project, graph) if isinstance(image, str)}))


def image_refs(project: ProjectConfig, graph: PipelineGraph) -> tuple[tuple[ImageRef, str], ...]:
    """Every short-form image (``{framework, version}``) with its scope (training/inference)."""
    refs = {
        (image, image.image_scope or image_scope(key))
        for key, image in _images(project, graph)
        if isinstance(image, ImageRef)
    }
    return tuple(sorted(refs, key=lambda r: (r[0].model_dump_json(), r[1])))


def ecr_repositories(
    images: tuple[str, ...], refs: tuple[tuple[ImageRef, str], ...] = (), region: str | None = None
) -> tuple[tuple[str, str, str], ...]:
    """(account, region, repository) of each ECR image; other images (not pullable by SageMaker) are skipped, and
    short forms when ``region`` is unknown (compiling refuses them there)."""
    out = set()
    for image in images:
        match = ECR_IMAGE.match(image)
        if match:
            out.add((match["account"], match["region"], match["repository"]))
    for ref, scope in refs:
        if region is not None:
            try:
                out.add(ecr_repository(ref, region, scope))
            except ValueError:
                continue  # compiling reports it
    return tuple(sorted(out))
