"""Metrics -> CreateProcessingJob running ``evaluate.entry_point``; its report is registered with the model.

Same container layout as Processing (see :mod:`constructs_lib.compiler.steps.processing`), except that chained
outputs land in ``/opt/ml/processing/input/<source>-<channel>`` and the whole ``/opt/ml/processing/output`` is
the output: the report is ``/opt/ml/processing/output/model_evaluation_metrics.json``, as in the original."""

from __future__ import annotations

from typing import Any

from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.steps import ProcessingStep

from constructs_lib.compiler.context import EVALUATION_CHANNEL, PROCESSING_OUTPUT, REPORT_FILE, CompileContext
from constructs_lib.compiler.steps.processing import inputs, output, processor
from constructs_lib.config.schema import StepClass
from constructs_lib.graph.model import StepNode


def report_name(node: StepNode) -> str:
    return f"{node.name}-report"


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    section = node.section
    register = ctx.graph.unit(node.model).get(StepClass.REGISTER_MODEL)
    registry = ctx.model(node).registry
    gated = register is not None and registry is not None and registry.quality_gate is not None
    job = processor(ctx, node, section, section.max_runtime_in_seconds)
    step = ProcessingStep(
        **ctx.step_options(node),
        property_files=[PropertyFile(name=report_name(node), output_name=EVALUATION_CHANNEL, path=REPORT_FILE)]
        if gated
        else None,
        step_args=job.run(
            inputs=inputs(ctx, node, section, "evaluate"),
            outputs=[output(ctx, node, EVALUATION_CHANNEL, local_path=PROCESSING_OUTPUT)],
        ),
    )
    ctx.built[node.name] = step
    return [step]
