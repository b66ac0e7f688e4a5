"""What the compiled definition means: the original's semantics, without its faults (SEED-NOTES 1-5, 8)."""

from __future__ import annotations

import json
import socket

import pytest

from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.errors import ConfigError
from tests.conftest import FIXTURES, ROOT
from tests.unit.compiler.conftest import compile_globs

SEMANTICS = FIXTURES / "compile" / "semantics"


@pytest.fixture(scope="module")
def compiled():
    return compile_globs(["conf.yaml"], SEMANTICS)


@pytest.fixture(scope="module")
def steps(compiled):
    definition = json.loads(compiled.definition)
    out = {}
    for step in definition["Steps"]:
        out[step["Name"]] = step
        for nested in step.get("Arguments", {}).get("IfSteps", []) + step.get("Arguments", {}).get("ElseSteps", []):
            out[nested["Name"]] = nested
    return out


def _join(value):
    """Render a pipeline expression as text (for assertions on URIs)."""
    if isinstance(value, dict) and "Std:Join" in value:
        return value["Std:Join"]["On"].join(_join(v) for v in value["Std:Join"]["Values"])
    if isinstance(value, dict) and "Get" in value:
        return "{" + value["Get"] + "}"
    return str(value)


def test_each_training_channel_gets_its_own_files(steps) -> None:
    """SEED-NOTES 1: the original overwrote every channel with the last channel's file."""
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in steps["Train"]["Arguments"]["InputDataConfig"]
    }
    assert channels["validation"].endswith("/data/validation")
    assert channels["train"].endswith("/data/train")


def test_model_package_group_comes_from_the_config(steps, compiled) -> None:
    """SEED-NOTES 2: groups were named None-<model>."""
    assert steps["Register"]["Arguments"]["ModelPackageGroupName"] == "semantics-m"
    assert compiled.model_package_groups == ("semantics-m",)


