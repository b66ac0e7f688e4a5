"""Compiled projects shared by the compiler tests (compiling imports the SageMaker SDK once per session).

Golden cases: the bundled model_repos/, the project's own original-shaped examples (own-*, always there) and the
original's examples (seed-*, from ../shared: skipped with a reason when it is absent).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    HAS_SEED_EXAMPLES,
    OWN_EXAMPLES,
    ROOT,
    SEED_EXAMPLES,
    SEED_SKIP_REASON,
    own_example_sets,
    seed_example_sets,
)

GOLDEN = ROOT / "tests" / "golden"


def stand_in_project(globs: list[str], workdir: Path, source: Path = SEED_EXAMPLES) -> Path:
    """A copy of example configs under `source` plus empty stand-ins for the scripts they name (not shipped)."""
    from constructs_lib.config.loader import load_project

    for pattern in globs:
        for path in source.glob(pattern):
            target = workdir / path.relative_to(source)
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
    cases: dict[str, tuple[list[str] | None, str]] = {
        "model_repos": (None, "bundled"),
        # fixtures compiled from the project root (its scripts)
        "tuning": (["tests/fixtures/tuning/conf.yaml"], "fixture"),
    }
    for name, globs in own_example_sets().items():
        if name != "housing+framework-conf":
            cases[f"own-{name}"] = (globs, "own")
    for name, globs in seed_example_sets().items():
        if name != "tf+framework-conf":
            cases[f"seed-{name}"] = (globs, "seed")
    return cases


CASES = _cases()


class _CompiledCases:
    """case name -> CompiledPipeline, compiled on first use (a seed case skips when ../shared is absent);
    ``roots``: case name -> the project root it was compiled in."""

    def __init__(self, tmp_path_factory) -> None:
        self._tmp = tmp_path_factory
        self._done: dict = {}
        self.roots: dict[str, Path] = {}

    def __getitem__(self, name: str):
        globs, kind = CASES[name]
        if kind == "seed" and not HAS_SEED_EXAMPLES:
            pytest.skip(SEED_SKIP_REASON)
        if name not in self._done:
            if kind == "bundled":
                self._done[name], self.roots[name] = compile_globs(None, ROOT), ROOT
            elif kind == "fixture":
                self._done[name], self.roots[name] = compile_globs(globs, ROOT), ROOT
            else:
                source = SEED_EXAMPLES if kind == "seed" else OWN_EXAMPLES
                workdir = stand_in_project(globs, self._tmp.mktemp(name), source)
                self._done[name], self.roots[name] = compile_globs(globs, workdir), workdir
        return self._done[name]


@pytest.fixture(scope="session")
def compiled_cases(tmp_path_factory):
    """case name -> CompiledPipeline, for the bundled example and every example set."""
    return _CompiledCases(tmp_path_factory)
