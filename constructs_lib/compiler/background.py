"""Compile in another process while the caller builds the rest of the app.

Importing the SageMaker SDK takes ~2 s and compiling a few hundred milliseconds more; a CDK app spends
several seconds building and validating constructs meanwhile. On a machine with two cores, doing both at
once saves most of the SDK's cost. The worker is one spawned process (never forked: the CDK's jsii runtime
holds pipes to a node process), started on the first job and reused for the next ones, so the SDK is
imported once per app however many stacks need a definition. Results and errors (``ConfigError``
included) come back exactly as an in-process :func:`compile_pipeline` would return or raise them.
"""

from __future__ import annotations

import functools
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.graph.model import PipelineGraph


def _compile(project: ProjectConfig, graph: PipelineGraph, bindings: InfraBindings):
    from constructs_lib.compiler.facade import compile_pipeline

    return compile_pipeline(project, graph, bindings)


def _warm_up() -> None:
    import constructs_lib.compiler.facade  # noqa: F401  (the SDK import: the slow part)


@functools.lru_cache(maxsize=1)
def _worker() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_warm_up)
    return pool


class CompileJob:
    """A pipeline being compiled in the background; :meth:`result` waits for it."""

    def __init__(self, project: ProjectConfig, graph: PipelineGraph, bindings: InfraBindings):
        self.bindings = bindings
        self._future: Future = _worker().submit(_compile, project, graph, bindings)

    def result(self):
        """The :class:`~constructs_lib.compiler.facade.CompiledPipeline` (or the compile's exception)."""
        return self._future.result()
