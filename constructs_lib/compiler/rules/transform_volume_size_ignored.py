"""``transform.volume_size`` has no effect: transform jobs have no volume size setting (warning)."""

from __future__ import annotations

from constructs_lib.compiler.context import CompileContext

ID = "SMP-C2"


def check(ctx: CompileContext) -> None:
    for model in sorted({n.model for n in ctx.graph.nodes}):
        transform = ctx.project.models[model].transform
        if transform is not None and "volume_size" in transform.model_fields_set:
            ctx.warn(
                ctx.project.model_problem(
                    model,
                    ("transform", "volume_size"),
                    "transform.volume_size has no effect: SageMaker transform jobs have no volume size setting",
                    "remove it",
                )
            )
