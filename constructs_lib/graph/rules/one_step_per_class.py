"""A modeling unit has at most one step of each class."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G1"


def check(g: GraphCheck) -> None:
    seen: dict[tuple[str, object], str] = {}
    for node in g.nodes:
        first = seen.setdefault((node.model, node.step_class), node.name)
        if first != node.name:
            g.at(
                node,
                None,
                ("step_class",),
                f"a second {node.step_class.value} step in modeling unit '{node.model}' (the first is '{first}')",
                "a modeling unit has at most one step of each class; put another model in its own unit",
            )
