"""Build the step graph from a project config and check it, collecting every problem before raising."""

from __future__ import annotations

import re

from constructs_lib.config.kinds import CLASS_BY_NAME, KINDS, MODEL_SOURCES, producers_for
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.loader import name_pipeline as named
from constructs_lib.config.schema import StepClass
from constructs_lib.errors import ConfigError, did_you_mean
from constructs_lib.graph.model import Edge, EdgeKind, PipelineGraph, StepNode
from constructs_lib.graph.rules import GraphCheck, run_rules


def build_graph(project: ProjectConfig, *, name_pipeline: bool = False) -> PipelineGraph:
    """The checked graph, or :class:`ConfigError` listing every problem found.

    ``name_pipeline``: each problem starts ``pipeline NAME:`` (when the config files define several).
    """
    if not name_pipeline:
        return _build_graph(project)
    try:
        return _build_graph(project)
    except ConfigError as exc:
        raise ConfigError(named(p, project.pipeline.pipelineName) for p in exc.problems) from None


def _build_graph(project: ProjectConfig) -> PipelineGraph:
    check = GraphCheck(project, [])
    nodes = _nodes(project, check)
    check.nodes = nodes
    for node in nodes:
        check.units.setdefault(node.model, {}).setdefault(node.step_class, node)
    by_name: dict[str, StepNode] = {}
    for node in nodes:
        by_name.setdefault(node.name, node)
    # Steps whose class is unknown are already reported; references to them are not "unknown steps".
    invalid = {s.step_name for unit in project.pipeline.models.values() for s in unit.steps} - set(by_name)
    _check_duplicates(nodes, check)
    run_rules(check)
    edges: dict[tuple[str, str], set[EdgeKind]] = {}
    _data_edges(nodes, by_name, invalid, edges, check)
    _implicit_edges(check.units, edges)
    _dependency_edges(project, by_name, invalid, edges, check)
    graph = PipelineGraph(
        project.pipeline.pipelineName,
        tuple(nodes),
        tuple(Edge(s, t, tuple(sorted(k, key=lambda x: x.value))) for (s, t), k in edges.items()),
    )
    for cycle in find_cycles(graph):
        shown = " >> ".join(cycle + [cycle[0]])
        first = by_name[cycle[0]]
        check.at(
            first,
            None,
            ("step_name",),
            f"steps form a cycle: {shown}",
            "a pipeline is a DAG; remove one of these edges (chain_input_source_step or dependencies)",
        )
    if check.problems:
        raise ConfigError(check.problems)
    return graph


def _nodes(project: ProjectConfig, check: GraphCheck) -> list[StepNode]:
    nodes = []
    for model, unit in project.pipeline.models.items():
        config = project.models.get(model)
        if config is None:
            check.at(
                model,
                None,
                (),
                f"model '{model}' has no section in conf.models of any config file",
                did_you_mean(model, project.models, what="models") or "define conf.models." + model,
            )
        for index, step in enumerate(unit.steps):
            step_class = CLASS_BY_NAME.get(step.step_class.lower())
            if step_class is None:
                check.at(
                    model,
                    index,
                    ("step_class",),
                    f"unknown step_class '{step.step_class}'",
                    did_you_mean(step.step_class, [k.name for k in KINDS.values()], what="step classes"),
                )
                continue
            section = KINDS[step_class].section_of(config) if config is not None else None
            nodes.append(StepNode(step.step_name, step_class, model, step, index, section))
    return nodes


def _check_duplicates(nodes: list[StepNode], check: GraphCheck) -> None:
    seen: dict[str, list[StepNode]] = {}
    for node in nodes:
        seen.setdefault(node.name, []).append(node)
    for name, same in seen.items():
        if len(same) > 1:
            where = ", ".join(f"{n.model}.steps[{n.index}]" for n in same)
            for node in same:
                check.at(
                    node,
                    None,
                    ("step_name",),
                    f"duplicate step name '{name}' (used {len(same)} times: {where})",
                    "step names must be unique in the pipeline",
                )


def _data_edges(
    nodes: list[StepNode],
    by_name: dict[str, StepNode],
    invalid: set[str],
    edges: dict[tuple[str, str], set[EdgeKind]],
    check: GraphCheck,
) -> None:
    """Edges of ``chain_input_source_step`` (the rules checked which classes take chained inputs)."""
    for node in nodes:
        if node.kind.chains_from is None:
            continue
        for i, source in enumerate(node.config.chain_input_source_step):
            if source in invalid:
                continue
            if source not in by_name:
                check.at(
                    node,
                    None,
                    ("chain_input_source_step", i),
                    f"unknown step '{source}'",
                    did_you_mean(source, by_name, what="steps"),
                )
                continue
            if source == node.name:
                check.at(
                    node,
                    None,
                    ("chain_input_source_step", i),
                    "a step cannot consume its own output",
                    "remove it from chain_input_source_step",
                )
                continue
            source_class = by_name[source].step_class
            allowed = producers_for(node.kind)
            if source_class not in allowed:
                check.at(
                    node,
                    None,
                    ("chain_input_source_step", i),
                    f"'{source}' is a {source_class.value} step: it has no output a {node.kind.name} step can use",
                    "chain from a " + " or ".join(sorted(c.value for c in allowed)) + " step",
                )
                continue
            edges.setdefault((source, node.name), set()).add(EdgeKind.DATA)


