"""A job with ``network_isolation`` and a ``requirements.txt`` at the source root ships its wheels
(``wheelhouse/``): an isolated container reaches no package index, not even through a proxy or an endpoint
(warning)."""

from __future__ import annotations

from constructs_lib.compiler.context import CompileContext

ID = "SMP-C6"
#: Sections whose jobs run the source directory's code (and its requirements.txt).
SECTIONS = ("preprocess", "train", "evaluate")


def check(ctx: CompileContext) -> None:
    for model in sorted({n.model for n in ctx.graph.nodes}):
        config = ctx.project.models[model]
        root = ctx.project.root / config.source_directory
        if not (root / "requirements.txt").is_file() or (root / "wheelhouse").is_dir():
            continue
        for name in SECTIONS:
            section = getattr(config, name)
            if section is not None and section.network_isolation:
                ctx.warn(
                    ctx.project.model_problem(
                        model,
                        (name, "network_isolation"),
                        f"{root.relative_to(ctx.project.root).as_posix()}/requirements.txt cannot be installed: "
                        f"the {name} job runs with network isolation and reaches no package index",
                        "ship the wheels in wheelhouse/ beside it (README: requirements.txt in the secure network)",
                    )
                )
