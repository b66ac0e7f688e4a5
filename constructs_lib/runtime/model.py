"""What the runtime commands know about a deployed pipeline and its executions, without botocore.

The client wrapper (:mod:`constructs_lib.runtime.client`) turns API responses into these values and botocore
exceptions into :class:`RuntimeUserError`; everything else (parameter checks, progress, rendering) works on
these types only, so it is tested with fake clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})
"""Execution states that never change again (``Executing`` and ``Stopping`` still do)."""


class RuntimeUserError(Exception):
    """Something the user can fix (credentials, region, names, values): one line and a hint, exit 2."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class PipelineNotFound(RuntimeUserError):
    """DescribePipeline said there is no such pipeline."""


class ExecutionNotFound(RuntimeUserError):
    """DescribePipelineExecution said there is no such execution."""


class Unsupported(Exception):
    """An optional call the endpoint does not implement or the identity may not make (e.g.
    ListPipelineExecutionSteps on moto): the caller shows less instead of failing."""

    def __init__(self, operation: str, reason: str):
        self.operation = operation
        self.reason = reason
        super().__init__(f"{operation}: {reason}")


@dataclass(frozen=True)
class DeployedParameter:
    """One entry of the ``Parameters`` list of a pipeline definition."""

    name: str
    type: str = "String"
    default: object = None
    enum_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeployedPipeline:
    name: str
    arn: str
    parameters: tuple[DeployedParameter, ...] | None
    """``None`` when the definition could not be read (then only the config is checked)."""
    step_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecutionState:
    arn: str
    status: str
    failure_reason: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    display_name: str = ""

    @property
    def pipeline(self) -> str:
        return pipeline_of_execution(self.arn) or ""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class StepState:
    name: str
    status: str
    start: datetime | None = None
    end: datetime | None = None
    failure_reason: str = ""
    cache_hit: bool = False
    attempts: int = 0


@dataclass(frozen=True)
class Snapshot:
    """One poll: the execution, and its steps (``None`` when the endpoint cannot list them)."""

    execution: ExecutionState
    steps: tuple[StepState, ...] | None = None
    steps_unavailable: str = ""
    defined_steps: tuple[str, ...] = field(default=())


class PipelinesClient(Protocol):
    """The calls the commands make; :class:`constructs_lib.runtime.client.SageMakerPipelines` implements it."""

    region: str

    def describe_pipeline(self, name: str) -> DeployedPipeline: ...

    def pipeline_names(self) -> list[str]: ...

    def start_execution(self, name: str, parameters: dict[str, str]) -> str: ...

    def latest_execution(self, name: str) -> str | None: ...

    def describe_execution(self, arn: str) -> ExecutionState: ...

    def execution_steps(self, arn: str) -> list[StepState]: ...

    def execution_parameters(self, arn: str) -> list[tuple[str, str]]: ...

    def execution_step_names(self, arn: str) -> list[str]: ...


def pipeline_of_execution(arn: str) -> str | None:
    """``arn:aws:sagemaker:us-east-1:123456789012:pipeline/NAME/execution/ID`` -> ``NAME``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sagemaker":
        return None
    resource = parts[5].split("/")
    if (
        len(resource) != 4
        or resource[0] != "pipeline"
        or resource[2] != "execution"
        or not resource[1]
        or not resource[3]
    ):
        return None
    return resource[1]


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[3] or None if len(parts) == 6 else None
