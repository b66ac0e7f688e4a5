"""A ``tune`` section in a unit without a Tuning step has no effect (warning)."""

from __future__ import annotations

from constructs_lib.compiler.context import CompileContext
from constructs_lib.config.schema import StepClass

ID = "SMP-C5"


def check(ctx: CompileContext) -> None:
    for model in sorted({n.model for n in ctx.graph.nodes}):
        if ctx.project.models[model].tune is not None and StepClass.TUNING not in ctx.graph.unit(model):
            ctx.warn(
                ctx.project.model_problem(
                    model,
                    ("tune",),
                    f"conf.models.{model}.tune has no effect: modeling unit '{model}' has no Tuning step",
                    "add a step with step_class: Tuning (in place of the Training step), or remove the section",
                )
            )
