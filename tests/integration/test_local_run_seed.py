"""Scripts written against the original framework's container paths run unchanged through `run`, with
configs shaped like the original's examples (../shared/seed-examples): the same stand-in scripts as
tests/unit/compiler/test_original_scripts_run.py, now executed by the local runner itself (its sandbox, its
bootstrap, its toolkit contracts) instead of a test helper. Serving code gets a small handler module."""

from __future__ import annotations

import json

import pytest

from tests.conftest import requires_shared
from tests.integration.test_local_run import run_cli

HANDLER = """
def model_fn(model_dir):
    return model_dir

def transform_fn(model, body, content_type, accept):
    lines = [l for l in body.decode().splitlines() if l.strip()]
    return "".join("%d\\n" % i for i, _ in enumerate(lines)), "text/csv"
"""


def static_inputs(definition: dict, manifest: dict) -> list[str]:
    """S3 URIs the pipeline reads but neither produces nor ships as assets (the examples' data)."""
    from constructs_lib.localrun.command import input_uris
    from constructs_lib.localrun.expr import Scope, StepFailed
    from constructs_lib.localrun.plan import load_plan

    plan = load_plan(definition, manifest)
    scope = Scope({p.name: p.default for p in plan.parameters}, {"PipelineExecutionId": "x"})
    assets = {a["placeholderUri"] for a in manifest.get("assets", [])}
    out = []
    for step in plan.steps.values():
        for _, raw in input_uris(step, step.arguments):
            try:
                uri = scope.evaluate(raw)
            except StepFailed:
                continue
            if isinstance(uri, str) and uri.startswith("s3://") and uri not in assets and uri not in out:
                out.append(uri)
    return out


@pytest.mark.parametrize(
    ("source", "example"),
    [
        *[
            pytest.param("seed", name, id=name, marks=requires_shared)
            for name in ("tf", "lgbm", "llm-text-summarization", "multi-model")
        ],
        pytest.param("own", "housing", id="own-housing"),  # the project's own original-shaped example: every clone
    ],
)
def test_original_scripts_run_unchanged_locally(source, example, tmp_path) -> None:
    scripts = pytest.importorskip(
        "tests.unit.compiler.test_original_scripts_run",
        reason="the original's container layout (issue 10) is not merged yet",
    )
    from tests.unit.compiler.conftest import compile_globs

    globs, project = scripts.project_with_original_scripts(source, example, tmp_path / "project")
    compiled = compile_globs(globs, project)
    definition = json.loads(compiled.definition)
    for step in definition["Steps"]:
        if step["Type"] == "Model":
            env = step["Arguments"]["PrimaryContainer"]["Environment"]
            for entry in compiled.assets:
                if entry.placeholder_uri == env.get("SAGEMAKER_SUBMIT_DIRECTORY"):
                    (project / entry.local_path / env["SAGEMAKER_PROGRAM"]).write_text(HANDLER)
    compiled = compile_globs(globs, project)  # the handlers changed the source archives
    data_flags = []
    for i, uri in enumerate(static_inputs(json.loads(compiled.definition), compiled.manifest())):
        folder = tmp_path / "data" / str(i)
        folder.mkdir(parents=True)
        (folder / (uri.rstrip("/").rsplit("/", 1)[-1] or "data")).write_text("1,2\n3,4\n")
        data_flags += ["--data", f"{uri}={folder}"]
    # run the compiled files, as `definition --out` writes them (no second compile in the subprocess)
    from constructs_lib.compiler.facade import render

    definition_text, manifest_text = render(compiled)
    (tmp_path / "definition.json").write_text(definition_text)
    (tmp_path / "definition.json.assets.json").write_text(manifest_text)
    report = tmp_path / "report.json"
    result = run_cli(
        [
            "--definition",
            str(tmp_path / "definition.json"),
            "--workdir",
            str(tmp_path / "work"),
            "--report",
            str(report),
            *data_flags,
        ],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    steps = json.loads(report.read_text())["steps"]
    assert {s["status"] for s in steps} == {"Succeeded"}
    for package in json.loads(report.read_text())["modelPackages"]:
        if package["metrics"] is not None:
            assert package["metrics"]["helper"] == "whole source directory"
