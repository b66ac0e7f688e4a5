"""The checked step graph: one node per configured step, edges for data flow and ordering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from constructs_lib.config.kinds import KINDS, StepKind
from constructs_lib.config.schema import StepClass, StepConfig


class EdgeKind(str, Enum):
    """Why one step runs after another."""

    DATA = "data"
    """``chain_input_source_step``: the target consumes the source's outputs."""
    IMPLICIT = "implicit"
    """Wiring inside a modeling unit (:attr:`StepKind.needs_model` and :attr:`StepKind.after`: CreateModel <-
    Training/Tuning, Transform <- CreateModel, RegisterModel <- Training/Tuning and Metrics)."""
    DEPENDENCY = "dependency"
    """``dependencies`` (Airflow notation): ordering only."""


@dataclass(frozen=True)
class StepNode:
    name: str
    step_class: StepClass
    model: str
    config: StepConfig
    index: int
    """Position of the step in its unit's ``steps`` list (for error positions)."""
    section: Any = field(default=None, compare=False)
    """The resolved, typed config section of the step (``conf.models.<model>.<kind.section>``, e.g. a
    :class:`~constructs_lib.config.schema.ProcessingSection`); the graph rules guarantee it is there for every
    kind that has a section. None for CreateModel (made from other sections of its unit)."""

    @property
    def kind(self) -> StepKind:
        return KINDS[self.step_class]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kinds: tuple[EdgeKind, ...]


@dataclass(frozen=True)
class PipelineGraph:
    """Steps in configuration order and the edges between them (one edge per pair, with all its reasons)."""

    pipeline_name: str
    nodes: tuple[StepNode, ...]
    edges: tuple[Edge, ...]
    _by_name: Mapping[str, StepNode] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {n.name: n for n in self.nodes})

    def node(self, name: str) -> StepNode:
        return self._by_name[name]

    def unit(self, model: str) -> dict[StepClass, StepNode]:
        """The steps of one modeling unit, by class."""
        return {n.step_class: n for n in self.nodes if n.model == model}

    def upstream(self, name: str, kind: EdgeKind | None = None) -> list[str]:
        return [e.source for e in self.edges if e.target == name and (kind is None or kind in e.kinds)]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(n.model for n in self.nodes))

    def topological_order(self) -> list[StepNode]:
        """A stable order: among ready steps, configuration order wins (the graph is acyclic once built)."""
        position = {n.name: i for i, n in enumerate(self.nodes)}
        incoming = {n.name: 0 for n in self.nodes}
        for e in self.edges:
            incoming[e.target] += 1
        ready = sorted((n for n, c in incoming.items() if c == 0), key=position.__getitem__)
        out: list[StepNode] = []
        while ready:
            name = ready.pop(0)
            out.append(self._by_name[name])
            for e in self.edges:
                if e.source == name:
                    incoming[e.target] -= 1
                    if incoming[e.target] == 0:
                        ready.append(e.target)
                        ready.sort(key=position.__getitem__)
        return out
