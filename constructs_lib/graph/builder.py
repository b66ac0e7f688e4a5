"""Build the step graph from a project config and check it, collecting every problem before raising."""

from __future__ import annotations

import re

from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import STEP_TYPES, StepClass
from constructs_lib.errors import ConfigError, Problem, did_you_mean
from constructs_lib.graph.model import Edge, EdgeKind, PipelineGraph, StepNode

#: The model section each step class is configured by.
SECTION = {
    StepClass.PROCESSING: "preprocess",
    StepClass.TRAINING: "train",
    StepClass.TRANSFORM: "transform",
    StepClass.METRICS: "evaluate",
    StepClass.REGISTER_MODEL: "registry",
}
#: Step classes whose outputs another step can consume.
PRODUCERS = {StepClass.PROCESSING, StepClass.TRAINING, StepClass.TRANSFORM, StepClass.METRICS}
#: Step classes that take chain inputs.
CONSUMERS = {StepClass.PROCESSING, StepClass.TRAINING, StepClass.TRANSFORM, StepClass.METRICS}
_CLASS_BY_LOWER = {c.value.lower(): c for c in StepClass}


class _Checker:
    def __init__(self, project: ProjectConfig):
        self.project = project
        self.problems: list[Problem] = []

    def at(self, node_or_model: StepNode | str, index: int | None, key: tuple, message: str, hint: str = "") -> None:
        if isinstance(node_or_model, StepNode):
            model, index = node_or_model.model, node_or_model.index
        else:
            model = node_or_model
        path = ("models", model, "steps", index) + key if index is not None else ("models", model) + key
        self.problems.append(self.project.pipeline_problem(path, message, hint))


def build_graph(project: ProjectConfig) -> PipelineGraph:
    """The checked graph, or :class:`ConfigError` listing every problem found."""
    check = _Checker(project)
    nodes = _nodes(project, check)
    by_name: dict[str, StepNode] = {}
    for node in nodes:
        by_name.setdefault(node.name, node)
    # Steps whose class is unknown are already reported; references to them are not "unknown steps".
    invalid = {s.step_name for unit in project.pipeline.models.values() for s in unit.steps} - set(by_name)
    _check_duplicates(nodes, check)
    _check_units(project, nodes, check)
    edges: dict[tuple[str, str], set[EdgeKind]] = {}
    _data_edges(project, nodes, by_name, invalid, edges, check)
    _implicit_edges(project, nodes, edges)
    _dependency_edges(project, by_name, invalid, edges, check)
    graph = PipelineGraph(project.pipeline.pipelineName, tuple(nodes),
                          tuple(Edge(s, t, tuple(sorted(k, key=lambda x: x.value))) for (s, t), k in edges.items()))
    for cycle in find_cycles(graph):
        shown = " >> ".join(cycle + [cycle[0]])
        first = by_name[cycle[0]]
        check.at(first, None, ("step_name",), f"steps form a cycle: {shown}",
                 "a pipeline is a DAG; remove one of these edges (chain_input_source_step or dependencies)")
    if check.problems:
        raise ConfigError(check.problems)
    return graph


def _nodes(project: ProjectConfig, check: _Checker) -> list[StepNode]:
    nodes = []
    for model, unit in project.pipeline.models.items():
        if model not in project.models:
            check.at(model, None, (), f"model '{model}' has no section in conf.models of any config file",
                     did_you_mean(model, project.models, what="models") or "define conf.models." + model)
        for index, step in enumerate(unit.steps):
            step_class = _CLASS_BY_LOWER.get(step.step_class.lower())
            if step_class is None:
                check.at(model, index, ("step_class",), f"unknown step_class '{step.step_class}'",
                         did_you_mean(step.step_class, [c.value for c in StepClass], what="step classes"))
                continue
            nodes.append(StepNode(step.step_name, step_class, model, step, index))
    return nodes


def _check_duplicates(nodes: list[StepNode], check: _Checker) -> None:
    seen: dict[str, list[StepNode]] = {}
    for node in nodes:
        seen.setdefault(node.name, []).append(node)
    for name, same in seen.items():
        if len(same) > 1:
            where = ", ".join(f"{n.model}.steps[{n.index}]" for n in same)
            for node in same:
                check.at(node, None, ("step_name",), f"duplicate step name '{name}' (used {len(same)} times: {where})",
                         "step names must be unique in the pipeline")


