"""A RegisterModel step with ``registry.quality_gate`` has a Metrics step in its unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.schema import StepClass

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G9"


def check(g: GraphCheck) -> None:
    for node, config in g.configured():
        if (
            node.step_class is StepClass.REGISTER_MODEL
            and config.registry is not None
            and config.registry.quality_gate is not None
            and StepClass.METRICS not in g.units[node.model]
        ):
            g.at(
                node,
                None,
                ("step_class",),
                f"the quality gate of '{node.name}' needs a Metrics step in modeling unit '{node.model}'",
                "add a Metrics step, or remove registry.quality_gate",
            )
