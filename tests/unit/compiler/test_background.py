"""Compiling in the worker process gives exactly what compiling in-process gives, errors included."""

from __future__ import annotations

import shutil

import pytest

from constructs_lib.compiler.background import CompileJob
from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.compiler.facade import compile_pipeline
from constructs_lib.config.loader import load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph
from tests.conftest import FIXTURES

SEMANTICS = FIXTURES / "compile" / "semantics"


def test_worker_result_equals_in_process_result() -> None:
    project = load_project(["conf.yaml"], cwd=SEMANTICS, environ={})
    graph = build_graph(project)
    bindings = InfraBindings.all_placeholders(subnets=3, security_groups=2)
    assert CompileJob(project, graph, bindings).result() == compile_pipeline(project, graph, bindings)


def test_worker_errors_arrive_as_config_errors(tmp_path) -> None:
    shutil.copytree(SEMANTICS, tmp_path / "p")
    project = load_project(["conf.yaml"], cwd=tmp_path / "p", environ={})
    graph = build_graph(project)
    (tmp_path / "p" / "scripts" / "train.py").unlink()  # gone after validation: the compiler finds it
    with pytest.raises(ConfigError) as info:
        CompileJob(project, graph, InfraBindings.all_placeholders()).result()
    (problem,) = info.value.problems
    assert problem.key_path == "conf.models.m.train.entry_point" and "scripts/train.py" in problem.message
