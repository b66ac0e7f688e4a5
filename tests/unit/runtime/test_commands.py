"""The start/status commands end to end with a fake client: exit codes, messages, resume hints."""

from __future__ import annotations

import argparse

import pytest

from constructs_lib.runtime import cli_commands, progress
from constructs_lib.runtime.cli_commands import COMMANDS, add_parsers
from tests.conftest import FIXTURES
from tests.unit.runtime.fakes import ARN, FakeClient, execution, step
from tests.unit.runtime.test_progress import FAILED_STATES, FAILED_STEPS, SUCCESS_STATES, SUCCESS_STEPS

CONFIG = str(FIXTURES / "runtime" / "model_repos" / "*" / "conf" / "conf.yaml")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path) -> FakeClient:
    monkeypatch.chdir(tmp_path)  # the repo's own model_repos/ must not matter
    fake = FakeClient(SUCCESS_STATES, SUCCESS_STEPS, pipelines=("churn", "churn-runtime-test"))
    monkeypatch.setattr("constructs_lib.runtime.client.make_client", lambda region, endpoint: fake)
    return fake


def run(argv: list[str]) -> int:
    args = parse(argv)
    return COMMANDS[args.command](args)


def test_start_prints_the_arn(client, capsys) -> None:
    assert run(["start", "--pipeline", "churn", "--param", "InstanceCount=2"]) == 0
    out, err = capsys.readouterr()
    assert out == ARN + "\n"
    assert client.started == [("churn", {"InstanceCount": "2"})]
    assert f"follow it with: python -m constructs_lib status --execution {ARN} --wait" in err


