"""Draw the step graph as Mermaid (renders on GitHub), Graphviz dot, or plain text."""

from __future__ import annotations

import json
from collections.abc import Collection

from constructs_lib.graph.model import EdgeKind, PipelineGraph

_MERMAID_ARROW = {EdgeKind.DATA: "-->", EdgeKind.IMPLICIT: "==>", EdgeKind.DEPENDENCY: "-.->"}
_DOT_STYLE = {EdgeKind.DATA: "solid", EdgeKind.IMPLICIT: "bold", EdgeKind.DEPENDENCY: "dashed"}


def _strongest(kinds: Collection[EdgeKind]) -> EdgeKind:
    for kind in (EdgeKind.DATA, EdgeKind.IMPLICIT, EdgeKind.DEPENDENCY):
        if kind in kinds:
            return kind
    raise ValueError(kinds)


def to_mermaid(graph: PipelineGraph) -> str:
    ids = {n.name: f"s{i}" for i, n in enumerate(graph.nodes)}
    lines = ["flowchart TD"]
    for m, model in enumerate(graph.models):
        lines.append(f'  subgraph m{m}["{model}"]')
        for node in graph.nodes:
            if node.model == model:
                label = f"{node.name}<br/><i>{node.step_class.value}</i>".replace('"', "#quot;")
                lines.append(f'    {ids[node.name]}["{label}"]')
        lines.append("  end")
    for e in graph.edges:
        lines.append(f"  {ids[e.source]} {_MERMAID_ARROW[_strongest(e.kinds)]} {ids[e.target]}")
    return "\n".join(lines) + "\n"


def to_dot(graph: PipelineGraph) -> str:
    lines = [f"digraph {json.dumps(graph.pipeline_name)} {{", "  rankdir=TB;", "  node [shape=box, style=rounded];"]
    for m, model in enumerate(graph.models):
        lines.append(f"  subgraph cluster_{m} {{")
        lines.append(f"    label={json.dumps(model)};")
        for node in graph.nodes:
            if node.model == model:
                lines.append(
                    f"    {json.dumps(node.name)} [label={json.dumps(node.name + chr(10) + node.step_class.value)}];"
                )
        lines.append("  }")
    for e in graph.edges:
        kinds = ",".join(k.value for k in e.kinds)
        lines.append(
            f"  {json.dumps(e.source)} -> {json.dumps(e.target)} "
            f"[style={_DOT_STYLE[_strongest(e.kinds)]}, tooltip={json.dumps(kinds)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_text(graph: PipelineGraph) -> str:
    lines = [f"pipeline {graph.pipeline_name}"]
    for node in graph.topological_order():
        lines.append(f"  {node.name}  [{node.step_class.value}, model {node.model}]")
        for e in graph.edges:
            if e.target == node.name:
                lines.append(f"      <- {e.source}  ({', '.join(k.value for k in e.kinds)})")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot, "text": to_text}
