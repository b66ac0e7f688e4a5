"""The graph's user checks, one rule per module (cdk-nag style): each module has an ``ID``, a one-line
docstring saying what it checks, and ``check(graph_check)``, which reports through ``graph_check.at``.

Rules see every step that has a known class (unknown classes, duplicate names, unknown models, chain sources,
dependencies and cycles are the graph builder's structural checks). Messages are pinned by the invalid and
hostile corpora (tests/fixtures): a rule's message is part of its contract.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import ModelConfig, StepClass
from constructs_lib.errors import Problem
from constructs_lib.graph.model import StepNode


@dataclass
class GraphCheck:
    """What a rule reads (the project, the nodes, each unit's steps by class) and where it reports."""

    project: ProjectConfig
    nodes: list[StepNode]
    units: dict[str, dict[StepClass, StepNode]] = field(default_factory=dict)
    """model -> the first step of each class in its unit."""
    problems: list[Problem] = field(default_factory=list)

    def at(self, node_or_model: StepNode | str, index: int | None, key: tuple, message: str, hint: str = "") -> None:
        """A problem at ``models.<model>.steps[<index>].<key>`` of the pipeline section."""
        if isinstance(node_or_model, StepNode):
            model, index = node_or_model.model, node_or_model.index
        else:
            model = node_or_model
        path = ("models", model, "steps", index) + key if index is not None else ("models", model) + key
        self.problems.append(self.project.pipeline_problem(path, message, hint))

    def configured(self) -> list[tuple[StepNode, ModelConfig]]:
        """Steps whose unit has a model section (the others are already reported)."""
        return [(n, self.project.models[n.model]) for n in self.nodes if n.model in self.project.models]


#: Rule modules, in the order they run (the order of problems does not matter: they are sorted).
RULE_MODULES = (
    "one_step_per_class",
    "one_model_source",
    "step_type_fits_class",
    "cache_only_cacheable",
    "section_present",
    "model_source_present",
    "serving_image_present",
    "transform_has_model",
    "quality_gate_has_metrics",
    "single_channel_sections",
    "chain_prefix_on_transform",
    "chain_only_consumers",
    "transform_one_input",
    "tune_grid_categorical",
    "tune_hyperband_no_early_stopping",
    "tune_ranges_not_fixed",
)


Subject = TypeVar("Subject")


@dataclass(frozen=True)
class Rule(Generic[Subject]):
    """One check: its module's ``ID``, module name, docstring (on one line) and ``check(subject)``."""

    id: str
    name: str
    description: str
    check: Callable[[Subject], None]


def load_rules(package: str, names: Sequence[str]) -> tuple[Rule[Any], ...]:
    """The rules of modules ``<package>.<name>``, in ``names`` order (the compiler's run-time rules use it too)."""
    rules = []
    for name in names:
        module: ModuleType = importlib.import_module(f"{package}.{name}")
        rules.append(Rule(module.ID, name, " ".join((module.__doc__ or "").split()), module.check))
    return tuple(rules)


RULES: tuple[Rule[GraphCheck], ...] = load_rules(__name__, RULE_MODULES)


def run_rules(check: GraphCheck) -> None:
    for rule in RULES:
        rule.check(check)
