"""A Transform step has a CreateModel step in its unit (the model it scores with)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.schema import StepClass

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G8"


def check(g: GraphCheck) -> None:
    for node, _ in g.configured():
        if node.step_class is StepClass.TRANSFORM and StepClass.CREATE_MODEL not in g.units[node.model]:
            g.at(
                node,
                None,
                ("step_class",),
                f"Transform step '{node.name}' has no model: modeling unit '{node.model}' has no CreateModel step",
                "add a step with step_class: CreateModel to the unit",
            )
