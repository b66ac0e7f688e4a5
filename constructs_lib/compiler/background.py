"""Compile in another process while the caller builds the rest of the app.

Importing the SageMaker SDK takes ~2 s and compiling a few hundred milliseconds more; a CDK app spends
several seconds building and validating constructs meanwhile. On a machine with two cores, doing both at
once saves most of the SDK's cost, and the app's own process never imports the SDK.

The worker is one ``python -m constructs_lib.compiler.background`` process (not ``multiprocessing``: that
would re-run the app's ``__main__`` in the child, and forking would copy the jsii runtime's pipes), started
on the first job and reused, so the SDK is imported once however many stacks need a definition. Jobs and
results travel as length-prefixed pickles over its stdin/stdout; a reader thread drains stdout so neither
side can block the other. Results and errors (``ConfigError`` included) come back exactly as an in-process
:func:`~constructs_lib.compiler.facade.compile_pipeline` would return or raise them.
"""

from __future__ import annotations

import functools
import pickle
import subprocess
import sys
import threading
from typing import IO, Any

from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.compiler.result import CompiledPipeline
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.graph.model import PipelineGraph

_HEADER = 8


def _write(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError
    return pickle.loads(stream.read(int.from_bytes(header, "big")))


class _Worker:
    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "constructs_lib.compiler.background"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._results: dict[int, Any] = {}
        self._sent = 0
        self._done = threading.Condition()
        threading.Thread(target=self._drain, name="compile-worker-reader", daemon=True).start()

    def _drain(self) -> None:
        received = 0
        stdout = self._process.stdout
        assert stdout is not None  # opened with stdout=PIPE
        while True:
            try:
                result = _read(stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                result = ("error", RuntimeError("the compile worker process ended unexpectedly"))
                with self._done:
                    for job in range(received, self._sent + 1):
                        self._results.setdefault(job, result)
                    self._done.notify_all()
                return
            with self._done:
                self._results[received] = result
                received += 1
                self._done.notify_all()

    def submit(self, payload: tuple) -> int:
        with self._done:
            job = self._sent
            self._sent += 1
            assert self._process.stdin is not None  # opened with stdin=PIPE
            _write(self._process.stdin, payload)
        return job

    def result(self, job: int) -> Any:
        with self._done:
            self._done.wait_for(lambda: job in self._results)
            status, value = self._results[job]
        if status == "error":
            raise value
        return value


@functools.lru_cache(maxsize=1)
def _worker() -> _Worker:
    return _Worker()


def started() -> bool:
    """Whether the worker process runs (the app called :func:`prewarm` or submitted a job)."""
    return _worker.cache_info().currsize > 0


def prewarm() -> None:
    """Start the worker now, so that it imports the SageMaker SDK while the caller imports the CDK."""
    _worker()


class CompileJob:
    """A pipeline being compiled in the background (or, with ``in_process``, compiled in this process when its
    result is first asked for); :meth:`result` waits for it."""

    def __init__(
        self, project: ProjectConfig, graph: PipelineGraph, bindings: InfraBindings, *, in_process: bool = False
    ):
        self.bindings = bindings
        self._job: int | None = None
        self._compiled: CompiledPipeline | None = None
        self._pending: tuple[ProjectConfig, PipelineGraph] | None = None
        if in_process:
            self._pending = (project, graph)
        else:
            self._job = _worker().submit((project, graph, bindings))

    def result(self) -> CompiledPipeline:
        """The :class:`~constructs_lib.compiler.result.CompiledPipeline` (or the compile's exception)."""
        if self._compiled is None and self._pending is not None:
            from constructs_lib.compiler.facade import compile_pipeline

            self._compiled = compile_pipeline(*self._pending, self.bindings)
            self._pending = None
        if self._compiled is not None:
            return self._compiled
        assert self._job is not None  # in_process or not, __init__ set one of them
        result: CompiledPipeline = _worker().result(self._job)
        return result


def main() -> None:
    """The worker: compile each job read from stdin, answer on stdout, until stdin closes."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed goes to stderr: stdout carries only replies
    from constructs_lib.compiler.facade import compile_pipeline  # the SDK import, before the first job

    while True:
        try:
            project, graph, bindings = _read(requests)
        except EOFError:
            return
        try:
            reply: tuple = ("ok", compile_pipeline(project, graph, bindings))
            pickle.dumps(reply)
        except BaseException as exc:
            try:
                pickle.dumps(exc)
                reply = ("error", exc)
            except Exception:  # an exception that cannot travel: its text can
                reply = ("error", RuntimeError(f"{type(exc).__name__}: {exc}"))
        _write(replies, reply)


if __name__ == "__main__":
    main()
