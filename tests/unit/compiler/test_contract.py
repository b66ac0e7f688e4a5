"""The API contract checker: a clean definition passes, each kind of broken request is reported."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from constructs_lib.compiler.contract import STEP_OPERATIONS, check_definition, check_request, request_shape


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    from constructs_lib.compiler.session import sdk_noise_silenced
    from tests.unit.compiler.offline_pipeline import build_pipeline

    with sdk_noise_silenced():
        return json.loads(build_pipeline(units=1).definition())


def _step(definition: dict[str, Any], suffix: str) -> dict[str, Any]:
    """A step (nested ones included) whose name ends with ``suffix``."""
    steps = list(definition["Steps"])
    while steps:
        step = steps.pop(0)
        if step["Name"].endswith(suffix):
            return step
        steps += step["Arguments"].get("IfSteps", []) + step["Arguments"].get("ElseSteps", [])
    raise KeyError(suffix)


def test_sdk_output_meets_the_contract(definition: dict[str, Any]) -> None:
    assert {
        _step(definition, s)["Type"] for s in ("Preprocess", "Train", "CreateModel", "Transform", "Register")
    } == set(STEP_OPERATIONS) - {"Tuning"}  # the tuning golden case has it (test below)
    assert check_definition(definition) == []
    assert check_definition(json.dumps(definition)) == []  # JSON text works too


def _set(suffix: str, path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = _step(definition, suffix)["Arguments"]
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()

BROKEN = {
    "unknown parameter (a knob the API does not have)": (
        _set("Transform", "TransformResources.VolumeSizeInGB", 30),
        '(CreateTransformJob): Unknown parameter in TransformResources: "VolumeSizeInGB"',
    ),
    "missing required parameter": (
        _set("Train", "RoleArn", _DELETE),
        '(CreateTrainingJob): Missing required parameter in input: "RoleArn"',
    ),
    "wrong literal type": (
        _set("Register", "InferenceSpecification.Containers.0.Image", 5),
        "(CreateModelPackage): Invalid type for parameter InferenceSpecification.Containers[0].Image",
    ),
    "value below the minimum": (
        _set("Preprocess", "ProcessingResources.ClusterConfig.VolumeSizeInGB", 0),
        "(CreateProcessingJob): Invalid value for parameter ProcessingResources.ClusterConfig.VolumeSizeInGB",
    ),
    "string parameter where the API wants an integer": (
        _set(
            "Preprocess",
            "ProcessingResources.ClusterConfig.InstanceCount",
            {"Get": "Parameters.ProcessingInstanceType"},
        ),
        "ProcessingResources.ClusterConfig.InstanceCount: parameter of type String used where the API expects integer",
    ),
    "Join where the API wants an integer": (
        _set("Transform", "MaxPayloadInMB", {"Std:Join": {"On": "", "Values": ["6"]}}),
        "MaxPayloadInMB: Std:Join produces a string, the API expects integer",
    ),
    "undeclared parameter": (
        _set("Register", "ModelApprovalStatus", {"Get": "Parameters.Approval"}),
        "ModelApprovalStatus: refers to undeclared pipeline parameter 'Approval'",
    ),
    "unknown step": (
        _set("CreateModel", "PrimaryContainer.ModelDataUrl", {"Get": "Steps.m0-Training.ModelArtifacts"}),
        "PrimaryContainer.ModelDataUrl: refers to unknown step 'm0-Training'",
    ),
    "undeclared property file (in a Condition step)": (
        _set(
            "CheckAccuracy",
            "Conditions.0.LeftValue.Std:JsonGet.PropertyFile",
            {"Get": "Steps.m0-Metrics.PropertyFiles.Report"},
        ),
        "step 'm0-CheckAccuracy': Conditions[0].LeftValue.Std:JsonGet.PropertyFile: refers to property file "
        "'Report', which step 'm0-Metrics' does not declare",
    ),
    "unknown step in DependsOn": (
        lambda definition: _step(definition, "Transform").update(DependsOn=["m0-Training"]),
        "step 'm0-Transform' (CreateTransformJob): DependsOn: unknown step 'm0-Training'",
    ),
    "model package with neither group nor name": (
        _set("Register", "ModelPackageGroupName", _DELETE),
        "one of ModelPackageGroupName (versioned) or ModelPackageName is required",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_requests_are_reported(definition: dict[str, Any], case: str) -> None:
    mutate, expected = BROKEN[case]
    broken = copy.deepcopy(definition)
    mutate(broken)
    problems = [str(p) for p in check_definition(broken)]
    assert len(problems) == 1 and expected in problems[0], problems


def test_single_request() -> None:
    request = {
        "ModelName": {"Get": "Steps.CreateModel.ModelName"},
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}},
        "TransformOutput": {"S3OutputPath": "s3://b/out"},
        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": {"Get": "Parameters.Count"}},
    }
    assert check_request("CreateTransformJob", request) == []  # the generated TransformJobName is filled in
    del request["TransformOutput"]
    assert check_request("CreateTransformJob", request) == ['Missing required parameter in input: "TransformOutput"']


def test_request_shapes_name_the_knobs_that_exist() -> None:
    """What the notes say about transform jobs: no volume size, but a volume KMS key and client config."""
    transform = request_shape("CreateTransformJob").members
    assert list(transform["TransformResources"].members) == [
        "InstanceType",
        "InstanceCount",
        "VolumeKmsKeyId",
        "TransformAmiVersion",
    ]
    assert list(transform["ModelClientConfig"].members) == [
        "InvocationsTimeoutInSeconds",
        "InvocationsMaxRetries",
    ]


def test_tuning_request_is_checked_against_create_hyper_parameter_tuning_job() -> None:
    """The Tuning golden case passes; the same request with values SageMaker refuses does not."""
    from tests.unit.compiler.conftest import GOLDEN

    tuning = json.loads((GOLDEN / "tuning" / "definition.json").read_text())
    step = _step(tuning, "churn-Tuning")
    assert step["Type"] == "Tuning" and STEP_OPERATIONS["Tuning"] == "CreateHyperParameterTuningJob"
    assert check_definition(tuning) == []
    step["Arguments"]["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = 0
    step["Arguments"]["HyperParameterTuningJobConfig"]["Strategy"] = "Exhaustive"
    messages = [p.message for p in check_definition(tuning)]
    assert all(p.operation == "CreateHyperParameterTuningJob" for p in check_definition(tuning))
    assert any("MaxParallelTrainingJobs" in m for m in messages), messages
    assert any("Strategy" in m and "Exhaustive" in m for m in messages), messages
