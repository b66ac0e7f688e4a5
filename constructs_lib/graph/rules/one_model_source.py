"""A modeling unit's model comes from one step: a Training or a Tuning step, not both."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.kinds import MODEL_SOURCES

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G2"


def check(g: GraphCheck) -> None:
    for model, unit in g.units.items():
        sources = [unit[c] for c in sorted(MODEL_SOURCES, key=lambda c: c.value) if c in unit]
        if len(sources) > 1:
            names = " and ".join(f"'{n.name}' ({n.step_class.value})" for n in sources)
            for node in sources[1:]:
                g.at(
                    node,
                    None,
                    ("step_class",),
                    f"modeling unit '{model}' has two model sources: {names}",
                    "keep one: a Tuning step runs the train section's job itself",
                )
