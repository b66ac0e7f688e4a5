"""Tuning -> CreateHyperParameterTuningJob: the unit's ``train`` job (image, entry point, source directory,
channels with the original's ``<S>-<C>`` naming, fixed ``hyperparams``) as the training job definition, the
``tune`` section as the search.

The best training job's model is the unit's model (``ctx.model_artifacts``): each training job of the tuning
job writes ``<output path>/<training job name>/output/model.tar.gz``, and the step's
``BestTrainingJob.TrainingJobName`` (DescribeHyperParameterTuningJob) names the best one at execution time.
"""

from __future__ import annotations

from typing import Any

from sagemaker.core.parameter import CategoricalParameter, ContinuousParameter, IntegerParameter
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.mlops.workflow.steps import TuningStep
from sagemaker.train.tuner import HyperparameterTuner

from constructs_lib.compiler.context import CompileContext
from constructs_lib.compiler.steps.training import channels, trainer
from constructs_lib.config.schema import ParameterRange
from constructs_lib.graph.model import StepNode


def _range(spec: ParameterRange) -> Any:
    if spec.type == "Categorical":
        return CategoricalParameter(list(spec.values or []))
    if spec.type == "Integer":
        return IntegerParameter(int(spec.min_value), int(spec.max_value), scaling_type=spec.scaling)  # type: ignore[arg-type]
    return ContinuousParameter(spec.min_value, spec.max_value, scaling_type=spec.scaling)


class _SecureTuningStep(TuningStep):
    """The SDK (3.27) builds the training job definition without the ModelTrainer's volume key, inter-container
    traffic encryption and network isolation, which a Training step's request carries: put them back, so that the
    tuning job's training jobs are as locked down as a Training step's (and the execution role's conditions on
    CreateHyperParameterTuningJob hold)."""

    volume_kms_key: str | None = None
    #: ``train.network_isolation``: the SDK leaves it out of the training job definition too.
    network_isolation: bool = False

    @property
    def arguments(self) -> dict[str, Any]:
        request: dict[str, Any] = super().arguments
        definition = request["TrainingJobDefinition"]
        definition["EnableInterContainerTrafficEncryption"] = True
        if self.volume_kms_key:
            definition["ResourceConfig"]["VolumeKmsKeyId"] = self.volume_kms_key
        if self.network_isolation:
            definition["EnableNetworkIsolation"] = True
        return request


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    tune = node.section
    job = trainer(ctx, node)
    tuner = HyperparameterTuner(
        model_trainer=job,
        objective_metric_name=tune.objective_metric_name,
        metric_definitions=[{"Name": tune.objective_metric_name, "Regex": tune.objective_metric_regex}],
        hyperparameter_ranges={name: _range(spec) for name, spec in tune.ranges.items()},
        strategy=tune.strategy,
        objective_type=tune.objective_type,
        max_jobs=tune.max_jobs,
        max_parallel_jobs=tune.max_parallel_jobs,
        max_runtime_in_seconds=tune.max_runtime_seconds,
        early_stopping_type=tune.early_stopping,
    )
    step = _SecureTuningStep(**ctx.step_options(node), step_args=tuner.tune(inputs=channels(ctx, node)))
    step.volume_kms_key = ctx.bindings.kms_key
    train = ctx.model(node).train
    step.network_isolation = train is not None and train.network_isolation
    ctx.built[node.name] = step
    # The training jobs' output path (training.trainer), flattened into one Join with the best job's name.
    ctx.model_artifacts[node.name] = Join(
        on="/",
        values=[
            f"s3://{ctx.bindings.bucket}/{ctx.pipeline_name}",
            ExecutionVariables.PIPELINE_EXECUTION_ID,
            node.name,
            "model",
            step.properties.BestTrainingJob.TrainingJobName,
            "output",
            "model.tar.gz",
        ],
    )
    return [step]
