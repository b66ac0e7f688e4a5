from __future__ import annotations

import pytest
import yaml

from constructs_lib.config.loader import load_project
from constructs_lib.errors import ConfigError
from constructs_lib.graph.builder import build_graph, parse_dependency
from constructs_lib.graph.model import EdgeKind
from constructs_lib.graph.render import to_dot, to_mermaid, to_text
from tests.conftest import FIXTURES

FULL = FIXTURES / "valid" / "full" / "conf.yaml"


@pytest.mark.parametrize(
    "text, groups",
    [
        ("A >> B >> C", [["A"], ["B"], ["C"]]),
        ("A>>B", [["A"], ["B"]]),
        ("A >>B>> C", [["A"], ["B"], ["C"]]),
        ("A >> [B, C]", [["A"], ["B", "C"]]),
        ("[A,B]>>C", [["A", "B"], ["C"]]),
    ],
)
def test_airflow_notation(text, groups) -> None:
    assert parse_dependency(text) == groups


@pytest.mark.parametrize("text", ["A > B", "A >> ", ">> B", "A >> [B,,C]", "A B >> C"])
def test_bad_airflow_notation(text) -> None:
    assert isinstance(parse_dependency(text), str)


def _graph(tmp_path, mutate=None):
    data = yaml.safe_load(FULL.read_text())
    if mutate:
        mutate(data["conf"])
    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return build_graph(load_project(["conf.yaml"], cwd=tmp_path, environ={}))


def test_edges_have_their_reasons(tmp_path) -> None:
    graph = _graph(tmp_path, lambda c: c["sagemakerPipeline"].update(dependencies=[]))
    kinds = {(e.source, e.target): set(e.kinds) for e in graph.edges}
    assert kinds[("churn-Preprocessing", "churn-Training")] == {EdgeKind.DATA}
    assert kinds[("churn-Training", "churn-CreateModel")] == {EdgeKind.IMPLICIT}
    assert kinds[("churn-CreateModel", "churn-Transform")] == {EdgeKind.IMPLICIT}
    assert kinds[("churn-Training", "churn-Register")] == {EdgeKind.IMPLICIT}
    assert kinds[("churn-Metrics", "churn-Register")] == {EdgeKind.IMPLICIT}
    assert kinds[("churn-Transform", "churn-Metrics")] == {EdgeKind.DATA}
    assert len(kinds) == 8


def test_list_dependency_adds_an_edge_per_target(tmp_path) -> None:
    graph = _graph(
        tmp_path,
        lambda c: c["sagemakerPipeline"].update(
            dependencies=["churn-Preprocessing >> [churn-CreateModel, churn-Metrics]"]
        ),
    )
    deps = {(e.source, e.target) for e in graph.edges if EdgeKind.DEPENDENCY in e.kinds}
    assert deps == {("churn-Preprocessing", "churn-CreateModel"), ("churn-Preprocessing", "churn-Metrics")}


def test_cycle_names_every_step_on_it(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        _graph(tmp_path, lambda c: c["sagemakerPipeline"].update(dependencies=["churn-Register>>churn-Training"]))
    (problem,) = info.value.problems
    # The shortest cycle through the first step on it: Training -> Register is the unit's implicit wiring.
    assert problem.message == "steps form a cycle: churn-Training >> churn-Register >> churn-Training"


def test_topological_order_respects_every_edge(tmp_path) -> None:
    graph = _graph(tmp_path)
    order = [n.name for n in graph.topological_order()]
    assert len(order) == len(graph.nodes)
    for e in graph.edges:
        assert order.index(e.source) < order.index(e.target)


def test_renderings_show_every_step_and_edge(tmp_path) -> None:
    graph = _graph(tmp_path)
    mermaid, dot, text = to_mermaid(graph), to_dot(graph), to_text(graph)
    assert mermaid.startswith("flowchart TD\n")
    assert mermaid.count("-->") + mermaid.count("==>") + mermaid.count("-.->") == len(graph.edges)
    assert dot.count(" -> ") == len(graph.edges)
    for node in graph.nodes:
        assert node.name in mermaid and f'"{node.name}"' in dot and node.name in text
