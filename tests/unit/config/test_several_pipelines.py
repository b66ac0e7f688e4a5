"""Several pipelines in one app (issue 14): each anchor file defines one pipeline with the models it lists.

The fixture tests/fixtures/two_pipelines holds two anchors, churn-pipeline and customer-ltv; customer-ltv also
uses the churn model, which churn.yaml defines.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from constructs_lib.cli import main
from constructs_lib.config.loader import load_project, load_projects
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "two_pipelines"
GLOB = "tests/fixtures/two_pipelines/*.yaml"
ENV: dict[str, str] = {}


def _projects(tmp_path: Path | None = None, **edits: str):
    """The fixture's projects; ``edits`` replace text in the fixture's files (a copy under ``tmp_path``)."""
    if not edits:
        return load_projects([GLOB], environ=ENV, cwd=ROOT)
    assert tmp_path is not None
    for name in ("churn.yaml", "ltv.yaml"):
        text = (FIXTURE / name).read_text()
        for old, new in edits.items():
            text = text.replace(old, new)
        (tmp_path / name).write_text(text)
    shutil.copytree(ROOT / "model_repos", tmp_path / "model_repos")
    return load_projects(["*.yaml"], environ=ENV, cwd=tmp_path)


def test_each_anchor_defines_one_pipeline_with_the_models_it_lists() -> None:
    projects = _projects()
    assert list(projects) == ["churn-pipeline", "customer-ltv"]
    assert sorted(projects["churn-pipeline"].models) == ["churn"]
    assert sorted(projects["customer-ltv"].models) == ["churn", "ltv"]  # churn is shared
    assert projects["customer-ltv"].model_files["churn"] == "tests/fixtures/two_pipelines/churn.yaml"
    assert projects["customer-ltv"].anchor_file == "tests/fixtures/two_pipelines/ltv.yaml"
    graph = build_graph(projects["customer-ltv"])
    assert [n.name for n in graph.nodes][:2] == ["churn-Preprocessing", "ltv-Preprocessing"]


def test_load_project_needs_a_pipeline_name_when_there_are_several() -> None:
    with pytest.raises(ConfigError) as info:
        load_project([GLOB], environ=ENV, cwd=ROOT)
    assert [p.format() for p in info.value.errors] == [
        "<config>: --pipeline: 2 pipelines here: churn-pipeline, customer-ltv (choose one with --pipeline NAME)"
    ]
    assert load_project([GLOB], pipeline="customer-ltv", environ=ENV, cwd=ROOT).pipeline.pipelineName == (
        "customer-ltv"
    )


def test_an_unknown_pipeline_name_gets_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        load_project([GLOB], pipeline="customer-lvt", environ=ENV, cwd=ROOT)
    assert [p.format() for p in info.value.errors] == [
        "<config>: --pipeline: no pipeline named 'customer-lvt' (pipelines here: churn-pipeline, customer-ltv) "
        "(did you mean 'customer-ltv'?)"
    ]


def test_cwd_may_be_a_string() -> None:
    assert list(load_projects([GLOB], environ=ENV, cwd=str(ROOT))) == ["churn-pipeline", "customer-ltv"]


def test_one_pipeline_keeps_every_model_and_unprefixed_messages() -> None:
    project = load_project(["model_repos/*/conf/conf.yaml"], environ=ENV, cwd=ROOT)
    assert sorted(project.models) == ["churn", "ltv"]


def test_a_problem_in_a_shared_model_names_each_pipeline(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        _projects(tmp_path, **{"${params.ModelApprovalStatus}": "${params.Approval}"})
    messages = [p.message for p in info.value.errors]
    assert messages == [
        "pipeline churn-pipeline: unknown pipeline parameter 'Approval'",
        "pipeline customer-ltv: unknown pipeline parameter 'Approval'",
    ]


def test_a_model_no_pipeline_lists_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        _projects(tmp_path, **{"      ltv:\n        steps:": "      ltv2:\n        steps:"})
    assert any(
        p.format().startswith("ltv.yaml:")
        and "model 'ltv' is used by no pipeline (pipelines here: churn-pipeline, customer-ltv)" in p.message
        for p in info.value.errors
    ), info.value


def test_two_pipelines_may_not_share_a_named_model_package_group(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        _projects(
            tmp_path,
            **{
                "        ModelPackageDescription: Churn": "        ModelPackageGroupName: shared-group\n"
                "        ModelPackageDescription: Churn",
                "        ModelPackageDescription: Expected": "        ModelPackageGroupName: shared-group\n"
                "        ModelPackageDescription: Expected",
            },
        )
    assert [p.message for p in info.value.errors] == [
        "pipeline customer-ltv: model package group 'shared-group' is also used by pipeline churn-pipeline"
    ]


def test_validate_quick_prints_one_line_per_pipeline(capsys) -> None:
    code = main(["validate", "--quick", "--config", GLOB])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "ok (config and graph only): pipeline churn-pipeline: 2 file(s), 1 model(s), 6 step(s), 8 edge(s)",
        "ok (config and graph only): pipeline customer-ltv: 2 file(s), 2 model(s), 5 step(s), 5 edge(s)",
    ]


def test_graph_problems_name_the_pipeline(tmp_path) -> None:
    projects = _projects(tmp_path, **{"churn-Metrics >> churn-Register": "churn-Metrics >> churn-Regster"})
    with pytest.raises(ConfigError) as info:
        build_graph(projects["churn-pipeline"], name_pipeline=True)
    assert all(p.message.startswith("pipeline churn-pipeline: ") for p in info.value.errors), info.value


def test_cli_commands_require_pipeline_when_there_are_several(capsys) -> None:
    assert main(["graph", "--config", GLOB]) == 2
    assert "2 pipelines here: churn-pipeline, customer-ltv" in capsys.readouterr().err
    assert main(["graph", "--config", GLOB, "--pipeline", "churn-pipeline", "--format", "text"]) == 0
    assert capsys.readouterr().out.startswith("pipeline churn-pipeline\n")


def test_definition_per_pipeline(tmp_path, capsys) -> None:
    for name in ("churn-pipeline", "customer-ltv"):
        out = tmp_path / f"{name}.json"
        assert main(["definition", "--config", GLOB, "--pipeline", name, "--out", str(out)]) == 0
        steps = [s["Name"] for s in json.loads(out.read_text())["Steps"]]
        assert "churn-Preprocessing" in steps
        assert ("ltv-Training" in steps) == (name == "customer-ltv")


def test_validate_compiles_every_pipeline(capsys) -> None:
    assert main(["validate", "--config", GLOB]) == 0
    out = capsys.readouterr().out
    assert "ok: pipeline churn-pipeline:" in out and "ok: pipeline customer-ltv:" in out


def test_run_needs_pipeline_when_there_are_several(tmp_path, capsys) -> None:
    assert main(["run", "--config", GLOB, "--workdir", str(tmp_path)]) == 2
    assert "2 pipelines here: churn-pipeline, customer-ltv" in capsys.readouterr().err
    assert main(["run", "--config", GLOB, "--pipeline", "churn-pipline", "--workdir", str(tmp_path)]) == 2
    assert "did you mean 'churn-pipeline'?" in capsys.readouterr().err


def test_validate_names_the_pipeline_whose_compile_fails(monkeypatch, capsys) -> None:
    from constructs_lib.compiler import facade
    from constructs_lib.errors import Problem

    def check(project, graph, regions):
        raise ConfigError([Problem("x.yaml", 1, 1, "conf", "cannot compile")])

    monkeypatch.setattr(facade, "check_pipeline", check)
    assert main(["validate", "--config", GLOB]) == 2
    assert "x.yaml:1:1: conf: pipeline churn-pipeline: cannot compile" in capsys.readouterr().err
