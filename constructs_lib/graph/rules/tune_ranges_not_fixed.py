"""A tuned hyperparameter is not also a fixed one in ``train.hyperparams``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G16"


def check(g: GraphCheck) -> None:
    for model, config in g.project.models.items():
        if config.tune is None or config.train is None:
            continue
        for name in config.tune.ranges:
            if name in config.train.hyperparams:
                g.problems.append(
                    g.project.model_problem(
                        model,
                        ("tune", "ranges", name),
                        f"hyperparameter '{name}' is both tuned and fixed (train.hyperparams.{name})",
                        "remove it from train.hyperparams, or from tune.ranges",
                    )
                )
