"""A CreateModel step has a serving image (``transform.image_uri`` or ``registry.InferenceSpecification``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.schema import StepClass

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G7"


def check(g: GraphCheck) -> None:
    for node, config in g.configured():
        if node.step_class is StepClass.CREATE_MODEL and config.transform is None and config.registry is None:
            g.at(
                node,
                None,
                ("step_class",),
                f"CreateModel step '{node.name}' has no serving image",
                f"add conf.models.{node.model}.transform (image_uri) or registry.InferenceSpecification",
            )
