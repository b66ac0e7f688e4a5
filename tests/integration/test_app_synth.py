"""The real app, synthesized the way users do it: the pinned CDK CLI, offline, twice.

One session-scoped pair of synths serves every test here (each takes ~15 s). With root and `unshare`
available (as on CI) the CLI runs in a network namespace with no interface: any network access fails.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def _offline_prefix() -> list[str]:
    if os.geteuid() == 0 and shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return ["unshare", "-n"]
    return []


def _synth(outdir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SMP_"))}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(outdir.parent / "home"),
    )
    (outdir.parent / "home").mkdir(exist_ok=True)
    return subprocess.run(
        [
            *_offline_prefix(),
            str(CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "--no-version-reporting",
            "--output",
            str(outdir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def synths(tmp_path_factory):
    if not CDK.exists():
        pytest.fail("the pinned CDK CLI is missing: run ./dev setup")
    base = tmp_path_factory.mktemp("synth")
    results = [(_synth(base / name), base / name) for name in ("first", "second")]
    for result, _ in results:
        assert result.returncode == 0, result.stderr[-3000:]
    return results


@pytest.fixture(scope="session")
def cdk_out(synths) -> Path:
    return synths[0][1]


def _stack_templates(cdk_out: Path) -> list[Path]:
    return sorted(cdk_out.glob("*.template.json")) + sorted(cdk_out.glob("assembly-*/*.template.json"))


def test_synth_is_offline_and_needs_no_credentials(synths) -> None:
    result, _ = synths[0]
    assert "Need to perform AWS calls" not in result.stderr
    if not _offline_prefix():
        pytest.skip("no network namespace available: offline-ness is proven by the in-process socket guards")


#: CDK's own debugging output: construct creation traces that name jsii's random temp dir, and timings.
NOT_COMPARED = ("tree.json", "performance-counters.json")


def test_two_synths_are_byte_identical(synths) -> None:
    """Templates, asset manifests and asset files are byte-identical (so are asset hashes)."""
    (_, first), (_, second) = synths
    compared = 0
    for path in sorted(first.rglob("*")):
        if path.is_file() and path.name not in NOT_COMPARED and not path.name.endswith(".metadata.json"):
            twin = second / path.relative_to(first)
            assert twin.exists(), path
            if path.suffix == ".json":  # the manifest holds the output dir name; nothing else may differ
                assert path.read_text().replace(str(first), "") == twin.read_text().replace(str(second), ""), path
            else:
                assert filecmp.cmp(path, twin, shallow=False), path
            compared += 1
    assert compared > 10


def test_nag_validation_passed(cdk_out) -> None:
    """The plugin reports only failures: an empty report means zero unacknowledged findings."""
    report = json.loads((cdk_out / "validation-report.json").read_text())
    assert report["title"] == "Validation Report" and report["pluginReports"] == []


def test_nag_gate_is_wired_into_the_app(monkeypatch) -> None:
    """The same wiring as app.py fails synth on an unacknowledged finding (so the empty report means something)."""
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from constructs_lib.app_wiring import build_app
    from tests.security import cdk_context

    monkeypatch.chdir(ROOT)
    app = cdk.App(context=cdk_context())
    stack = build_app(app)
    sqs.Queue(stack, "UnencryptedQueueWithoutDlq")
    with pytest.raises(Exception, match=r"(?s)ValidationFailed: ERROR .*AwsSolutions-SQS"):
        app.synth()


def test_sandbox_stack_holds_the_pipeline(cdk_out) -> None:
    template = json.loads((cdk_out / "customer-churn-ltv-stack.template.json").read_text())
    (pipeline,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Pipeline"]
    assert pipeline["Properties"]["PipelineName"] == "customer-churn-ltv"


def test_asset_files_are_staged_with_real_names(cdk_out) -> None:
    manifest = json.loads((cdk_out / "customer-churn-ltv-stack.assets.json").read_text())
    keys = [d["objectKey"] for f in manifest["files"].values() for d in f["destinations"].values()]
    assert {k.rsplit("/", 1)[-1] for k in keys if "/" in k} >= {
        "runproc.sh",
        "sourcedir.tar.gz",
        "customers.csv",
        "revenue.csv",
    }
    for entry in manifest["files"].values():
        assert (cdk_out / entry["source"]["path"]).exists()


@pytest.mark.slow
def test_every_template_passes_cfn_lint_and_checkov(cdk_out) -> None:
    from tests.security import run_cfn_lint, run_checkov

    for template in _stack_templates(cdk_out):
        assert run_cfn_lint(template) == [], template.name
        assert run_checkov(template) == [], template.name


def test_summary_command(cdk_out, capsys) -> None:
    from constructs_lib.cli import main

    assert main(["summary", "--cdk-out", str(cdk_out)]) == 0
    out = capsys.readouterr().out
    assert (
        "pipeline customer-churn-ltv: 14 steps" in out
        and "churn-Register (RegisterModel, in churn-Register-QualityGate)" in out
    )


def test_bad_config_fails_synth_with_messages_and_no_traceback(tmp_path) -> None:
    bad = tmp_path / "conf.yaml"
    bad.write_text("conf:\n  models: {}\n  sagemakerPipeline:\n    pipelineName: x\n    models: {}\n")
    env = dict(os.environ, SMP_MODEL_CONFIGPATH=str(bad), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "conf.sagemakerPipeline.models: must not be empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_process_never_imports_the_sagemaker_sdk(tmp_path) -> None:
    """The SDK (2 s of imports) lives in the compile worker only; the app process builds constructs meanwhile."""
    probe = (
        "import os, sys, json\n"
        "from constructs_lib.compiler.background import prewarm\n"
        "prewarm()\n"
        "import aws_cdk as cdk\n"
        "from constructs_lib.app_wiring import build_app\n"
        "context = json.load(open('cdk.json'))['context']\n"
        "context.pop('environments'); context.pop('delivery')\n"
        f"app = cdk.App(context=context, outdir={str(tmp_path / 'out')!r})\n"
        "build_app(app)\n"
        "app.synth()\n"
        "print('SDK', sorted({m.split('.')[0] for m in sys.modules if m.startswith('sagemaker')}))\n"
    )
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("SDK []")
    assert (tmp_path / "out" / "customer-churn-ltv-stack.template.json").exists()
