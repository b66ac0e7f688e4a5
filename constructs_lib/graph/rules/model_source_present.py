"""CreateModel and RegisterModel steps have a model: a Training or Tuning step in their unit, or
``train.model_data_uri``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.kinds import MODEL_SOURCES

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G6"


def check(g: GraphCheck) -> None:
    for node, config in g.configured():
        has_model_data = config.train is not None and config.train.model_data_uri is not None
        if node.kind.needs_model and not MODEL_SOURCES & set(g.units[node.model]) and not has_model_data:
            g.at(
                node,
                None,
                ("step_class",),
                f"{node.kind.name} step '{node.name}' has no Training step in modeling unit '{node.model}'",
                "add a Training step to the unit, or set train.model_data_uri to existing model artifacts",
            )