def test_metrics_report_uri_is_correct_and_per_execution(steps) -> None:
    """SEED-NOTES 3: a '/' was missing and the path was the same for every execution."""
    uri = steps["Register"]["Arguments"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert _join(uri) == (
        "{Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri}/model_evaluation_metrics.json"
    )
    output = steps["Evaluate"]["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert (
        _join(output)
        == "s3://smp-placeholder-artifact-bucket/semantics/{Execution.PipelineExecutionId}/Evaluate/evaluation"
    )


def test_unset_framework_variables_never_leak(compiled) -> None:
    """SEED-NOTES 4: unset subnets/security groups became the literal strings SMP_SUBNETS/SMP_SECURITYGROUPS."""
    assert "SMP_" not in compiled.definition


def test_enable_cache_is_honoured_for_every_job_kind(steps) -> None:
    """SEED-NOTES 5: `enable_cache: False` was ignored for Processing and Training (always cached, 10 days)."""
    assert steps["Prep"]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P7D"}
    assert steps["Score"]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P7D"}
    assert "CacheConfig" not in steps["Train"]
    assert "CacheConfig" not in steps["Evaluate"]


def test_documented_processing_keys_are_honoured(steps) -> None:
    """SEED-NOTES 8: s3_data_type, s3_input_mode, s3_upload_mode... were silently ignored."""
    args = steps["Prep"]["Arguments"]
    raw = next(i for i in args["ProcessingInputs"] if i["InputName"] == "raw")["S3Input"]
    assert (raw["S3DataType"], raw["S3InputMode"], raw["S3DataDistributionType"]) == (
        "ManifestFile",
        "Pipe",
        "ShardedByS3Key",
    )
    assert {o["S3Output"]["S3UploadMode"] for o in args["ProcessingOutputConfig"]["Outputs"]} == {"Continuous"}
    cluster = args["ProcessingResources"]["ClusterConfig"]
    assert cluster["VolumeSizeInGB"] == 77 and args["StoppingCondition"] == {"MaxRuntimeInSeconds": 1234}
    assert args["Environment"] == {"STAGE": "prep"}
    assert args["AppSpecification"]["ContainerEntrypoint"] == [
        "/bin/bash",
        "/opt/ml/processing/input/entrypoint/runproc.sh",
    ]


def test_documented_transform_keys_are_honoured(steps) -> None:
    args = steps["Score"]["Arguments"]
    assert args["ModelClientConfig"] == {"InvocationsTimeoutInSeconds": 600}
    assert (args["BatchStrategy"], args["MaxPayloadInMB"]) == ("MultiRecord", 5)
    assert args["TransformOutput"]["AssembleWith"] == "Line"
    assert args["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input"}
    assert _join(args["TransformOutput"]["S3OutputPath"]).startswith("s3://results-bucket/semantics/")
    model = steps["Model"]["Arguments"]["PrimaryContainer"]
    assert model["Image"] == "img/serve:1" and model["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"


def test_pipeline_parameters_are_usable_in_values(steps, compiled) -> None:
    definition = json.loads(compiled.definition)
    assert {p["Name"]: p["Type"] for p in definition["Parameters"]} == {
        "ProcCount": "Integer",
        "ProcType": "String",
        "RawData": "String",
        "Approval": "String",
    }
    cluster = steps["Prep"]["Arguments"]["ProcessingResources"]["ClusterConfig"]
    assert cluster["InstanceCount"] == {"Get": "Parameters.ProcCount"}
    assert cluster["InstanceType"] == {"Get": "Parameters.ProcType"}
    raw = next(i for i in steps["Prep"]["Arguments"]["ProcessingInputs"] if i["InputName"] == "raw")
    assert raw["S3Input"]["S3Uri"] == {"Get": "Parameters.RawData"}
    assert steps["Register"]["Arguments"]["ModelApprovalStatus"] == {"Get": "Parameters.Approval"}


def test_quality_gate_is_a_condition_with_a_fail_step(steps) -> None:
    gate = steps["Register-QualityGate"]
    (condition,) = gate["Arguments"]["Conditions"]
    assert condition["Type"] == "LessThanOrEqualTo" and condition["RightValue"] == 2.5
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "regression_metrics.mse.value"
    assert [s["Name"] for s in gate["Arguments"]["IfSteps"]] == ["Register"]
    (fail,) = gate["Arguments"]["ElseSteps"]
    assert fail["Type"] == "Fail" and "regression_metrics.mse.value" in json.dumps(fail["Arguments"])
    assert steps["Evaluate"]["PropertyFiles"] == [
        {"PropertyFileName": "Evaluate-report", "OutputName": "evaluation", "FilePath": "model_evaluation_metrics.json"}
    ]


def test_retry_policy_keeps_each_exception_type(steps) -> None:
    assert steps["Prep"]["RetryPolicies"] == [
        {"BackoffRate": 2.0, "IntervalSeconds": 2, "MaxAttempts": 5, "ExceptionType": ["Step.THROTTLING"]},
        {"BackoffRate": 2.0, "IntervalSeconds": 2, "MaxAttempts": 5, "ExceptionType": ["SageMaker.CAPACITY_ERROR"]},
    ]


def test_every_job_runs_with_the_bindings(steps) -> None:
    """VPC, KMS on volumes and outputs, inter-container encryption, the role: on every job."""
    b = InfraBindings.from_settings.__func__  # noqa: F841 (documents where the placeholders come from)
    prep, train, score = (steps[n]["Arguments"] for n in ("Prep", "Train", "Score"))
    for args in (prep, steps["Evaluate"]["Arguments"]):
        assert args["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert args["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-0000000000000a001", "subnet-0000000000000a002"]
        assert args["ProcessingOutputConfig"]["KmsKeyId"].startswith("arn:aws:kms:")
        assert args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"].startswith("arn:aws:kms:")
    assert train["EnableInterContainerTrafficEncryption"] is True and train["VpcConfig"]["SecurityGroupIds"]
    assert train["OutputDataConfig"]["KmsKeyId"] and train["ResourceConfig"]["VolumeKmsKeyId"]
    assert score["TransformOutput"]["KmsKeyId"] and score["TransformResources"]["VolumeKmsKeyId"]
    assert steps["Model"]["Arguments"]["VpcConfig"]["Subnets"]
    assert steps["Register"]["Arguments"]["SecurityConfig"]["KmsKeyId"].startswith("arn:aws:kms:")


def test_environment_settings_replace_placeholders() -> None:
    env = {
        "SMP_S3BUCKETNAME": "my-bucket",
        "SMP_ROLE": "arn:aws:iam::123456789012:role/Exec",
        "SMP_SUBNETS": "subnet-0123abcd",
        "SMP_SECURITYGROUPS": "sg-0123abcd",
        "SMP_ACCOUNTID": "123456789012",
        "SMP_REGION": "eu-west-1",
        "SMP_KMSKEY": "alias/ml",
    }
    compiled = compile_globs(["conf.yaml"], SEMANTICS, env)
    assert "placeholder" not in compiled.definition and "0000000000000a00" not in compiled.definition
    assert "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sk:1" in compiled.definition
    assert compiled.manifest()["placeholders"] == {}


def test_compiling_is_deterministic_and_offline(monkeypatch, compiled) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access while compiling: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    again = compile_globs(["conf.yaml"], SEMANTICS)
    assert again.definition == compiled.definition
    assert again.assets == compiled.assets


def test_asset_placeholders_keep_real_file_names(compiled) -> None:
    names = sorted(a.object_name for a in compiled.assets)
    assert names == ["runproc.sh", "runproc.sh", "sourcedir.tar.gz", "validation.csv"]
    for asset in compiled.assets:
        assert asset.placeholder_uri in compiled.definition


def test_definition_over_the_api_limit_is_a_clear_error(monkeypatch) -> None:
    from constructs_lib.compiler import facade

    monkeypatch.setattr(facade, "DEFINITION_LIMIT", 1000)
    with pytest.raises(ConfigError) as info:
        compile_globs(["conf.yaml"], SEMANTICS)
    assert "over SageMaker's limit of 1,000" in str(info.value)


def test_missing_script_is_reported_with_its_key(tmp_path) -> None:
    import shutil

    shutil.copytree(SEMANTICS, tmp_path / "p")
    (tmp_path / "p" / "scripts" / "evaluate.py").unlink()
    with pytest.raises(ConfigError) as info:
        compile_globs(["conf.yaml"], tmp_path / "p")
    (problem,) = info.value.problems
    assert problem.key_path == "conf.models.m.evaluate.entry_point" and "scripts/evaluate.py" in problem.message


def test_definition_command_is_byte_identical_across_runs(tmp_path, monkeypatch) -> None:
    from constructs_lib.cli import main

    monkeypatch.chdir(ROOT)
    for name in ("a", "b"):
        assert main(["definition", "--out", str(tmp_path / name / "def.json")]) == 0
    for suffix in ("def.json", "def.json.assets.json"):
        assert (tmp_path / "a" / suffix).read_bytes() == (tmp_path / "b" / suffix).read_bytes()
