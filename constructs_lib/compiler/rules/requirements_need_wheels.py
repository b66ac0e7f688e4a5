"""A ``requirements.txt`` at the source root ships its wheels (``wheelhouse/``): jobs run without internet
access (warning)."""

from __future__ import annotations

from constructs_lib.compiler.context import CompileContext

ID = "SMP-C3"


def check(ctx: CompileContext) -> None:
    for model in sorted({n.model for n in ctx.graph.nodes}):
        _check_model(ctx, model)


def _check_model(ctx: CompileContext, model: str) -> None:
    root = ctx.project.root / ctx.project.models[model].source_directory
    if (root / "requirements.txt").is_file() and not (root / "wheelhouse").is_dir():
        ctx.warn(
            ctx.project.model_problem(
                model,
                ("source_directory",),
                f"{root.relative_to(ctx.project.root).as_posix()}/requirements.txt is "
                "installed from PyPI at job start, but the jobs run in subnets without internet access",
                "ship the wheels in wheelhouse/ beside it (README: requirements.txt in the secure network)",
            )
        )
