"""The Hyperband strategy stops jobs early by itself: ``early_stopping`` must be Off
(HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G15"


def check(g: GraphCheck) -> None:
    for model, config in g.project.models.items():
        tune = config.tune
        if tune is not None and tune.strategy == "Hyperband" and tune.early_stopping != "Off":
            g.problems.append(
                g.project.model_problem(
                    model,
                    ("tune", "early_stopping"),
                    "the Hyperband strategy does its own early stopping",
                    "set early_stopping: Off, or use another strategy",
                )
            )