def _check_units(project: ProjectConfig, nodes: list[StepNode], check: _Checker) -> None:
    units: dict[str, dict[StepClass, StepNode]] = {}
    for node in nodes:
        unit = units.setdefault(node.model, {})
        if node.step_class in unit:
            check.at(node, None, ("step_class",),
                     f"a second {node.step_class.value} step in modeling unit '{node.model}' "
                     f"(the first is '{unit[node.step_class].name}')",
                     "a modeling unit has at most one step of each class; put another model in its own unit")
            continue
        unit[node.step_class] = node
    for node in nodes:
        config = project.models.get(node.model)
        if config is None:  # already reported: the unit has no model section
            continue
        step = node.config
        unit = units[node.model]
        # step_type
        allowed = STEP_TYPES[node.step_class]
        if node.step_class is StepClass.PROCESSING and step.step_type is None:
            check.at(node, None, ("step_class",), "a Processing step needs 'step_type: preprocess'",
                     "add step_type: preprocess (evaluation jobs are step_class: Metrics)")
        elif step.step_type is not None and step.step_type not in allowed:
            check.at(node, None, ("step_type",), f"step_type '{step.step_type}' does not fit step_class {node.step_class.value}",
                     f"use {' or '.join(sorted(allowed))}, or remove step_type")
        if step.enable_cache and node.step_class in (StepClass.CREATE_MODEL, StepClass.REGISTER_MODEL):
            check.at(node, None, ("enable_cache",), f"SageMaker Pipelines cannot cache {node.step_class.value} steps",
                     "remove enable_cache (Processing, Training, Transform and Metrics steps can be cached)")
        # the section that configures the step
        section = SECTION.get(node.step_class)
        if section and getattr(config, section) is None:
            check.at(node, None, ("step_class",),
                     f"{node.step_class.value} step '{node.name}' needs the '{section}' section in conf.models.{node.model}",
                     f"add conf.models.{node.model}.{section} in {project.model_files[node.model]}")
        # what the step needs from its unit
        has_model_data = config.train is not None and config.train.model_data_uri is not None
        if node.step_class in (StepClass.CREATE_MODEL, StepClass.REGISTER_MODEL) \
                and StepClass.TRAINING not in unit and not has_model_data:
            check.at(node, None, ("step_class",),
                     f"{node.step_class.value} step '{node.name}' has no Training step in modeling unit '{node.model}'",
                     "add a Training step to the unit, or set train.model_data_uri to existing model artifacts")
        if node.step_class is StepClass.CREATE_MODEL and config.transform is None and config.registry is None:
            check.at(node, None, ("step_class",), f"CreateModel step '{node.name}' has no serving image",
                     f"add conf.models.{node.model}.transform (image_uri) or registry.InferenceSpecification")
        if node.step_class is StepClass.TRANSFORM and StepClass.CREATE_MODEL not in unit:
            check.at(node, None, ("step_class",),
                     f"Transform step '{node.name}' has no model: modeling unit '{node.model}' has no CreateModel step",
                     "add a step with step_class: CreateModel to the unit")
        if node.step_class is StepClass.REGISTER_MODEL and config.registry is not None \
                and config.registry.quality_gate is not None and StepClass.METRICS not in unit:
            check.at(node, None, ("step_class",),
                     f"the quality gate of '{node.name}' needs a Metrics step in modeling unit '{node.model}'",
                     "add a Metrics step, or remove registry.quality_gate")
        for key in ("transform", "evaluate"):
            section_config = getattr(config, key)
            if section_config is None:
                continue
            files = [f for c in section_config.channels.values() for f in (c.dataFiles or [])]
            if len(section_config.channels) > 1 or len(files) > 1:
                check.problems.append(project.model_problem(
                    node.model, (key, "channels"), f"the {key} step takes one channel with at most one data file "
                    f"(got {len(section_config.channels)} channels, {len(files)} files)", "keep one"))
    # Report each section problem once, not once per step that uses it.
    check.problems[:] = list(dict.fromkeys(check.problems))


