"""The client wrapper's response reading and error translation, with botocore's Stubber (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

botocore_session = pytest.importorskip("botocore.session")
from botocore.stub import Stubber  # noqa: E402

from constructs_lib.runtime.client import SageMakerPipelines  # noqa: E402
from constructs_lib.runtime.model import ExecutionNotFound, PipelineNotFound, RuntimeUserError, Unsupported  # noqa: E402

ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn/execution/abc123"


def when(minute: int) -> datetime:
    return datetime(2026, 11, 25, 10, minute, tzinfo=UTC)


@pytest.fixture
def stubbed():
    client = botocore_session.get_session().create_client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield SageMakerPipelines(client, "us-east-1", known_regions=["us-east-1", "eu-west-1"]), stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code, message",
    [
        ("ResourceNotFound", "Pipeline 'x' does not exist."),
        ("ValidationException", "Could not find pipeline with PipelineName x."),
    ],
)
def test_pipeline_not_found(stubbed, code, message) -> None:
    wrapper, stub = stubbed
    stub.add_client_error("describe_pipeline", service_error_code=code, service_message=message)
    with pytest.raises(PipelineNotFound, match="pipeline 'x' not found in us-east-1"):
        wrapper.describe_pipeline("x")


def test_execution_not_found(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_client_error("describe_pipeline_execution", service_error_code="ResourceNotFound", service_message="no")
    with pytest.raises(ExecutionNotFound):
        wrapper.describe_execution(ARN)


@pytest.mark.parametrize(
    "code, words, hint",
    [
        ("ExpiredTokenException", "AWS rejected the credentials (ExpiredTokenException", "invalid or expired"),
        ("UnrecognizedClientException", "AWS rejected the credentials", "AWS_PROFILE"),
        ("AccessDeniedException", "DescribePipeline not allowed: nope", "sagemaker:DescribePipeline"),
        ("ValidationException", "DescribePipeline failed: ValidationException: nope", ""),
        ("ThrottlingException", "DescribePipeline: ThrottlingException", "retry in a moment"),
    ],
)
def test_client_errors_become_one_line(stubbed, code, words, hint) -> None:
    wrapper, stub = stubbed
    stub.add_client_error("describe_pipeline", service_error_code=code, service_message="nope")
    with pytest.raises(RuntimeUserError) as info:
        wrapper.describe_pipeline("churn")
    assert words in info.value.message and hint in info.value.hint


def test_definition_parameters_and_steps(stubbed) -> None:
    wrapper, stub = stubbed
    definition = (
        '{"Version": "2020-12-01", "Parameters": [{"Name": "N", "Type": "Integer", "DefaultValue": 1},'
        ' {"Name": "S"}], "Steps": [{"Name": "Prep", "Type": "Processing", "Arguments": {}}]}'
    )
    stub.add_response(
        "describe_pipeline", {"PipelineName": "churn", "PipelineArn": "arn:p", "PipelineDefinition": definition}
    )
    deployed = wrapper.describe_pipeline("churn")
    assert [(p.name, p.type) for p in deployed.parameters] == [("N", "Integer"), ("S", "String")]
    assert deployed.step_names == ("Prep",)


@pytest.mark.parametrize("status, code", [(500, "500"), (501, "NotImplemented"), (400, "UnknownOperationException")])
def test_steps_not_implemented(stubbed, status, code) -> None:
    wrapper, stub = stubbed
    stub.add_client_error("list_pipeline_execution_steps", service_error_code=code, http_status_code=status)
    with pytest.raises(Unsupported, match="does not implement it"):
        wrapper.execution_steps(ARN)


def test_steps_denied_is_unsupported(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_client_error("list_pipeline_execution_steps", service_error_code="AccessDeniedException")
    with pytest.raises(Unsupported, match="sagemaker:ListPipelineExecutionSteps"):
        wrapper.execution_steps(ARN)


def test_steps_other_errors_are_user_errors(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_client_error(
        "list_pipeline_execution_steps", service_error_code="ValidationException", service_message="bad arn"
    )
    with pytest.raises(RuntimeUserError, match="ListPipelineExecutionSteps failed"):
        wrapper.execution_steps(ARN)


def test_steps_paginated_latest_attempt_wins(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_response(
        "list_pipeline_execution_steps",
        {
            "NextToken": "t",
            "PipelineExecutionSteps": [
                {
                    "StepName": "Prep",
                    "StepStatus": "Succeeded",
                    "StartTime": when(0),
                    "EndTime": when(2),
                    "CacheHitResult": {"SourcePipelineExecutionArn": "arn:old"},
                },
                {
                    "StepName": "Train",
                    "StepStatus": "Failed",
                    "StartTime": when(3),
                    "EndTime": when(4),
                    "FailureReason": "capacity",
                    "AttemptCount": 1,
                },
            ],
        },
    )
    stub.add_response(
        "list_pipeline_execution_steps",
        {
            "PipelineExecutionSteps": [
                {"StepName": "Train", "StepStatus": "Executing", "StartTime": when(5), "AttemptCount": 2}
            ]
        },
    )
    steps = wrapper.execution_steps(ARN)
    assert [(s.name, s.status, s.attempts, s.cache_hit) for s in steps] == [
        ("Prep", "Succeeded", 0, True),
        ("Train", "Executing", 2, False),
    ]


def test_latest_execution_whatever_the_order(stubbed) -> None:
    wrapper, stub = stubbed
    summaries = [{"PipelineExecutionArn": f"arn:{m}", "StartTime": when(m)} for m in (1, 7, 3)]
    stub.add_response("list_pipeline_executions", {"PipelineExecutionSummaries": summaries})
    assert wrapper.latest_execution("churn") == "arn:7"
    stub.add_response("list_pipeline_executions", {"PipelineExecutionSummaries": []})
    assert wrapper.latest_execution("churn") is None


def test_pipeline_names_paginated(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_response("list_pipelines", {"PipelineSummaries": [{"PipelineName": "b"}], "NextToken": "t"})
    stub.add_response("list_pipelines", {"PipelineSummaries": [{"PipelineName": "a"}]})
    assert wrapper.pipeline_names() == ["a", "b"]


def test_moto_none_reason_is_empty(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_response(
        "describe_pipeline_execution",
        {
            "PipelineExecutionArn": ARN,
            "PipelineExecutionStatus": "Failed",
            "FailureReason": "None",
            "CreationTime": when(0),
        },
    )
    state = wrapper.describe_execution(ARN)
    assert state.failure_reason == "" and state.terminal and state.pipeline == "churn"


def test_what_a_job_controls_is_printed_escaped(stubbed) -> None:
    """A failure reason or parameter value with terminal controls cannot rewrite the screen or forge lines."""
    wrapper, stub = stubbed
    forged = "boom\x1b[2K\rexecution Succeeded\n\u202eevil"
    stub.add_response(
        "describe_pipeline_execution",
        {
            "PipelineExecutionArn": ARN,
            "PipelineExecutionStatus": "Failed",
            "FailureReason": forged,
            "CreationTime": when(0),
        },
    )
    reason = wrapper.describe_execution(ARN).failure_reason
    assert reason == "boom\\x1b[2K\\x0dexecution Succeeded\\x0a\\u202eevil"
    assert reason.isprintable()
    stub.add_response(
        "list_pipeline_execution_steps",
        {
            "PipelineExecutionSteps": [
                {
                    "StepName": "Train\x07",
                    "StepStatus": "Failed",
                    "StartTime": when(3),
                    "FailureReason": "x\x1b]0;title\x07",
                }
            ]
        },
    )
    (step,) = wrapper.execution_steps(ARN)
    assert (step.name, step.failure_reason) == ("Train\\x07", "x\\x1b]0;title\\x07")
    stub.add_response(
        "list_pipeline_parameters_for_execution",
        {"PipelineParameters": [{"Name": "Mode", "Value": "ok\x1b[31m"}, {"Name": "Plain", "Value": "ml.m5.large é"}]},
    )
    assert wrapper.execution_parameters(ARN) == [("Mode", "ok\\x1b[31m"), ("Plain", "ml.m5.large é")]


def test_start_sends_parameters(stubbed) -> None:
    wrapper, stub = stubbed
    stub.add_response(
        "start_pipeline_execution",
        {"PipelineExecutionArn": ARN},
        {
            "PipelineName": "churn",
            "PipelineParameters": [{"Name": "N", "Value": "2"}],
            "PipelineExecutionDescription": "started with python -m constructs_lib start",
        },
    )  # botocore adds the token
    assert wrapper.start_execution("churn", {"N": "2"}) == ARN


def test_unknown_region_hint() -> None:
    wrapper = SageMakerPipelines(None, "us-est-1", known_regions=["us-east-1", "ap-south-2"])
    assert wrapper._reach_hint() == "'us-est-1' is not a known SageMaker region: did you mean 'us-east-1'?"
