"""Compiled projects shared by the compiler tests (compiling imports the SageMaker SDK once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_EXAMPLES, seed_example_sets

GOLDEN = ROOT / "tests" / "golden"


def stand_in_project(globs: list[str], workdir: Path) -> Path:
    """A copy of seed example configs plus empty stand-ins for the scripts they name (not shipped)."""
    from constructs_lib.config.loader import load_project

    for pattern in globs:
        for path in SEED_EXAMPLES.glob(pattern):
            target = workdir / path.relative_to(SEED_EXAMPLES)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    project = load_project(globs, cwd=workdir, environ={})
    for model in project.models.values():
        for section in (model.preprocess, model.train, model.transform, model.evaluate):
            entry = getattr(section, "entry_point", None) if section is not None else None
            if entry:
                script = workdir / model.source_directory / entry
                script.parent.mkdir(parents=True, exist_ok=True)
                script.write_text(f"# stand-in for {entry}\n")
    return workdir


def compile_globs(globs: list[str] | None, cwd: Path, environ: dict | None = None):
    from constructs_lib.compiler.facade import compile_pipeline
    from constructs_lib.config.loader import load_project
    from constructs_lib.graph.builder import build_graph

    project = load_project(globs, cwd=cwd, environ=environ or {})
    return compile_pipeline(project, build_graph(project))


def _cases() -> dict[str, tuple[list[str] | None, str]]:
    cases: dict[str, tuple[list[str] | None, str]] = {"model_repos": (None, "bundled"),
                                                      # fixtures compiled from the project root (its scripts)
                                                      "tuning": (["tests/fixtures/tuning/conf.yaml"], "fixture")}
    for name, globs in seed_example_sets().items():
        if name != "tf+framework-conf":
            cases[f"seed-{name}"] = (globs, "seed")
    return cases


CASES = _cases()


class CompiledCases(dict):
    """case name -> CompiledPipeline; ``roots``: case name -> the project root it was compiled in."""

    roots: dict[str, Path]


@pytest.fixture(scope="session")
def compiled_cases(tmp_path_factory):
    """case name -> CompiledPipeline, for the bundled example and every seed example set."""
    out = CompiledCases()
    out.roots = {}
    for name, (globs, kind) in CASES.items():
        if kind == "bundled":
            out[name], out.roots[name] = compile_globs(None, ROOT), ROOT
        elif kind == "fixture":
            out[name], out.roots[name] = compile_globs(globs, ROOT), ROOT
        else:
            workdir = stand_in_project(globs, tmp_path_factory.mktemp(name))
            out[name], out.roots[name] = compile_globs(globs, workdir), workdir
    return out