def test_start_wait_succeeded(client, capsys) -> None:
    assert run(["start", "--pipeline", "churn", "--wait", "--poll-seconds", "0.001"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ARN
    assert "step Train: Succeeded 16s" in out and out.splitlines()[-1] == "execution Succeeded after 30s"


def test_start_wait_failed_prints_the_reason(client, capsys) -> None:
    client.states, client.steps = FAILED_STATES, FAILED_STEPS
    assert run(["start", "--pipeline", "churn", "--wait", "--poll-seconds", "0.001"]) == 1
    err = capsys.readouterr().err
    assert "execution Failed: Step failure: One or more steps failed." in err
    assert "step Train Failed: ClientError: AlgorithmError: exit 1" in err


def test_start_wait_stopped_is_exit_1(client, capsys) -> None:
    client.states, client.steps = [execution("Stopping"), execution("Stopped", modified=5)], None
    assert run(["start", "--pipeline", "churn", "--wait", "--poll-seconds", "0.001"]) == 1
    assert "execution Stopped: no reason given by SageMaker" in capsys.readouterr().err


def test_wait_timeout(client, capsys) -> None:
    client.states = [execution("Executing")]
    assert run(["status", "--pipeline", "churn", "--wait", "--poll-seconds", "0.01", "--timeout", "0.05"]) == 124
    err = capsys.readouterr().err
    assert "still Executing after --timeout 0s; the execution keeps running" in err
    assert f"Resume with: python -m constructs_lib status --execution {ARN} --wait" in err


def test_ctrl_c_stops_following_not_the_execution(client, capsys, monkeypatch) -> None:
    client.states = [execution("Executing")]

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_commands, "follow", lambda *a, **k: progress.follow(*a, **k, sleep=interrupted))
    assert run(["start", "--pipeline", "churn", "--wait"]) == 130
    err = capsys.readouterr().err
    assert "stopped following; the execution keeps running" in err
    assert f"status --execution {ARN} --wait" in err


def test_live_view_on_a_terminal(client, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm")
    assert run(["status", "--pipeline", "churn", "--wait", "--poll-seconds", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out and "Register  Succeeded" in out


def test_unknown_pipeline_lists_closest(client, capsys) -> None:
    assert run(["start", "--pipeline", "chrun"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["start: pipeline 'chrun' not found in us-east-1 (did you mean 'churn'?)"]


def test_unknown_parameter(client, capsys) -> None:
    assert run(["start", "--pipeline", "churn", "--param", "instancecount=2"]) == 2
    assert "did you mean 'InstanceCount'?" in capsys.readouterr().err
    assert client.started == []


def test_default_pipeline_from_config_with_types(client, capsys) -> None:
    client.parameters = None  # definition unreadable: the config's types decide
    assert run(["start", "--config", CONFIG, "--param", "ProcessingInstanceCount=x"]) == 2
    err = capsys.readouterr().err
    assert "could not be read" in err and "ProcessingInstanceCount is an Integer parameter" in err
    assert run(["start", "--config", CONFIG, "--param", "ProcessingInstanceCount=4"]) == 0
    assert client.started == [("churn-runtime-test", {"ProcessingInstanceCount": "4"})]


def test_default_pipeline_not_deployed_says_where_the_name_comes_from(client, capsys) -> None:
    client.pipelines = ["something-else"]
    assert run(["status", "--config", CONFIG]) == 2
    err = capsys.readouterr().err
    assert "pipeline 'churn-runtime-test' not found" in err
    assert "sagemakerPipeline.pipelineName in" in err and "or pass --pipeline" in err


def test_broken_config_is_reported(client, capsys, tmp_path) -> None:
    bad = tmp_path / "conf.yaml"
    bad.write_text("conf:\n  models: {}\n")
    assert run(["start", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "problem" in err and "Traceback" not in err and "--pipeline" in err


def test_status_latest(client, capsys) -> None:
    client.states, client.steps = SUCCESS_STATES[3:], SUCCESS_STEPS[3:]
    assert run(["status", "--pipeline", "churn"]) == 0
    out = capsys.readouterr().out
    assert f"execution   {ARN}" in out and "status      Succeeded" in out and "InstanceCount=3" in out


def test_status_no_executions(client, capsys) -> None:
    client.states = []
    assert run(["status", "--pipeline", "churn"]) == 0
    assert "has no executions yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["status", "--execution", "nope"], "is not a pipeline execution ARN"),
        (["status", "--execution", ARN, "--pipeline", "other"], "belongs to pipeline 'churn'"),
        (["status", "--execution", ARN, "--region", "eu-west-1"], "is in us-east-1, but --region is eu-west-1"),
        (["status", "--execution", ARN[:-1] + "X"], "not found in us-east-1 (show the latest with"),
        (["start", "--pipeline", "bad_name"], "is not a valid pipeline name"),
        (["start", "--pipeline", "churn", "--param", "A"], "expected NAME=VALUE"),
    ],
)
def test_user_errors(client, capsys, argv, words) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "--poll-seconds", "0"],
        ["start", "--timeout", "-1"],
        ["status", "--endpoint-url", "localhost:5000"],
        # plain http (signed requests in clear text) only to this machine
        ["status", "--endpoint-url", "http://sagemaker.example.com"],
        ["status", "--endpoint-url", "http://10.0.0.5:5000"],
        ["status", "--endpoint-url", "http://localhost.example.com:5000"],
    ],
)
def test_bad_options_are_argparse_errors(argv, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000",
        "http://localhost:5000",
        "http://[::1]:5000",
        "http://127.8.9.10",
        "https://sagemaker.example.com",
        "https://vpce.example.com:443",
    ],
)
def test_endpoint_url_over_http_only_to_loopback(url) -> None:
    assert parse(["status", "--endpoint-url", url]).endpoint_url == url


def test_step_states_in_status(client, capsys) -> None:
    client.states = [execution("Executing")]
    client.steps = [(step("Prep", "Succeeded", 1, 12, cache_hit=True), step("Train", "Executing", 13))]
    assert run(["status", "--pipeline", "churn"]) == 0
    out = capsys.readouterr().out
    assert "steps        2 started of 3" in out
    assert any(line.split()[:2] == ["Prep", "Succeeded"] and "(cached)" in line for line in out.splitlines())
    assert any(line.split()[:2] == ["Register", "Pending"] for line in out.splitlines())


def test_several_configured_pipelines_need_pipeline(client, capsys, monkeypatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)  # the two_pipelines fixture's script paths are relative to the repository
    monkeypatch.delenv("SMP_MODEL_CONFIGPATH", raising=False)
    two = "tests/fixtures/two_pipelines/*.yaml"
    client.pipelines = ["churn-pipeline", "customer-ltv"]
    assert run(["start", "--config", two]) == 2
    assert "2 pipelines here: churn-pipeline, customer-ltv (choose one with --pipeline NAME)" in capsys.readouterr().err
    client.parameters = None  # definition unreadable: customer-ltv's config decides the parameters
    assert run(["start", "--config", two, "--pipeline", "customer-ltv", "--param", "Nope=1"]) == 2
    assert "unknown parameter" in capsys.readouterr().err.lower()
    assert (
        run(["start", "--config", two, "--pipeline", "customer-ltv", "--param", "TrainingInstanceType=ml.m5.xlarge"])
        == 0
    )
    assert client.started == [("customer-ltv", {"TrainingInstanceType": "ml.m5.xlarge"})]
