"""An app with two pipelines (tests/fixtures/two_pipelines, sharing the churn model): one stack per pipeline,
synthesized offline with the cdk-nag gate of app.py, cfn-lint and checkov at zero.

One session-scoped synth (in this process, through the same ``build_app`` wiring as app.py) serves every test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

GLOB = "tests/fixtures/two_pipelines/*.yaml"


def _context() -> dict:
    from tests.security import cdk_context

    context = cdk_context()
    context.pop("environments", None)
    context.pop("delivery", None)
    return {**context, "modelConfigPath": GLOB}


@pytest.fixture(scope="session")
def cdk_out(tmp_path_factory) -> Path:
    import os

    import aws_cdk as cdk

    from constructs_lib.app_wiring import build_pipeline_stacks

    out = tmp_path_factory.mktemp("two-pipelines")
    previous = Path.cwd()
    saved = os.environ.pop("SMP_MODEL_CONFIGPATH", None)
    os.chdir(ROOT)
    try:
        app = cdk.App(context=_context(), outdir=str(out))
        stacks = build_pipeline_stacks(app)  # registers the cdk-nag gate: a finding makes synth raise
        assert sorted(stacks) == ["churn-pipeline", "customer-ltv"]
        app.synth()
    finally:
        os.chdir(previous)
        if saved is not None:
            os.environ["SMP_MODEL_CONFIGPATH"] = saved
    return out


def _template(cdk_out: Path, stack: str) -> dict:
    return json.loads((cdk_out / f"{stack}.template.json").read_text())


def test_one_stack_per_pipeline_each_holding_its_pipeline(cdk_out) -> None:
    assert sorted(p.name for p in cdk_out.glob("*.template.json")) == [
        "churn-pipeline-stack.template.json",
        "customer-ltv-stack.template.json",
    ]
    for name in ("churn-pipeline", "customer-ltv"):
        resources = _template(cdk_out, f"{name}-stack")["Resources"].values()
        (pipeline,) = [r for r in resources if r["Type"] == "AWS::SageMaker::Pipeline"]
        assert pipeline["Properties"]["PipelineName"] == name


def test_model_package_groups_are_per_pipeline(cdk_out) -> None:
    """The shared churn model registers only in churn-pipeline; no group is created by two stacks."""
    groups = {
        stack: sorted(
            r["Properties"]["ModelPackageGroupName"]
            for r in _template(cdk_out, f"{stack}-stack")["Resources"].values()
            if r["Type"] == "AWS::SageMaker::ModelPackageGroup"
        )
        for stack in ("churn-pipeline", "customer-ltv")
    }
    assert groups == {"churn-pipeline": ["churn-pipeline-churn"], "customer-ltv": ["customer-ltv-ltv"]}


def test_nag_gate_passed(cdk_out) -> None:
    report = cdk_out / "validation-report.json"
    assert not report.exists() or json.loads(report.read_text())["pluginReports"] == []


def test_cfn_lint_and_checkov_find_nothing(cdk_out) -> None:
    from tests.security import run_cfn_lint, run_checkov

    for template in sorted(cdk_out.glob("*.template.json")):
        assert run_cfn_lint(template) == [], template.name
        assert run_checkov(template) == [], template.name


def test_stack_name_context_with_several_pipelines_is_refused(monkeypatch) -> None:
    import aws_cdk as cdk

    from constructs_lib.app_wiring import build_app
    from constructs_lib.errors import ConfigError

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SMP_MODEL_CONFIGPATH", raising=False)
    app = cdk.App(context={**_context(), "stackName": "one"})
    with pytest.raises(ConfigError) as info:
        build_app(app)
    assert [p.format() for p in info.value.errors] == [
        "cdk.json: context.stackName: names one stack, but the config files define 2 pipelines: churn-pipeline, "
        'customer-ltv (use context stackNames: {"<pipelineName>": "<stackName>", ...})'
    ]


def test_compile_problems_in_the_app_name_the_pipeline(monkeypatch) -> None:
    """A problem raised while a stack compiles its pipeline (stand-in: a stack that raises) says which."""
    import aws_cdk as cdk

    from constructs_lib import app_wiring
    from constructs_lib.errors import ConfigError, Problem

    def failing_stack(*args, project, **kwargs):
        raise ConfigError([Problem("x.yaml", 1, 1, "conf.models.churn", "cannot compile")])

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SMP_MODEL_CONFIGPATH", raising=False)
    monkeypatch.setattr(app_wiring, "MlPipelineStack", failing_stack)
    with pytest.raises(ConfigError) as info:
        app_wiring.build_app(cdk.App(context=_context()))
    assert [p.message for p in info.value.errors] == [
        "pipeline churn-pipeline: cannot compile",
        "pipeline customer-ltv: cannot compile",
    ]
