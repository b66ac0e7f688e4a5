"""A model defined in a config file is used by the pipeline (warning)."""

from __future__ import annotations

from constructs_lib.compiler.context import CompileContext

ID = "SMP-C1"


def check(ctx: CompileContext) -> None:
    used = set(ctx.project.pipeline.models)
    for model in sorted(set(ctx.project.models) - used):
        ctx.warn(
            ctx.project.model_problem(
                model,
                (),
                f"model '{model}' is not in the pipeline",
                "add it under conf.sagemakerPipeline.models, or remove its file from the config glob",
            )
        )