def _implicit_edges(units: dict[str, dict[StepClass, StepNode]], edges: dict[tuple[str, str], set[EdgeKind]]) -> None:
    """Wiring inside each unit: a step that needs the unit's model runs after its model source, and after
    the classes of :attr:`StepKind.after`."""
    for unit in units.values():
        for target in (unit[c] for c in KINDS if c in unit):  # the declaration order: stable edges
            sources = [c for c in KINDS if c in MODEL_SOURCES] if target.kind.needs_model else []
            for source_class in (*sources, *target.kind.after):
                if source_class in unit:
                    edges.setdefault((unit[source_class].name, target.name), set()).add(EdgeKind.IMPLICIT)


_ARROW = re.compile(r"\s*>>\s*")


def parse_dependency(text: str) -> list[list[str]] | str:
    """``"A >> [B, C] >> D"`` -> ``[["A"], ["B", "C"], ["D"]]``, or an error message."""
    if ">>" not in text:
        return "no '>>' in it (write 'A >> B')"
    groups = []
    for part in _ARROW.split(text.strip()):
        part = part.strip()
        if part.startswith("[") and part.endswith("]"):
            names = [n.strip().strip("'\"") for n in part[1:-1].split(",")]
        else:
            names = [part.strip("'\"")]
        if not all(names) or any(re.search(r"[\s\[\],]", n) for n in names):
            return f"cannot read '{part}' (a step name or [A, B] list is expected between '>>')"
        groups.append(names)
    return groups


def _dependency_edges(
    project: ProjectConfig,
    by_name: dict[str, StepNode],
    invalid: set[str],
    edges: dict[tuple[str, str], set[EdgeKind]],
    check: GraphCheck,
) -> None:
    for index, text in enumerate(project.pipeline.dependencies):
        key = ("dependencies", index)
        parsed = parse_dependency(text)
        if isinstance(parsed, str):
            check.problems.append(
                project.pipeline_problem(
                    key, f"invalid dependency {text!r}: {parsed}", "Airflow notation: 'A >> B >> C' or 'A >> [B, C]'"
                )
            )
            continue
        unknown = [n for group in parsed for n in group if n not in by_name and n not in invalid]
        for name in dict.fromkeys(unknown):
            check.problems.append(
                project.pipeline_problem(
                    key, f"unknown step '{name}' in dependency {text!r}", did_you_mean(name, by_name, what="steps")
                )
            )
        if unknown or any(n in invalid for group in parsed for n in group):
            continue
        for before, after in zip(parsed, parsed[1:], strict=False):  # consecutive pairs: one shorter
            for source in before:
                for target in after:
                    if source == target:
                        check.problems.append(
                            project.pipeline_problem(
                                key, f"step '{source}' depends on itself", "remove the self-dependency"
                            )
                        )
                        continue
                    edges.setdefault((source, target), set()).add(EdgeKind.DEPENDENCY)


def find_cycles(graph: PipelineGraph) -> list[list[str]]:
    """One cycle (as a list of step names, in order) per strongly connected component with a cycle."""
    successors: dict[str, list[str]] = {n.name: [] for n in graph.nodes}
    for e in graph.edges:
        successors[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:  # Tarjan, iterative to survive big graphs
        work = [(v, iter(successors[v]))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == node:
                            break
                    if len(component) > 1:
                        components.append(component)
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for n in graph.nodes:
        if n.name not in index:
            strongconnect(n.name)
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    cycles = []
    for component in components:
        members = set(component)
        start = min(component, key=order.__getitem__)
        cycles.append(_cycle_through(start, members, successors, order))
    return sorted(cycles, key=lambda c: order[c[0]])


def _cycle_through(start: str, members: set[str], successors: dict[str, list[str]], order: dict[str, int]) -> list[str]:
    """A simple cycle from ``start`` back to itself inside one strongly connected component (BFS: shortest)."""
    parents: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted((s for s in successors[node] if s in members), key=order.__getitem__):
            if nxt == start:
                path = [node]
                parent = parents[node]
                while parent is not None:
                    path.append(parent)
                    parent = parents[parent]
                return list(reversed(path))
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return [start]  # unreachable for a real component
