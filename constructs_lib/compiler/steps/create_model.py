"""CreateModel -> CreateModel: the unit's trained model (or ``train.model_data_uri``) in its serving image."""

from __future__ import annotations

from typing import Any

from sagemaker.core.training.configs import Networking
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.serve.model_builder import ModelBuilder

from constructs_lib.compiler.assets import archive_members
from constructs_lib.compiler.context import CompileContext
from constructs_lib.config.kinds import Output
from constructs_lib.graph.model import StepNode


def model_data(ctx: CompileContext, node: StepNode) -> Any:
    """The model of the unit's model source (Training, Tuning), else ``train.model_data_uri`` (the graph
    checked one exists)."""
    for source in ctx.graph.unit(node.model).values():
        if source.kind.output is Output.MODEL:
            return ctx.model_artifacts[source.name]
    train = ctx.model(node).train
    # Without a model source in the unit, the graph checked that train.model_data_uri is set (SMP-G6).
    assert train is not None
    return ctx.value(train.model_data_uri)


def serving_environment(ctx: CompileContext, node: StepNode, env: dict[str, str]) -> dict[str, Any]:
    """The serving container's environment: ``env``, then the serving code of ``transform.entry_point``.

    The inference toolkit (sklearn, pytorch, xgboost, huggingface containers) downloads
    ``SAGEMAKER_SUBMIT_DIRECTORY``, installs its ``SAGEMAKER_REQUIREMENTS`` and imports ``SAGEMAKER_PROGRAM``
    from it; the archive follows the training rule for an entry point in a subfolder (the subfolder at the
    archive root), so the program is a top-level module. Set whether or not ``ModelRepack`` is, so that a
    registered model package deploys to an endpoint as it is."""
    out: dict[str, Any] = {k: ctx.bindings.resolve(v) for k, v in env.items()}
    model = ctx.model(node)
    entry_point = model.transform.entry_point if model.transform is not None else None
    if entry_point and ctx.script_exists(node, entry_point, ("transform", "entry_point")):
        entry_dir, _, program = entry_point.rpartition("/")
        out["SAGEMAKER_PROGRAM"] = program
        out["SAGEMAKER_SUBMIT_DIRECTORY"] = ctx.sourcedir_uri(node, ("source_directory",), entry_dir)
        directory = ctx.project.root / model.source_directory
        if "requirements.txt" in archive_members(directory, entry_dir) if directory.is_dir() else False:
            out["SAGEMAKER_REQUIREMENTS"] = "requirements.txt"
    return out


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    model = ctx.model(node)
    env = {
        **(model.registry.env if model.registry is not None else {}),
        **(model.transform.env if model.transform is not None else {}),
    }
    if model.transform is not None:
        image = ctx.image(node, ("transform", "image_uri"), model.transform.image_uri, model.transform.instance_type)
    else:
        assert model.registry is not None  # without transform, the graph checked registry is there (SMP-G7)
        image = ctx.image(
            node, ("registry", "InferenceSpecification", "image_uri"), model.registry.InferenceSpecification.image_uri
        )
    b = ctx.bindings
    isolated = model.transform is not None and model.transform.network_isolation
    if isolated and model.transform is not None and model.transform.entry_point:
        ctx.problem(
            node,
            ("transform", "network_isolation"),
            "a model with network isolation cannot download its serving code (transform.entry_point) from S3",
            "drop transform.entry_point (serve with the container's own handler) or network_isolation",
        )
    builder = ModelBuilder(
        image_uri=image,
        s3_model_data_url=model_data(ctx, node),
        role_arn=b.role_arn,
        sagemaker_session=ctx.session,
        network=Networking(
            subnets=list(b.subnets),
            security_group_ids=list(b.security_groups),
            enable_network_isolation=True if isolated else None,
        ),
        env_vars=serving_environment(ctx, node, env),
        dependencies={},
        log_level=None,
    )
    args = builder.build()
    # The pipeline's tag (and its tags): the execution role creates, describes and tags only models that carry
    # smp:pipeline=<pipeline> (aws:RequestTag / aws:ResourceTag), as it does jobs. build() takes no tags.
    args.create_model_request["Tags"] = ctx.tags({})
    step = ModelStep(step_args=args, **ctx.step_options(node))
    ctx.built[node.name] = step
    return [step]
