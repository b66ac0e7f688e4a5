"""RegisterModel -> CreateModelPackage, with the Metrics report as model quality; optionally behind a
quality gate (a Condition step on a metric of the report, and a Fail step that says what failed)."""

from __future__ import annotations

from typing import Any

from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.workflow.conditions import (
    ConditionEquals,
    ConditionGreaterThan,
    ConditionGreaterThanOrEqualTo,
    ConditionLessThan,
    ConditionLessThanOrEqualTo,
)
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.serve.model_builder import ModelBuilder

from constructs_lib.compiler.context import EVALUATION_CHANNEL, REPORT_FILE, CompileContext
from constructs_lib.compiler.naming import package_group_name
from constructs_lib.compiler.steps.create_model import model_data, serving_environment
from constructs_lib.compiler.steps.metrics import report_name
from constructs_lib.config.schema import StepClass
from constructs_lib.graph.model import StepNode

CONDITIONS = {
    ">=": ConditionGreaterThanOrEqualTo,
    ">": ConditionGreaterThan,
    "<=": ConditionLessThanOrEqualTo,
    "<": ConditionLessThan,
    "==": ConditionEquals,
}


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    model = ctx.model(node)
    registry = model.registry
    assert registry is not None  # the graph checked that the step's unit has this section (SMP-G5)
    spec = registry.InferenceSpecification
    metrics = ctx.graph.unit(node.model).get(StepClass.METRICS)
    model_metrics = None
    if metrics is not None:
        assert model.evaluate is not None  # the Metrics step's section (SMP-G5)
        report_dir = (
            ctx.built[metrics.name].properties.ProcessingOutputConfig.Outputs[EVALUATION_CHANNEL].S3Output.S3Uri
        )
        model_metrics = ModelMetrics(
            model_statistics=MetricsSource(
                content_type=model.evaluate.content_type, s3_uri=Join(on="/", values=[report_dir, REPORT_FILE])
            )
        )
    builder = ModelBuilder(
        image_uri=ctx.image(node, ("registry", "InferenceSpecification", "image_uri"), spec.image_uri),
        s3_model_data_url=model_data(ctx, node),
        role_arn=ctx.bindings.role_arn,
        sagemaker_session=ctx.session,
        env_vars=serving_environment(ctx, node, registry.env),
        dependencies={},
        log_level=None,
    )
    args = builder.register(
        model_package_group_name=package_group_name(ctx.project, node),
        content_types=list(spec.supported_content_types),
        response_types=list(spec.supported_response_MIME_types),
        inference_instances=list(spec.supported_realtime_inference_instance_types) or None,
        transform_instances=list(spec.supported_transform_instance_types) or None,
        approval_status=ctx.value(spec.approval_status),
        model_metrics=model_metrics,
        description=registry.ModelPackageDescription,
    )
    if ctx.bindings.kms_key:
        # CreateModelPackage encrypts the package with this key; register() does not expose the knob.
        args.create_model_package_request["SecurityConfig"] = {"KmsKeyId": ctx.bindings.kms_key}
    gate = registry.quality_gate
    step = ModelStep(
        name=node.name,
        step_args=args,
        retry_policies=ctx.retries(node, job=False) or None,
        depends_on=None if gate else (ctx.depends_on(node) or None),
    )
    ctx.built[node.name] = step
    if gate is None or metrics is None:
        return [step]
    metrics_step = ctx.built[metrics.name]
    report = next(p for p in metrics_step.property_files if p.name == report_name(metrics))
    value = JsonGet(step_name=metrics.name, property_file=report, json_path=gate.metric)
    fail = FailStep(
        name=f"{node.name}-QualityGateFailed"[:64],
        error_message=Join(
            on=" ",
            values=[
                f"Model '{node.model}' not registered: {gate.metric} =",
                value,
                f"does not satisfy {gate.operator} {gate.threshold:g}",
            ],
        ),
    )
    condition = ConditionStep(
        name=f"{node.name}-QualityGate"[:64],
        conditions=[CONDITIONS[gate.operator](left=value, right=gate.threshold)],
        if_steps=[step],
        else_steps=[fail],
        depends_on=ctx.depends_on(node) or None,
    )
    ctx.gates[node.name] = condition.name
    return [condition]
