"""Security gates for synthesized CDK stacks: cdk-nag, cfn-lint and checkov, reusable by any test.

Typical use in a test module::

    app = new_app()                       # feature flags from cdk.json, like `cdk synth`
    stack = cdk.Stack(app, "Sandbox")
    ...                                   # build constructs
    assert nag_findings(app) == []        # cdk-nag AwsSolutionsChecks, as a validation plugin
    path = write_template(synth_template(stack), tmp_path / "sandbox.json")
    assert run_cfn_lint(path) == []
    assert run_checkov(path) == []

Each runner returns one readable line per finding, so a failing assert shows what to fix.
checkov lives in its own virtualenv (its boto3 pins conflict with the SageMaker SDK): set
``CHECKOV`` to its executable, else ``.venv-checkov/bin/checkov`` under the repository is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

# jsii prints a Node end-of-life banner on stderr unless told not to; set before aws_cdk loads.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

REPO_ROOT = Path(__file__).resolve().parents[1]
CDK_JSON = REPO_ROOT / "cdk.json"


def cdk_context() -> dict[str, Any]:
    """The context of cdk.json (feature flags etc.): what `cdk synth` gives the app."""
    return dict(json.loads(CDK_JSON.read_text())["context"])


def new_app(*, nag: bool = False, **context: Any) -> cdk.App:
    """An App with cdk.json's context (plus ``context``); with ``nag=True`` cdk-nag is registered.

    With the plugin registered, any unacknowledged finding makes synth raise (``ValidationFailed``),
    as `cdk synth` would fail.
    """
    app = cdk.App(context={**cdk_context(), **context})
    if nag:
        add_nag(app)
    return app


def add_nag(app: cdk.App) -> None:
    """Register cdk-nag ``AwsSolutionsChecks`` as a validation plugin (the cdk-nag 3 way)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def nag_findings(scope: IConstruct) -> list[str]:
    """Unacknowledged ``AwsSolutionsChecks`` findings under ``scope``, one line each.

    The tree is synthesized first (so lazily added resources exist), then checked with the same
    rules the plugin runs. Do not register the plugin on the same app (synth would raise first).
    Lines look like ``AwsSolutions-IAM5[Resource::*] at Stack/Role/DefaultPolicy/Resource``.
    """
    stage = scope if isinstance(scope, cdk.Stage) else cdk.Stage.of(scope)
    if stage is None:
        raise ValueError(f"{scope.node.path} is not inside a Stage or App")
    stage.synth()
    report = AwsSolutionsChecks().validate_scope(scope)
    return sorted(
        f"{violation.rule_name} at {resource.construct_path}"
        for violation in report.violations
        for resource in violation.violating_resources
    )


def synth_template(stack: cdk.Stack) -> dict[str, Any]:
    """The CloudFormation template of ``stack`` as a dict (synthesizes its app)."""
    return Template.from_stack(stack).to_json()


def write_template(template: dict[str, Any], path: Path) -> Path:
    """Write ``template`` as JSON to ``path`` (for the command-line tools) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template, indent=1, sort_keys=True))
    return path


def cfn_lint_executable() -> str:
    """cfn-lint of the running interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    if beside.exists():
        return str(beside)
    found = shutil.which("cfn-lint")
    if found:
        return found
    raise FileNotFoundError("cfn-lint not found: install it in the project's virtualenv")


def run_cfn_lint(template_path: Path, *, regions: tuple[str, ...] = ("us-east-1",)) -> list[str]:
    """cfn-lint findings (errors, warnings and informational) for one template, one line each."""
    result = subprocess.run(
        [cfn_lint_executable(), "--format", "parseable", "--regions", *regions, "--", str(template_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit codes are a bit mask of error (2), warning (4) and informational (8) findings; 1 is a crash.
    if result.returncode & 1:
        raise RuntimeError(f"cfn-lint failed to run: {result.stderr or result.stdout}")
    return [line for line in result.stdout.splitlines() if line.strip()]


def checkov_executable() -> str:
    """Path of the checkov executable: ``$CHECKOV``, else .venv-checkov/bin/checkov, else PATH."""
    configured = os.environ.get("CHECKOV")
    if configured:
        return configured
    local = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if local.exists():
        return str(local)
    found = shutil.which("checkov")
    if found:
        return found
    raise FileNotFoundError("checkov not found: create .venv-checkov or set CHECKOV to its executable")


def run_checkov(template_path: Path) -> list[str]:
    """Failed checkov checks for one CloudFormation template, offline, one line each.

    ``--skip-download`` keeps checkov offline (without it, it retries downloads and hangs).
    Skips written into a resource's ``Metadata: checkov: skip`` are honoured by checkov itself.
    """
    result = subprocess.run(
        [
            checkov_executable(),
            "-f",
            str(template_path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed to run ({result.returncode}): {result.stderr[-2000:]}")
    out = result.stdout.strip()
    if not out:
        return []
    reports = json.loads(out)
    if isinstance(reports, dict):
        reports = [reports]
    findings = []
    for report in reports:
        if not isinstance(report, dict) or "results" not in report:
            continue
        summary = report.get("summary", {})
        if summary.get("parsing_errors"):
            findings.append(f"checkov could not parse {template_path} ({summary['parsing_errors']} parsing errors)")
        for check in report["results"].get("failed_checks", []):
            findings.append(f"{check['check_id']} {check['resource']}: {check['check_name']}")
    if result.returncode == 1 and not findings:
        raise RuntimeError(f"checkov exited 1 without findings: {result.stderr[-2000:]}")
    return sorted(findings)
