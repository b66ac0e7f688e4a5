"""``chain_input_source_step`` only on step classes that take chained inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G12"


def check(g: GraphCheck) -> None:
    for node in g.nodes:
        if node.config.chain_input_source_step and node.kind.chains_from is None:
            g.at(
                node,
                None,
                ("chain_input_source_step",),
                f"a {node.kind.name} step takes no chained inputs (its inputs come from its modeling unit)",
                "remove chain_input_source_step",
            )
