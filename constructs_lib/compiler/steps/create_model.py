"""CreateModel -> CreateModel: the unit's trained model (or ``train.model_data_uri``) in its serving image."""

from __future__ import annotations

from typing import Any

from constructs_lib.compiler.context import CompileContext
from constructs_lib.config.schema import StepClass
from constructs_lib.graph.model import StepNode
from sagemaker.core.training.configs import Networking
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.serve.model_builder import ModelBuilder


def model_data(ctx: CompileContext, node: StepNode) -> Any:
    """The unit's Training artifacts, else ``train.model_data_uri`` (the graph checked one exists)."""
    training = ctx.graph.unit(node.model).get(StepClass.TRAINING)
    if training is not None:
        return ctx.built[training.name].properties.ModelArtifacts.S3ModelArtifacts
    return ctx.value(ctx.model(node).train.model_data_uri)


def serving_environment(ctx: CompileContext, node: StepNode, entry_point: str | None,
                        env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: ctx.bindings.resolve(v) for k, v in env.items()}
    if entry_point and ctx.script_exists(node, entry_point, ("transform", "entry_point")):
        out["SAGEMAKER_PROGRAM"] = entry_point
        out["SAGEMAKER_SUBMIT_DIRECTORY"] = ctx.sourcedir_uri(node, ("source_directory",))
    return out


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    model = ctx.model(node)
    if model.transform is not None:
        image, entry_point, env = model.transform.image_uri, model.transform.entry_point, model.transform.env
    else:
        image, entry_point, env = model.registry.InferenceSpecification.image_uri, None, {}
    b = ctx.bindings
    builder = ModelBuilder(
        image_uri=ctx.value(image),
        s3_model_data_url=model_data(ctx, node),
        role_arn=b.role_arn,
        sagemaker_session=ctx.session,
        network=Networking(subnets=list(b.subnets), security_group_ids=list(b.security_groups)),
        env_vars=serving_environment(ctx, node, entry_point, env),
        dependencies={},
        log_level=None,
    )
    step = ModelStep(step_args=builder.build(), **ctx.step_options(node, job=False))
    ctx.built[node.name] = step
    return [step]
