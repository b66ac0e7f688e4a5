"""Checks of things that compile but would fail (or do nothing) at run time.

Errors go to ``ctx.problems`` (the input is refused), warnings to ``ctx.warnings`` (printed by ``validate`` and
``definition``). The container contract they protect is described in :mod:`.steps.processing`.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from constructs_lib.compiler.context import CompileContext


def run_time_checks(ctx: CompileContext) -> None:
    _unused_models(ctx)
    _ignored_keys(ctx)
    for model in sorted({n.model for n in ctx.graph.nodes}):
        _source_directory(ctx, model)
    for node in ctx.graph.nodes:
        if "Processing" in node.kind.definition_types:  # Processing jobs run the bootstrap (see .bootstrap)
            _processing_entry_point(ctx, node.model, node.kind.section, node.section.entry_point)


def _unused_models(ctx: CompileContext) -> None:
    used = set(ctx.project.pipeline.models)
    for model in sorted(set(ctx.project.models) - used):
        ctx.warn(ctx.project.model_problem(model, (), f"model '{model}' is not in the pipeline",
                                           "add it under conf.sagemakerPipeline.models, or remove its file from the "
                                           "config glob"))


def _ignored_keys(ctx: CompileContext) -> None:
    for model in sorted({n.model for n in ctx.graph.nodes}):
        transform = ctx.project.models[model].transform
        if transform is not None and "volume_size" in transform.model_fields_set:
            ctx.warn(ctx.project.model_problem(
                model, ("transform", "volume_size"), "transform.volume_size has no effect: SageMaker transform "
                "jobs have no volume size setting", "remove it"))


def _source_directory(ctx: CompileContext, model: str) -> None:
    root = ctx.project.root / ctx.project.models[model].source_directory
    if (root / "requirements.txt").is_file() and not (root / "wheelhouse").is_dir():
        ctx.warn(ctx.project.model_problem(
            model, ("source_directory",), f"{root.relative_to(ctx.project.root).as_posix()}/requirements.txt is "
            "installed from PyPI at job start, but the jobs run in subnets without internet access",
            "ship the wheels in wheelhouse/ beside it (README: requirements.txt in the secure network)"))


def _processing_entry_point(ctx: CompileContext, model: str, section_key: str, entry_point: str) -> None:
    """``python -m pkg.script`` runs from the source root: modules beside a script in a subfolder are importable
    only as ``pkg.module``, and only the root's requirements.txt is installed."""
    root = ctx.project.root / ctx.project.models[model].source_directory
    folder = PurePosixPath(entry_point).parent
    if str(folder) == ".":
        return
    here = root / folder
    if (here / "requirements.txt").is_file() and not (root / "requirements.txt").is_file():
        ctx.warn(ctx.project.model_problem(
            model, (section_key, "entry_point"), f"{folder}/requirements.txt is not installed: the Processing "
            "bootstrap installs the requirements.txt at the source_directory root only",
            f"move it to {ctx.project.models[model].source_directory}/requirements.txt"))
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
            ctx.problems.append(ctx.project.model_problem(
                model, (section_key, "entry_point"),
                f"{entry_point} (line {line}) imports '{name}', a module beside it: the job runs it as "
                f"`python -m {module}.{PurePosixPath(entry_point).stem}` from the source_directory root, where "
                f"'{name}' is not importable",
                f"import it as '{module}.{name}' (from {module} import {name}), as the original framework required"))


def _top_level_imports(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module.split(".")[0], node.lineno))
    return out
