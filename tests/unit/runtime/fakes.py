"""A scripted stand-in for the SageMaker client wrapper: each describe_execution call returns the next state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from constructs_lib.runtime.model import (
    DeployedParameter,
    DeployedPipeline,
    ExecutionNotFound,
    ExecutionState,
    PipelineNotFound,
    StepState,
    Unsupported,
)

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn/execution/abc123"
PARAMS = (
    DeployedParameter("InstanceType", "String", "ml.m5.large"),
    DeployedParameter("InstanceCount", "Integer", 1),
    DeployedParameter("Split", "Float", 0.2),
    DeployedParameter("Skip", "Boolean", False),
    DeployedParameter("Approval", "String", "PendingManualApproval", ("PendingManualApproval", "Approved", "Rejected")),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def execution(status: str, *, modified: float = 0, reason: str = "") -> ExecutionState:
    return ExecutionState(arn=ARN, status=status, failure_reason=reason, created=T0, modified=at(modified))


def step(name: str, status: str, start: float, end: float | None = None, reason: str = "", **kw) -> StepState:
    return StepState(
        name=name, status=status, start=at(start), end=at(end) if end is not None else None, failure_reason=reason, **kw
    )


class FakeClient:
    region = "us-east-1"

    def __init__(
        self,
        states=(),
        steps=None,
        *,
        pipelines=("churn",),
        parameters=PARAMS,
        step_names=("Prep", "Train", "Register"),
    ):
        self.states = list(states)  # ExecutionState per poll (the last one repeats)
        self.steps = list(steps) if steps is not None else None  # list of step tuples per poll, None = unsupported
        self.pipelines = list(pipelines)
        self.parameters = parameters
        self.step_names = step_names
        self.started: list[tuple[str, dict]] = []
        self.polls = 0
        self.step_calls = 0

    def describe_pipeline(self, name):
        if name not in self.pipelines:
            raise PipelineNotFound(f"pipeline '{name}' not found in {self.region}")
        return DeployedPipeline(
            name=name,
            arn=f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/{name}",
            parameters=self.parameters,
            step_names=self.step_names,
        )

    def pipeline_names(self):
        return sorted(self.pipelines)

    def start_execution(self, name, parameters):
        self.started.append((name, dict(parameters)))
        return ARN

    def latest_execution(self, name):
        return ARN if self.states else None

    def describe_execution(self, arn):
        if arn != ARN:
            raise ExecutionNotFound(f"execution '{arn}' not found in {self.region}")
        state = self.states[min(self.polls, len(self.states) - 1)]
        self.polls += 1
        return state

    def execution_steps(self, arn):
        self.step_calls += 1
        if self.steps is None:
            raise Unsupported("ListPipelineExecutionSteps", "not implemented by this endpoint (HTTP 500)")
        return list(self.steps[min(self.polls - 1, len(self.steps) - 1)])

    def execution_parameters(self, arn):
        return [("InstanceCount", "3")]

    def execution_step_names(self, arn):
        return list(self.step_names)
