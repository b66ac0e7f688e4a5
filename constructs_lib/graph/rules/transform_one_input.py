"""A Transform step has exactly one input: one chain source or one data file of ``transform.channels``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.config.schema import StepClass

if TYPE_CHECKING:
    from constructs_lib.graph.rules import GraphCheck

ID = "SMP-G13"


def check(g: GraphCheck) -> None:
    for node, _ in g.configured():
        if node.step_class is not StepClass.TRANSFORM:
            continue
        sources, config = node.config.chain_input_source_step, node.section
        has_file = config is not None and any(c.dataFiles for c in config.channels.values())
        if len(sources) > 1:
            g.at(
                node,
                None,
                ("chain_input_source_step",),
                f"a Transform step takes exactly one chain source (got {len(sources)}: {', '.join(sources)})",
                "keep one source; point at the file with chain_input_additional_prefix",
            )
        elif not sources and config is not None and not has_file:
            g.at(
                node,
                None,
                ("chain_input_source_step",),
                f"Transform step '{node.name}' has no input",
                "set chain_input_source_step, or a data file in transform.channels",
            )
        elif sources and has_file:
            g.at(
                node,
                None,
                ("chain_input_source_step",),
                f"Transform step '{node.name}' has both a chain source and a data file in transform.channels",
                "a Transform step takes one input: keep one",
            )
