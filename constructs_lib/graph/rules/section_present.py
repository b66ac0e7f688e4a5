"""The model sections a step is configured by exist in its unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G5"


def check(g: GraphCheck) -> None:
    for node, config in g.configured():
        for section in filter(None, (node.kind.section, *node.kind.extra_sections)):
            if getattr(config, section) is None:
                g.at(
                    node,
                    None,
                    ("step_class",),
                    f"{node.kind.name} step '{node.name}' needs the '{section}' section in conf.models.{node.model}",
                    f"add conf.models.{node.model}.{section} in {g.project.model_files[node.model]}",
                )