def _data_edges(project, nodes, by_name, invalid, edges, check) -> None:
    for node in nodes:
        sources = node.config.chain_input_source_step
        if node.config.chain_input_additional_prefix is not None and node.step_class is not StepClass.TRANSFORM:
            check.at(node, None, ("chain_input_additional_prefix",),
                     f"chain_input_additional_prefix is only allowed on Transform steps (this is {node.step_class.value})",
                     "remove it")
        if sources and node.step_class not in CONSUMERS:
            check.at(node, None, ("chain_input_source_step",),
                     f"a {node.step_class.value} step takes no chained inputs (its inputs come from its modeling unit)",
                     "remove chain_input_source_step")
            continue
        if node.step_class is StepClass.TRANSFORM and node.model in project.models:
            config = project.models[node.model].transform
            has_file = config is not None and any(c.dataFiles for c in config.channels.values())
            if len(sources) > 1:
                check.at(node, None, ("chain_input_source_step",),
                         f"a Transform step takes exactly one chain source (got {len(sources)}: {', '.join(sources)})",
                         "keep one source; point at the file with chain_input_additional_prefix")
            elif not sources and config is not None and not has_file:
                check.at(node, None, ("chain_input_source_step",), f"Transform step '{node.name}' has no input",
                         "set chain_input_source_step, or a data file in transform.channels")
            elif sources and has_file:
                check.at(node, None, ("chain_input_source_step",),
                         f"Transform step '{node.name}' has both a chain source and a data file in transform.channels",
                         "a Transform step takes one input: keep one")
        for i, source in enumerate(sources):
            if source in invalid:
                continue
            if source not in by_name:
                check.at(node, None, ("chain_input_source_step", i), f"unknown step '{source}'",
                         did_you_mean(source, by_name, what="steps"))
                continue
            if source == node.name:
                check.at(node, None, ("chain_input_source_step", i), "a step cannot consume its own output",
                         "remove it from chain_input_source_step")
                continue
            source_class = by_name[source].step_class
            allowed = {StepClass.PROCESSING, StepClass.TRANSFORM} if node.step_class is StepClass.TRANSFORM else PRODUCERS
            if source_class not in allowed:
                check.at(node, None, ("chain_input_source_step", i),
                         f"'{source}' is a {source_class.value} step: it has no output a {node.step_class.value} step can use",
                         "chain from a " + " or ".join(sorted(c.value for c in allowed)) + " step")
                continue
            edges.setdefault((source, node.name), set()).add(EdgeKind.DATA)


def _implicit_edges(project, nodes, edges) -> None:
    units: dict[str, dict[StepClass, StepNode]] = {}
    for node in nodes:
        units.setdefault(node.model, {}).setdefault(node.step_class, node)
    wiring = {
        StepClass.CREATE_MODEL: (StepClass.TRAINING,),
        StepClass.TRANSFORM: (StepClass.CREATE_MODEL,),
        StepClass.REGISTER_MODEL: (StepClass.TRAINING, StepClass.METRICS),
    }
    for unit in units.values():
        for target_class, source_classes in wiring.items():
            target = unit.get(target_class)
            for source_class in source_classes:
                if target is not None and source_class in unit:
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


def _dependency_edges(project, by_name, invalid, edges, check) -> None:
    for index, text in enumerate(project.pipeline.dependencies):
        key = ("dependencies", index)
        parsed = parse_dependency(text)
        if isinstance(parsed, str):
            check.problems.append(project.pipeline_problem(key, f"invalid dependency {text!r}: {parsed}",
                                                           "Airflow notation: 'A >> B >> C' or 'A >> [B, C]'"))
            continue
        unknown = [n for group in parsed for n in group if n not in by_name and n not in invalid]
        for name in dict.fromkeys(unknown):
            check.problems.append(project.pipeline_problem(key, f"unknown step '{name}' in dependency {text!r}",
                                                           did_you_mean(name, by_name, what="steps")))
        if unknown or any(n in invalid for group in parsed for n in group):
            continue
        for before, after in zip(parsed, parsed[1:]):
            for source in before:
                for target in after:
                    if source == target:
                        check.problems.append(project.pipeline_problem(key, f"step '{source}' depends on itself",
                                                                       "remove the self-dependency"))
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


def _cycle_through(start: str, members: set[str], successors, order) -> list[str]:
    """A simple cycle from ``start`` back to itself inside one strongly connected component (BFS: shortest)."""
    parents = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted((s for s in successors[node] if s in members), key=order.__getitem__):
            if nxt == start:
                path = [node]
                while parents[path[-1]] is not None:
                    path.append(parents[path[-1]])
                return list(reversed(path))
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return [start]  # unreachable for a real component
