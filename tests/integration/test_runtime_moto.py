"""``start`` and ``status`` against a real moto server (server mode, 127.0.0.1, a free port, stopped at the end).

The server runs in a thread of this process; the commands talk to it over HTTP through ``--endpoint-url``
with fake credentials from the environment, exactly as they would talk to SageMaker. The last test pins what
moto does not emulate (documented in ``constructs_lib/runtime/__init__.py``), so a moto upgrade that changes
it is noticed.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import time

import pytest

from constructs_lib.runtime.cli_commands import COMMANDS, add_parsers
from tests.conftest import FIXTURES

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

RUNTIME = FIXTURES / "runtime"
DEFINITION = (RUNTIME / "definition.json").read_text(encoding="utf-8")
CONFIG = str(RUNTIME / "model_repos" / "*" / "conf" / "conf.yaml")
PIPELINE = "churn-runtime-test"  # the fixture config's pipelineName
OTHER = "ltv-nightly"  # a second pipeline, for "did you mean"
FROM_S3 = "definition-from-s3"  # created from PipelineDefinitionS3Location
ROLE = "arn:aws:iam::123456789012:role/churn-runtime-test-execution"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url():
    """A moto server on 127.0.0.1 and a free port, with the test pipelines; stopped after the session."""
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.CRITICAL)  # moto logs a traceback for every unimplemented call
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        sagemaker = _client(url)
        for name in (PIPELINE, OTHER):
            sagemaker.create_pipeline(
                PipelineName=name,
                PipelineDefinition=DEFINITION,
                RoleArn=ROLE,
                PipelineDescription="runtime test pipeline",
            )
        s3 = boto3.client(
            "s3", endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        s3.create_bucket(Bucket="runtime-test-definitions")
        s3.put_object(Bucket="runtime-test-definitions", Key="definition.json", Body=DEFINITION.encode())
        sagemaker.create_pipeline(
            PipelineName=FROM_S3,
            RoleArn=ROLE,
            PipelineDefinitionS3Location={"Bucket": "runtime-test-definitions", "ObjectKey": "definition.json"},
        )
        yield url
    finally:
        server.stop()
        werkzeug_log.setLevel(level)


def _client(url: str):
    return boto3.client(
        "sagemaker", endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def sm(moto_url):
    return _client(moto_url)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Fake credentials and region; the developer's AWS files and profile are never read."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SAGEMAKER",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # moto answers unimplemented calls with HTTP 500: don't retry
    monkeypatch.chdir(tmp_path)  # no model_repos/ here unless a test says so


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return COMMANDS[args.command](args)


def executions(sm, pipeline: str = PIPELINE) -> list[str]:
    return [
        s["PipelineExecutionArn"]
        for s in sm.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]
    ]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_start_creates_an_execution_with_the_parameters(moto_url, sm, capsys) -> None:
    code = run(
        "start",
        "--pipeline",
        PIPELINE,
        "--endpoint-url",
        moto_url,
        "--param",
        "ProcessingInstanceCount=3",
        "--param",
        "InputDataUrl=s3://other-bucket/raw.csv",
        "--param",
        "SkipRegistration=True",
        "--param",
        "TrainTestSplit=0.3",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    arn = out.strip()
    assert arn.startswith(f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/{PIPELINE}/execution/")
    assert arn in executions(sm)
    assert sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineArn"].endswith(f"pipeline/{PIPELINE}")
    sent = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    assert {p["Name"]: p["Value"] for p in sent} == {
        "ProcessingInstanceCount": "3",
        "InputDataUrl": "s3://other-bucket/raw.csv",
        "SkipRegistration": "true",
        "TrainTestSplit": "0.3",
    }
    assert f"status --execution {arn} --endpoint-url {moto_url} --wait" in err


def test_default_pipeline_name_comes_from_the_config(moto_url, sm, capsys, monkeypatch) -> None:
    monkeypatch.chdir(RUNTIME)  # holds model_repos/churn/conf/conf.yaml, the default config path
    assert run("start", "--endpoint-url", moto_url, "--param", "ProcessingInstanceType=ml.c5.xlarge") == 0
    arn = capsys.readouterr().out.strip()
    assert arn in executions(sm, PIPELINE)
    assert sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"] == [
        {"Name": "ProcessingInstanceType", "Value": "ml.c5.xlarge"}
    ]


def test_unknown_pipeline_names_the_closest(moto_url, capsys) -> None:
    assert run("start", "--pipeline", "churn-runtime-tset", "--endpoint-url", moto_url) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line == (f"start: pipeline 'churn-runtime-tset' not found in {REGION} (did you mean '{PIPELINE}'?)")
    assert run("status", "--pipeline", "nothing-like-it", "--endpoint-url", moto_url) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"valid pipelines in {REGION}: {PIPELINE}, {FROM_S3}, {OTHER}" in line


def test_unknown_parameter_did_you_mean(moto_url, sm, capsys) -> None:
    before = executions(sm)
    assert run("start", "--pipeline", PIPELINE, "--endpoint-url", moto_url, "--param", "ProcessingInstanceCnt=2") == 2
    line = one_error_line(capsys.readouterr().err)
    assert "unknown parameter 'ProcessingInstanceCnt'" in line and "did you mean 'ProcessingInstanceCount'" in line
    assert executions(sm) == before  # nothing was started


@pytest.mark.parametrize(
    "param, words",
    [
        ("ProcessingInstanceCount=abc", "ProcessingInstanceCount is an Integer parameter (give a whole number"),
        ("TrainTestSplit=half", "TrainTestSplit is a Float parameter"),
        ("SkipRegistration=maybe", "SkipRegistration is a Boolean parameter (give true or false)"),
        ("ProcessingInstanceCount", "bad --param 'ProcessingInstanceCount': expected NAME=VALUE"),
    ],
)
def test_bad_values(moto_url, sm, capsys, param, words) -> None:
    before = executions(sm)
    assert run("start", "--pipeline", PIPELINE, "--endpoint-url", moto_url, "--param", param) == 2
    assert words in one_error_line(capsys.readouterr().err)
    assert executions(sm) == before


def test_parameters_of_a_definition_stored_in_s3(moto_url, sm, capsys) -> None:
    # moto returns such a definition as a Python repr, not JSON: it is still read
    assert run("start", "--pipeline", FROM_S3, "--endpoint-url", moto_url, "--param", "ProcessingInstanceCount=x") == 2
    assert "is an Integer parameter" in one_error_line(capsys.readouterr().err)


def test_config_declares_a_parameter_the_deployed_pipeline_lacks(moto_url, sm, capsys, tmp_path) -> None:
    conf = (RUNTIME / "model_repos" / "churn" / "conf" / "conf.yaml").read_text()
    conf = conf.replace("    parameters:\n", "    parameters:\n      - name: NewParameter\n        default: x\n")
    (tmp_path / "conf.yaml").write_text(conf)
    code = run(
        "start", "--config", str(tmp_path / "conf.yaml"), "--endpoint-url", moto_url, "--param", "NewParameter=y"
    )
    assert code == 2
    line = one_error_line(capsys.readouterr().err)
    assert "declares it, but the deployed pipeline 'churn-runtime-test' does not (deploy the current config" in line


def test_no_credentials(moto_url, capsys, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert run("start", "--pipeline", PIPELINE, "--endpoint-url", moto_url) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("start: no AWS credentials found (set AWS_PROFILE")


def test_no_region(moto_url, capsys, monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert run("status", "--pipeline", PIPELINE, "--endpoint-url", moto_url) == 2
    assert one_error_line(capsys.readouterr().err).startswith("status: no AWS region set (pass --region")


def test_endpoint_unreachable(capsys) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run("start", "--pipeline", PIPELINE, "--endpoint-url", f"http://127.0.0.1:{port}") == 2
    line = one_error_line(capsys.readouterr().err)
    assert line == f"start: cannot reach http://127.0.0.1:{port}/ (is the endpoint running? check --endpoint-url)"


def test_status_shows_the_latest_and_a_given_execution(moto_url, sm, capsys) -> None:
    assert run("start", "--pipeline", OTHER, "--endpoint-url", moto_url, "--param", "ProcessingInstanceCount=5") == 0
    first = capsys.readouterr().out.strip()
    time.sleep(0.01)  # moto keeps StartTime to the millisecond
    assert run("start", "--pipeline", OTHER, "--endpoint-url", moto_url) == 0
    latest = capsys.readouterr().out.strip()

    assert run("status", "--pipeline", OTHER, "--endpoint-url", moto_url) == 0
    out, err = capsys.readouterr()
    assert f"execution   {latest}" in out and "status      Succeeded" in out and "parameters  (all defaults)" in out
    assert "steps       unavailable (ListPipelineExecutionSteps:" in out and err == ""

    assert run("status", "--execution", first, "--endpoint-url", moto_url) == 0
    out = capsys.readouterr().out
    assert f"execution   {first}" in out and "parameters  ProcessingInstanceCount=5" in out

    missing = first.rsplit("/", 1)[0] + "/doesnotexist"
    assert run("status", "--execution", missing, "--endpoint-url", moto_url) == 2
    assert "not found" in one_error_line(capsys.readouterr().err)


def test_wait_follows_to_the_end(moto_url, capsys) -> None:
    # moto marks an execution Succeeded as soon as it starts, so the follow loop ends at the first poll
    started = time.monotonic()
    code = run(
        "start",
        "--pipeline",
        PIPELINE,
        "--endpoint-url",
        moto_url,
        "--wait",
        "--poll-seconds",
        "0.05",
        "--timeout",
        "5",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert time.monotonic() - started < 5
    lines = out.strip().splitlines()
    assert lines[0].startswith("arn:aws:sagemaker:")
    assert out.count("step details unavailable") == 1
    assert lines[-2].endswith(f"execution {lines[0].rsplit('/', 1)[1]}: Succeeded")
    assert lines[-1].startswith("execution Succeeded after")

    assert run("status", "--execution", lines[0], "--endpoint-url", moto_url, "--wait", "--timeout", "1") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("execution Succeeded")


def test_what_moto_does_not_emulate(moto_url, sm) -> None:
    """The facts in constructs_lib/runtime/__init__.py's docstring."""
    from botocore.exceptions import ClientError

    arn = sm.start_pipeline_execution(
        PipelineName=PIPELINE,
        PipelineParameters=[
            {"Name": "NoSuchParameter", "Value": "x"},
            {"Name": "ProcessingInstanceCount", "Value": "abc"},
        ],
    )["PipelineExecutionArn"]
    # no parameter validation, no run: the execution is Succeeded at once, with no failure reason
    described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["PipelineExecutionStatus"] == "Succeeded" and described["FailureReason"] == ""
    # the operations the runtime commands would use for steps, stopping and retrying are not implemented
    for call in (
        lambda: sm.list_pipeline_execution_steps(PipelineExecutionArn=arn),
        lambda: sm.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="a" * 32),
        lambda: sm.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="b" * 32),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    # an unknown pipeline is a ValidationException (real SageMaker: ResourceNotFound)
    with pytest.raises(ClientError) as info:
        sm.describe_pipeline(PipelineName="no-such-pipeline")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    # list_pipeline_executions ignores SortOrder and MaxResults: oldest first, all of them
    page = sm.list_pipeline_executions(
        PipelineName=PIPELINE, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
    )
    starts = [s["StartTime"] for s in page["PipelineExecutionSummaries"]]
    assert len(starts) > 1 and starts == sorted(starts)
    assert page["PipelineExecutionSummaries"][0]["PipelineExecutionFailureReason"] == "None"
    # any string is accepted as a definition; an S3-stored one comes back as a Python repr
    assert sm.describe_pipeline(PipelineName=FROM_S3)["PipelineDefinition"].startswith("{'Version': ")
    # a start without parameters lists none (defaults are not filled in)
    bare = sm.start_pipeline_execution(PipelineName=PIPELINE)["PipelineExecutionArn"]
    assert sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=bare).get("PipelineParameters", []) == []
    assert json.loads(sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=bare)["PipelineDefinition"])


