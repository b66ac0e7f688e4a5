"""Transform -> CreateTransformJob: scores one input with the unit's model."""

from __future__ import annotations

from typing import Any

from sagemaker.core.transformer import Transformer
from sagemaker.core.workflow.functions import Join
from sagemaker.mlops.workflow.steps import TransformStep

from constructs_lib.compiler.context import CompileContext
from constructs_lib.config.kinds import Output
from constructs_lib.config.schema import StepClass
from constructs_lib.graph.model import StepNode


def _input(ctx: CompileContext, node: StepNode) -> Any:
    section = node.section
    sources = node.config.chain_input_source_step
    if sources:
        selected = [name for name, channel in section.channels.items() if not channel.dataFiles]
        outputs = ctx.outputs_of(sources[0], selected)
        unknown = [name for name in selected if name not in {o.channel for o in outputs}]
        if unknown and len(outputs) == 1 and ctx.graph.node(sources[0]).kind.output is Output.CHANNELS:
            ctx.warn(
                ctx.project.model_problem(
                    node.model,
                    ("transform", "channels", unknown[0]),
                    f"'{sources[0]}' has no output channel '{unknown[0]}'; '{node.name}' scores its only output "
                    f"'{outputs[0].channel}'",
                    f"name the channel '{outputs[0].channel}' here",
                )
            )
        if len(outputs) != 1:
            names = ", ".join(o.channel for o in outputs) or "none"
            ctx.problems.append(
                ctx.project.pipeline_problem(
                    ("models", node.model, "steps", node.index, "chain_input_source_step"),
                    f"'{sources[0]}' has {len(outputs)} output channels ({names}); the Transform step needs one",
                    "name the channel to use in transform.channels (e.g. 'channels: train')",
                )
            )
            return outputs[0].uri if outputs else "s3://invalid"
        prefix = node.config.chain_input_additional_prefix
        return Join(on="/", values=[outputs[0].uri, prefix.strip("/")]) if prefix else outputs[0].uri
    for name, channel in section.channels.items():
        for i, data_file in enumerate(channel.dataFiles or []):
            return ctx.data_uri(node, data_file.fileName, ("transform", "channels", name, "dataFiles", i, "fileName"))
    return "s3://invalid"  # the graph checks already reported a Transform without input


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    section = node.section
    b = ctx.bindings
    if ctx.uses_parameter(section.instance_count):
        ctx.problem(
            node,
            ("transform", "instance_count"),
            "a Transform job's instance_count cannot be a pipeline parameter (SageMaker SDK limit)",
            "use a number",
        )
    bucket = next((c.s3BucketName for c in section.channels.values() if c.s3BucketName), None)
    create_model = ctx.graph.unit(node.model)[StepClass.CREATE_MODEL]
    transformer = Transformer(
        model_name=ctx.built[create_model.name].properties.ModelName,
        instance_type=ctx.value(section.instance_type),
        instance_count=section.instance_count if isinstance(section.instance_count, int) else 1,
        output_path=ctx.output_uri(node.name, bucket=bucket),
        accept=section.content_type,
        assemble_with=section.assemble_with,
        strategy=section.strategy,
        max_payload=section.max_payload,
        env={k: b.resolve(v) for k, v in section.env.items()} or None,
        tags=ctx.tags(section.tags) or None,
        output_kms_key=b.kms_key,
        volume_kms_key=b.kms_key,
        base_transform_job_name=section.base_job_name,
        sagemaker_session=ctx.session,
    )
    step = TransformStep(
        **ctx.step_options(node),
        step_args=transformer.transform(
            data=_input(ctx, node),
            data_type="S3Prefix",
            content_type=section.content_type,
            split_type=section.split_type,
            input_filter=section.input_filter,
            output_filter=section.output_filter,
            join_source=section.join_source,
            model_client_config={"InvocationsTimeoutInSeconds": section.max_runtime_in_seconds},
        ),
    )
    ctx.built[node.name] = step
    return [step]
