"""Processing (step_type preprocess) -> CreateProcessingJob; also the job builder the Metrics step reuses."""

from __future__ import annotations

from typing import Any

from constructs_lib.compiler.context import PROCESSING_INPUT, PROCESSING_OUTPUT, ChainedOutput, CompileContext
from constructs_lib.config.schema import EvaluateSection, ProcessingSection
from constructs_lib.graph.model import StepNode
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.mlops.workflow.steps import ProcessingStep


def processor(ctx: CompileContext, node: StepNode, section: ProcessingSection | EvaluateSection,
              max_runtime: int) -> ScriptProcessor:
    return ScriptProcessor(
        role=ctx.bindings.role_arn,
        image_uri=ctx.value(section.image_uri),
        command=["python3"],
        instance_type=ctx.value(section.instance_type),
        instance_count=ctx.value(section.instance_count),
        volume_size_in_gb=section.volume_size_in_gb,
        volume_kms_key=ctx.bindings.kms_key,
        output_kms_key=ctx.bindings.kms_key,
        max_runtime_in_seconds=max_runtime,
        network_config=ctx.network_config(),
        env={k: ctx.bindings.resolve(v) for k, v in section.env.items()} or None,
        tags=ctx.tags(section.tags) or None,
        base_job_name=section.base_job_name or node.name,
        sagemaker_session=ctx.session,
    )


def s3_input(name: str, uri: Any, section: ProcessingSection | EvaluateSection) -> ProcessingInput:
    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=uri, local_path=f"{PROCESSING_INPUT}/{name}", s3_data_type=section.s3_data_type,
        s3_input_mode=section.s3_input_mode, s3_data_distribution_type=section.s3_data_distribution_type))


def inputs(ctx: CompileContext, node: StepNode, section: ProcessingSection | EvaluateSection,
           section_key: str) -> list[ProcessingInput]:
    """Chained outputs land in ``<input>/<source>-<channel>``; data files in ``<input>/<sourceName>``."""
    selected = [name for name, channel in section.channels.items() if not channel.dataFiles]
    out: list[ProcessingInput] = []
    for source in node.config.chain_input_source_step:
        chained: list[ChainedOutput] = ctx.outputs_of(source, selected)
        if not chained:
            ctx.problems.append(ctx.project.pipeline_problem(
                ("models", node.model, "steps", node.index, "chain_input_source_step"),
                f"'{source}' has no output channel for '{node.name}' to consume",
                "give the source step's section a channel (its outputs are its channels)"))
        for item in chained:
            out.append(s3_input(f"{item.source}-{item.channel}", item.uri, section))
    for channel_name, channel in section.channels.items():
        for i, data_file in enumerate(channel.dataFiles or []):
            name = data_file.sourceName or (channel_name if i == 0 else f"{channel_name}-{i}")
            key = (section_key, "channels", channel_name, "dataFiles", i, "fileName")
            out.append(s3_input(name, ctx.data_uri(node, data_file.fileName, key), section))
    names = [i.input_name for i in out]
    for name in sorted({n for n in names if names.count(n) > 1}):
        ctx.problem(node, (section_key, "channels"), f"two inputs of '{node.name}' land in {PROCESSING_INPUT}/{name}",
                    "give the data files distinct sourceName values")
    return out


def output(ctx: CompileContext, node: StepNode, channel: str, upload_mode: str = "EndOfJob") -> ProcessingOutput:
    return ProcessingOutput(output_name=channel, s3_output=ProcessingS3Output(
        s3_uri=ctx.output_uri(node.name, channel), local_path=f"{PROCESSING_OUTPUT}/{channel}",
        s3_upload_mode=upload_mode))


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    section = ctx.model(node).preprocess
    job = processor(ctx, node, section, section.max_runtime_seconds)
    step = ProcessingStep(
        **ctx.step_options(node, job=True),
        step_args=job.run(
            code=ctx.code_uri(node, section.entry_point, ("preprocess", "entry_point")),
            inputs=inputs(ctx, node, section, "preprocess"),
            outputs=[output(ctx, node, channel, section.s3_upload_mode) for channel in section.channels],
        ),
    )
    ctx.built[node.name] = step
    return [step]
