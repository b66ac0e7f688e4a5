"""A Processing job's entry point in a subfolder imports its neighbours as ``pkg.module`` and has its
requirements at the source root (the bootstrap runs ``python -m pkg.script`` from the source root)."""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from constructs_lib.compiler.context import CompileContext

ID = "SMP-C4"


def check(ctx: CompileContext) -> None:
    for node in ctx.graph.nodes:
        if "Processing" in node.kind.definition_types:  # Processing jobs run the bootstrap (see ..bootstrap)
            assert node.kind.section is not None  # the kinds with Processing jobs (preprocess, evaluate) have one
            _processing_entry_point(ctx, node.model, node.kind.section, node.section.entry_point)


def _processing_entry_point(ctx: CompileContext, model: str, section_key: str, entry_point: str) -> None:
    """``python -m pkg.script`` runs from the source root: modules beside a script in a subfolder are importable
    only as ``pkg.module``, and only the root's requirements.txt is installed."""
    root = ctx.project.root / ctx.project.models[model].source_directory
    folder = PurePosixPath(entry_point).parent
    if str(folder) == ".":
        return
    here = root / folder
    if (here / "requirements.txt").is_file() and not (root / "requirements.txt").is_file():
        ctx.warn(
            ctx.project.model_problem(
                model,
                (section_key, "entry_point"),
                f"{folder}/requirements.txt is not installed: the Processing "
                "bootstrap installs the requirements.txt at the source_directory root only",
                f"move it to {ctx.project.models[model].source_directory}/requirements.txt",
            )
        )
    script = root / entry_point
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    except (OSError, SyntaxError, ValueError):
        return  # a missing script is reported by the step builder; a syntax error shows when it runs
    for name, line in _top_level_imports(tree):
        beside = (here / f"{name}.py").is_file() or (here / name).is_dir()
        at_root = (root / f"{name}.py").is_file() or (root / name).is_dir()
        if beside and not at_root:
            module = ".".join(folder.parts)
            ctx.problems.append(
                ctx.project.model_problem(
                    model,
                    (section_key, "entry_point"),
                    f"{entry_point} (line {line}) imports '{name}', a module beside it: the job runs it as "
                    f"`python -m {module}.{PurePosixPath(entry_point).stem}` from the source_directory root, where "
                    f"'{name}' is not importable",
                    f"import it as '{module}.{name}' (from {module} import {name}), as the original framework required",
                )
            )


def _top_level_imports(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module.split(".")[0], node.lineno))
    return out
