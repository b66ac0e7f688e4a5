"""``enable_cache`` only on step classes SageMaker Pipelines can cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.kinds import KINDS

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G4"


def check(g: GraphCheck) -> None:
    cacheable = [k.name for k in KINDS.values() if k.cacheable]
    for node, _ in g.configured():
        if node.config.enable_cache and not node.kind.cacheable:
            g.at(
                node,
                None,
                ("enable_cache",),
                f"SageMaker Pipelines cannot cache {node.kind.name} steps",
                f"remove enable_cache ({', '.join(cacheable[:-1])} and {cacheable[-1]} steps can be cached)",
            )
