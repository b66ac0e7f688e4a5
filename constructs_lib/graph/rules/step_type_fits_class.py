"""``step_type`` fits ``step_class`` (and a Processing step says ``preprocess``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G3"


def check(g: GraphCheck) -> None:
    for node, _ in g.configured():
        step, kind = node.config, node.kind
        if kind.step_type_required and step.step_type is None:
            g.at(
                node,
                None,
                ("step_class",),
                "a Processing step needs 'step_type: preprocess'",
                "add step_type: preprocess (evaluation jobs are step_class: Metrics)",
            )
        elif step.step_type is not None and step.step_type not in kind.step_types:
            g.at(
                node,
                None,
                ("step_type",),
                f"step_type '{step.step_type}' does not fit step_class {kind.name}",
                f"use {' or '.join(sorted(kind.step_types))}, or remove step_type",
            )
