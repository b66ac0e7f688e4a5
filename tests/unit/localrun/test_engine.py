"""The runner on small hand-written definitions (shell one-liners as jobs): branches, parameters, failures,
--keep-going, the cache, bad input. In process, through the CLI's own entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_lib.cli import main
from tests.unit.localrun.test_sandbox import ISOLATION

pytestmark = pytest.mark.skipif(ISOLATION is None, reason="no mount namespace available to this user")
BUCKET = "s3://unit-bucket"


def processing(name: str, command: str, source: object = None, cache: bool = False) -> dict:
    args: dict = {
        "AppSpecification": {"ImageUri": "local", "ContainerEntrypoint": ["/bin/sh", "-c", command]},
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": {
                            "Std:Join": {"On": "/", "Values": [BUCKET, {"Get": "Execution.PipelineExecutionId"}, name]}
                        },
                        "LocalPath": "/opt/ml/processing/output/out",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    }
    if source is not None:
        args["ProcessingInputs"] = [
            {
                "InputName": "in",
                "S3Input": {
                    "S3Uri": source,
                    "LocalPath": "/opt/ml/processing/input/in",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ]
    step = {"Name": name, "Type": "Processing", "Arguments": args}
    if cache:
        step["CacheConfig"] = {"Enabled": True, "ExpireAfter": "P1D"}
    return step


def output_of(name: str) -> dict:
    return {"Get": f"Steps.{name}.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri"}


def run(tmp_path: Path, steps: list[dict], *extra: str, parameters=(), name="unit") -> tuple[int, dict]:
    definition = tmp_path / f"{name}.json"
    definition.write_text(json.dumps({"Version": "2020-12-01", "Parameters": list(parameters), "Steps": steps}))
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    code = main(
        ["run", "--definition", str(definition), "--workdir", str(tmp_path / "work"), "--report", str(report), *extra]
    )
    return code, json.loads(report.read_text()) if report.exists() else {}


def statuses(report: dict) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["steps"]}


WRITE = "mkdir -p /opt/ml/processing/output/out && echo {} > /opt/ml/processing/output/out/v.txt"
THRESHOLD = [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}]


def gate() -> list[dict]:
    """A metrics step writes 0.7; the gate compares it with the Threshold parameter."""
    report = {"Get": "Steps.Metrics.PropertyFiles.report"}
    metrics = processing(
        "Metrics",
        'mkdir -p /opt/ml/processing/output/out && echo \'{"m": {"v": 0.7}}\' > /opt/ml/processing/output/out/r.json',
    )
    metrics["PropertyFiles"] = [{"PropertyFileName": "report", "OutputName": "out", "FilePath": "r.json"}]
    value = {"Std:JsonGet": {"PropertyFile": report, "Path": "m.v"}}
    return [
        metrics,
        {
            "Name": "Gate",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {"Type": "GreaterThanOrEqualTo", "LeftValue": value, "RightValue": {"Get": "Parameters.Threshold"}}
                ],
                "IfSteps": [processing("Publish", WRITE.format("published"))],
                "ElseSteps": [
                    {
                        "Name": "Stop",
                        "Type": "Fail",
                        "Arguments": {
                            "ErrorMessage": {
                                "Std:Join": {
                                    "On": " ",
                                    "Values": ["metric", value, "below", {"Get": "Parameters.Threshold"}],
                                }
                            }
                        },
                    }
                ],
            },
        },
    ]


def test_gate_takes_each_branch_by_parameter(tmp_path, capsys) -> None:
    code, report = run(tmp_path, gate(), parameters=THRESHOLD)
    assert code == 0 and statuses(report) == {
        "Metrics": "Succeeded",
        "Gate": "Succeeded",
        "Publish": "Succeeded",
        "Stop": "NotRun",
    }
    code, report = run(tmp_path, gate(), "--param", "Threshold=0.9", parameters=THRESHOLD)
    assert code == 1 and statuses(report) == {
        "Metrics": "Succeeded",
        "Gate": "Succeeded",
        "Publish": "NotRun",
        "Stop": "Failed",
    }
    assert "step Stop Failed: metric 0.7 below 0.9" in capsys.readouterr().err


def test_bad_parameter_value_is_exit_2(tmp_path, capsys) -> None:
    code, report = run(tmp_path, gate(), "--param", "Threshold=high", parameters=THRESHOLD)
    assert code == 2 and report == {}
    assert "Threshold is a Float parameter" in capsys.readouterr().err
    assert not (tmp_path / "work" / "executions").exists()


def test_keep_going_runs_what_does_not_depend_on_the_failure(tmp_path, capsys) -> None:
    steps = [
        processing("A", "echo broken >&2; exit 3"),
        processing("B", WRITE.format("b")),
        processing("C", WRITE.format("c"), source=output_of("A")),
    ]
    code, report = run(tmp_path, steps, "--jobs", "1")
    assert code == 1 and statuses(report) == {"A": "Failed", "B": "NotRun", "C": "NotRun"}
    err = capsys.readouterr().err
    assert "step A Failed: AlgorithmError: /bin/sh -c echo broken >&2; exit 3 exited with code 3: broken" in err
    code, report = run(tmp_path, steps, "--jobs", "1", "--keep-going")
    assert code == 1 and statuses(report) == {"A": "Failed", "B": "Succeeded", "C": "NotRun"}


def test_cache_follows_the_content_of_inputs(tmp_path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.txt").write_text("1\n")
    copy = (
        "mkdir -p /opt/ml/processing/output/out && cp /opt/ml/processing/input/in/x.txt /opt/ml/processing/output/out/"
    )
    steps = [
        processing("Copy", copy, source=f"{BUCKET}/raw", cache=True),
        processing("Next", copy, source=output_of("Copy"), cache=True),
    ]
    flags = ("--data", f"{BUCKET}/raw={data}")
    cached = [[s["cached"] for s in run(tmp_path, steps, *flags)[1]["steps"]] for _ in range(2)]
    assert cached == [[False, False], [True, True]]
    (data / "x.txt").write_text("2\n")  # new content under the same URI: a miss, and downstream too
    assert [s["cached"] for s in run(tmp_path, steps, *flags)[1]["steps"]] == [False, False]
    assert [s["cached"] for s in run(tmp_path, steps, *flags, "--no-cache")[1]["steps"]] == [False, False]


def test_unsupported_and_missing_inputs_run_nothing(tmp_path, capsys) -> None:
    code, _ = run(tmp_path, [{"Name": "L", "Type": "Lambda", "Arguments": {}}])
    assert code == 2 and "type 'Lambda' is not supported by the local runner" in capsys.readouterr().err
    code, _ = run(tmp_path, [processing("A", "true", source=f"{BUCKET}/nowhere/data")])
    err = capsys.readouterr().err
    assert code == 2 and f"{BUCKET}/nowhere/data is not available locally" in err
    assert f"--data {BUCKET}/nowhere=LOCAL_DIR" in err
    assert not (tmp_path / "work" / "executions").exists()


def test_one_run_per_work_dir(tmp_path, capsys) -> None:
    import fcntl

    (tmp_path / "work").mkdir()
    with open(tmp_path / "work" / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _ = run(tmp_path, [processing("A", "true")])
    assert code == 2 and "is in use by another run" in capsys.readouterr().err
    assert run(tmp_path, [processing("A", "true")])[0] == 0