def test_bundled_pipeline_compiled_by_us_starts_with_overrides(moto_url, sm, capsys, monkeypatch) -> None:
    """The real thing: our compiled definition of model_repos/ is created in moto, then started by name from
    the bundled config, with a parameter override checked against both."""
    from constructs_lib.compiler.facade import compile_pipeline
    from constructs_lib.config.loader import load_project
    from constructs_lib.graph.builder import build_graph
    from tests.conftest import ROOT

    project = load_project(None, cwd=ROOT, environ={})
    compiled = compile_pipeline(project, build_graph(project))
    sm.create_pipeline(PipelineName=project.pipeline.pipelineName, PipelineDefinition=compiled.definition, RoleArn=ROLE)
    monkeypatch.chdir(ROOT)
    assert run("start", "--endpoint-url", moto_url, "--param", "TrainingInstanceType=ml.m5.xlarge") == 0
    arn = capsys.readouterr().out.strip()
    assert arn in executions(sm, "customer-churn-ltv")
    assert sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"] == [
        {"Name": "TrainingInstanceType", "Value": "ml.m5.xlarge"}
    ]
    assert run("start", "--endpoint-url", moto_url, "--param", "TrainingInstanceTyp=ml.m5.xlarge") == 2
    assert "did you mean 'TrainingInstanceType'" in capsys.readouterr().err
