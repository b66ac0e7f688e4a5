"""``chain_input_additional_prefix`` only on Transform steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.schema import StepClass

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G11"


def check(g: GraphCheck) -> None:
    for node in g.nodes:
        if node.config.chain_input_additional_prefix is not None and node.step_class is not StepClass.TRANSFORM:
            g.at(
                node,
                None,
                ("chain_input_additional_prefix",),
                f"chain_input_additional_prefix is only allowed on Transform steps (this is {node.kind.name})",
                "remove it",
            )
