"""Processing (step_type preprocess) -> CreateProcessingJob; also the job builder the Metrics step reuses.

The container gets the original framework's layout (its SDK v2 ``FrameworkProcessor``): the whole
``source_directory`` as ``/opt/ml/processing/input/code/sourcedir.tar.gz``, the bootstrap
``/opt/ml/processing/input/entrypoint/runproc.sh`` as entrypoint (see :mod:`constructs_lib.compiler.bootstrap`),
data files at ``/opt/ml/processing/input/<sourceName>``, chained outputs at
``/opt/ml/processing/input/<source>-input-<channel>`` (Metrics: ``<source>-<channel>``), and each output channel
taken from ``/opt/ml/processing/output/<channel>``.
"""

from __future__ import annotations

from typing import Any

from sagemaker.core.processing import Processor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.mlops.workflow.steps import ProcessingStep

from constructs_lib.compiler.bootstrap import CODE_DIR, CONTAINER_ENTRYPOINT, ENTRYPOINT_DIR
from constructs_lib.compiler.context import PROCESSING_INPUT, PROCESSING_OUTPUT, CompileContext, channel_names
from constructs_lib.config.schema import EvaluateSection, ProcessingSection
from constructs_lib.graph.model import StepNode

#: Input names the code and bootstrap use (their folders under /opt/ml/processing/input).
CODE_INPUTS = ("code", "entrypoint")


def processor(
    ctx: CompileContext, node: StepNode, section: ProcessingSection | EvaluateSection, max_runtime: int
) -> Processor:
    return Processor(
        role=ctx.bindings.role_arn,
        image_uri=ctx.image(node, (node.kind.section, "image_uri"), section.image_uri, section.instance_type),
        entrypoint=list(CONTAINER_ENTRYPOINT),
        instance_type=ctx.value(section.instance_type),
        instance_count=ctx.value(section.instance_count),
        volume_size_in_gb=section.volume_size_in_gb,
        volume_kms_key=ctx.bindings.kms_key,
        output_kms_key=ctx.bindings.kms_key,
        max_runtime_in_seconds=max_runtime,
        network_config=ctx.network_config(section.network_isolation),
        env={k: ctx.bindings.resolve(v) for k, v in section.env.items()} or None,
        tags=ctx.tags(section.tags) or None,
        base_job_name=section.base_job_name or node.name,
        sagemaker_session=ctx.session,
    )


def s3_input(
    name: str, uri: Any, section: ProcessingSection | EvaluateSection, local_path: str | None = None
) -> ProcessingInput:
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=uri,
            local_path=local_path or f"{PROCESSING_INPUT}/{name}",
            s3_data_type=section.s3_data_type,
            s3_input_mode=section.s3_input_mode,
            s3_data_distribution_type=section.s3_data_distribution_type,
        ),
    )


def code_inputs(ctx: CompileContext, node: StepNode, entry_point: str, key: tuple) -> list[ProcessingInput]:
    """The source archive and the bootstrap, where FrameworkProcessor puts them."""
    ctx.script_exists(node, entry_point, key)
    archive = ctx.sourcedir_uri(node, ("source_directory",))
    bootstrap = ctx.bootstrap_uri(node, entry_point)
    return [
        ProcessingInput(
            input_name="code",
            s3_input=ProcessingS3Input(
                s3_uri=archive, local_path=f"{CODE_DIR}/", s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        ),
        ProcessingInput(
            input_name="entrypoint",
            s3_input=ProcessingS3Input(
                s3_uri=bootstrap, local_path=f"{ENTRYPOINT_DIR}/", s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        ),
    ]


def inputs(
    ctx: CompileContext, node: StepNode, section: ProcessingSection | EvaluateSection, section_key: str
) -> list[ProcessingInput]:
    """Data files in ``<input>/<sourceName>``; chained outputs in ``<input>/<source>-input-<channel>`` (preprocess,
    channels of this model's section of the source's kind) or ``<input>/<source>-<channel>`` (evaluate, its own
    channel); then the code and the bootstrap."""
    out: list[ProcessingInput] = []
    for channel_name, channel in section.channels.items():
        for i, data_file in enumerate(channel.dataFiles or []):
            name = data_file.sourceName or (channel_name if i == 0 else f"{channel_name}-{i}")
            key = (section_key, "channels", channel_name, "dataFiles", i, "fileName")
            out.append(s3_input(name, ctx.data_uri(node, data_file.fileName, key), section))
    if section_key == "evaluate":
        chained = ctx.chained_inputs(node, "{source}-{channel}", channel_names(section))
        if not node.config.chain_input_source_step:
            for name, channel in section.channels.items():
                if not channel.dataFiles:
                    ctx.warn(
                        ctx.project.model_problem(
                            node.model,
                            ("evaluate", "channels", name),
                            f"evaluate channel '{name}' has no data files "
                            f"and '{node.name}' has no chain_input_source_step: nothing lands for it",
                            "give it dataFiles, or chain the step from the steps whose outputs it reads",
                        )
                    )
    else:
        chained = ctx.chained_inputs(node, "{source}-input-{channel}")
    out += [s3_input(item.name, item.uri, section) for item in chained]
    names = [i.input_name for i in out] + list(CODE_INPUTS)
    for name in sorted({n for n in names if names.count(n) > 1}):
        ctx.problem(
            node,
            (section_key, "channels"),
            f"two inputs of '{node.name}' land in {PROCESSING_INPUT}/{name}",
            "give the data files distinct sourceName values ('code' and 'entrypoint' hold the job's code)",
        )
    return out + code_inputs(ctx, node, section.entry_point, (section_key, "entry_point"))


def output(
    ctx: CompileContext, node: StepNode, channel: str, upload_mode: str = "EndOfJob", local_path: str | None = None
) -> ProcessingOutput:
    return ProcessingOutput(
        output_name=channel,
        s3_output=ProcessingS3Output(
            s3_uri=ctx.output_uri(node.name, channel),
            local_path=local_path or f"{PROCESSING_OUTPUT}/{channel}",
            s3_upload_mode=upload_mode,
        ),
    )


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    section = node.section
    job = processor(ctx, node, section, section.max_runtime_seconds)
    step = ProcessingStep(
        **ctx.step_options(node),
        step_args=job.run(
            inputs=inputs(ctx, node, section, "preprocess"),
            outputs=[output(ctx, node, channel, section.s3_upload_mode) for channel in channel_names(section)],
        ),
    )
    ctx.built[node.name] = step
    return [step]
