"""A Grid tuning strategy searches Categorical ranges only (HyperParameterTuningJobConfig.Strategy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G14"


def check(g: GraphCheck) -> None:
    for model, config in g.project.models.items():
        tune = config.tune
        if tune is None or tune.strategy != "Grid":
            continue
        for name, spec in tune.ranges.items():
            if spec.type != "Categorical":
                g.problems.append(
                    g.project.model_problem(
                        model,
                        ("tune", "ranges", name, "type"),
                        f"the Grid strategy takes Categorical ranges only ('{name}' is {spec.type})",
                        "list the values to try (type: Categorical, values: [...]), or use strategy Bayesian or Random",
                    )
                )
