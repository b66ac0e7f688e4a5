"""The transform and evaluate sections take one channel with at most one data file."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G10"


def check(g: GraphCheck) -> None:
    for node, config in g.configured():
        for key in ("transform", "evaluate"):
            section = getattr(config, key)
            if section is None:
                continue
            files = [f for c in section.channels.values() for f in (c.dataFiles or [])]
            if len(section.channels) > 1 or len(files) > 1:
                problem = g.project.model_problem(
                    node.model,
                    (key, "channels"),
                    f"the {key} step takes one channel with at most one data file "
                    f"(got {len(section.channels)} channels, {len(files)} files)",
                    "keep one",
                )
                if problem not in g.problems:  # once per section, not once per step of the unit
                    g.problems.append(problem)
