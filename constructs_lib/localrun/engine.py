"""Run the steps of a plan: dependencies first, independent steps in parallel, Condition branches as SageMaker
takes them, the step cache, the progress view and the execution record.

Step states are those of ListPipelineExecutionSteps (Executing, Succeeded, Failed, Stopped) plus NotRun for a
step that did not run (a branch not taken, a step after a failure): the same views as ``start --wait``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from constructs_lib.localrun.expr import Scope, StepFailed
from constructs_lib.localrun.jobs import EXECUTORS, RunContext, run_condition, s3_uris, tuning_model_uri
from constructs_lib.localrun.plan import JOB_TYPES, Plan, Step
from constructs_lib.runtime.model import ExecutionState, Snapshot, StepState

CACHE_VERSION = 1


@dataclass
class StepRecord:
    name: str
    type: str
    status: str = "Pending"
    start: datetime | None = None
    end: datetime | None = None
    reason: str = ""
    cached: bool = False
    properties: dict | None = None

    @property
    def seconds(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return round((self.end - self.start).total_seconds(), 3)


def _now() -> datetime:
    return datetime.now(UTC)


def produced_uris(step: Step, props: dict) -> list[str]:
    """What a job step wrote (checked before a cached result is reused)."""
    if step.type == "Processing":
        return [o["S3Output"]["S3Uri"] for o in props.get("ProcessingOutputConfig", {}).get("Outputs", [])]
    if step.type == "Training":
        return [props["ModelArtifacts"]["S3ModelArtifacts"]]
    if step.type == "Tuning":  # the best training job's model (what the next steps read)
        return [tuning_model_uri(props)]
    if step.type == "Transform":
        return [props["TransformOutput"]["S3OutputPath"]]
    return []


class StepCache:
    """``<workdir>/cache/<key>.json``: a job step's properties, keyed like SageMaker's cache on the step's
    arguments (execution variables left symbolic) plus the content of every S3 object they name."""

    def __init__(self, folder: Path, ctx: RunContext, symbolic: Scope):
        self.folder = folder
        self.ctx = ctx
        self.symbolic = symbolic

    def key(self, step: Step) -> str:
        args = self.symbolic.evaluate(step.arguments)
        fingerprints = {uri: self.ctx.store.fingerprint(uri) for uri in sorted(set(s3_uris(args)))}
        blob = json.dumps(
            {
                "version": CACHE_VERSION,
                "type": step.type,
                "arguments": args,
                "propertyFiles": step.body.get("PropertyFiles", []),
                "inputs": fingerprints,
                "interpreter": self.ctx.interpreter,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, step: Step, key: str) -> dict | None:
        path = self.folder / f"{key}.json"
        if not path.is_file() or step.cache_for is None:
            return None
        try:
            entry = json.loads(path.read_text())
        except ValueError:
            return None
        created = datetime.fromisoformat(entry["created"])
        if _now() - created > step.cache_for:
            return None
        for uri, fingerprint in entry["outputs"].items():
            if self.ctx.store.fingerprint(uri) != fingerprint:
                return None  # an output was removed or changed since: run again
        return entry["properties"]

    def put(self, step: Step, key: str, props: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        outputs = {uri: self.ctx.store.fingerprint(uri) for uri in produced_uris(step, props)}
        entry = {"created": _now().isoformat(), "step": step.name, "outputs": outputs, "properties": props}
        tmp = self.folder / f".{key}.tmp"
        tmp.write_text(json.dumps(entry, sort_keys=True))
        os.replace(tmp, self.folder / f"{key}.json")


@dataclass
class Outcome:
    status: str
    records: dict[str, StepRecord]
    failure: str = ""
    registered: list[dict] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        plan: Plan,
        ctx: RunContext,
        scope: Scope,
        cache: StepCache | None,
        selected: list[str],
        jobs: int,
        keep_going: bool,
        on_change: Callable[[Snapshot], None],
        arn: str,
    ):
        self.plan = plan
        self.ctx = ctx
        self.scope = scope
        self.cache = cache
        self.selected = selected
        self.jobs = max(1, jobs)
        self.keep_going = keep_going
        self.on_change = on_change
        self.arn = arn
        self.created = _now()
        self.records = {name: StepRecord(name, plan.steps[name].type) for name in selected}
        self.status = "Executing"
        self.failure = ""

    # -- view ----------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        terminal = self.status != "Executing"
        execution = ExecutionState(
            self.arn, self.status, self.failure, self.created, _now() if not terminal else self._ended
        )
        steps = tuple(
            StepState(r.name, r.status, r.start, r.end, r.reason, r.cached, 1 if r.start else 0)
            for r in self.records.values()
            if r.status != "Pending"
        )
        return Snapshot(execution, steps, "", tuple(self.records))

    def _changed(self) -> None:
        self.on_change(self.snapshot())

    # -- running -------------------------------------------------------------------------------------------

    def _run_step(self, step: Step) -> tuple[dict, bool]:
        if step.type == "Condition":
            return run_condition(step, {}, self.ctx, self.scope), False
        args = self.scope.evaluate(step.arguments)
        key = None
        if self.cache is not None and step.cache_for is not None and step.type in JOB_TYPES:
            key = self.cache.key(step)
            hit = self.cache.get(step, key)
            if hit is not None:
                with open(self.ctx.log(step), "a") as handle:
                    handle.write(f"cache hit ({key[:16]}): the result of an earlier execution is reused\n")
                return hit, True
        props = EXECUTORS[step.type](step, args, self.ctx)
        if key is not None and self.cache is not None:
            self.cache.put(step, key, props)
        return props, bool(props.get("_reused"))  # the same model / model package exists already

    def _guarded(self, step: Step) -> tuple[dict | None, bool, str]:
        try:
            props, cached = self._run_step(step)
            return props, cached, ""
        except StepFailed as exc:
            return None, False, exc.reason
        except Exception as exc:
            with open(self.ctx.log(step), "a") as handle:
                handle.write(traceback.format_exc())
            return None, False, f"local runner error: {type(exc).__name__}: {exc}"

    def _blocked(self, step: Step) -> str | None:
        """Why a pending step will never run ('' = not decided yet, None = ready)."""
        waiting = False
        for dep in step.depends_on:
            record = self.records.get(dep)
            if record is None:
                continue  # not selected: its properties come from the reference execution
            if record.status in ("Failed", "Stopped", "NotRun"):
                return f"'{dep}' did not succeed" if record.status != "NotRun" else f"'{dep}' did not run"
            if record.status != "Succeeded":
                waiting = True
        if waiting:
            return ""
        if step.branch:
            condition, wanted = step.branch
            outcome = self.scope.properties.get(condition, {}).get("Outcome")
            if outcome is not None and outcome != wanted:
                return f"the {'if' if wanted else 'else'} branch of '{condition}' was not taken"
        return None

    def run(self) -> Outcome:
        self._ended: datetime | None = None
        running: dict[concurrent.futures.Future, str] = {}
        self._changed()
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="step")
        failed = False
        try:
            while True:
                for name in self.selected:
                    record = self.records[name]
                    if record.status != "Pending":
                        continue
                    why = self._blocked(self.plan.steps[name])
                    if why:
                        record.status, record.reason = "NotRun", why
                        self._changed()
                    elif why is None and not (failed and not self.keep_going) and len(running) < self.jobs:
                        record.status, record.start = "Executing", _now()
                        running[pool.submit(self._guarded, self.plan.steps[name])] = name
                        self._changed()
                if not running:
                    break
                done, _ = concurrent.futures.wait(running, timeout=1.0, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    record = self.records[name]
                    props, cached, reason = future.result()
                    record.end = _now()
                    if props is None:
                        record.status, record.reason = "Failed", reason
                        failed = True
                        if not self.failure:
                            self.failure = f"step {name} failed: {reason}"
                    else:
                        record.status, record.cached, record.properties = "Succeeded", cached, props
                        self.scope.properties[name] = props
                self._changed()
            for record in self.records.values():
                if record.status == "Pending":
                    record.status, record.reason = "NotRun", "the run stopped after a failure"
        except KeyboardInterrupt:
            self.ctx.processes.stop_all()
            for future, name in running.items():
                future.cancel()
                record = self.records[name]
                record.status, record.end, record.reason = "Stopped", _now(), "interrupted (Ctrl-C)"
            for record in self.records.values():
                if record.status == "Pending":
                    record.status = "NotRun"
            self.status, self.failure = "Stopped", "interrupted (Ctrl-C)"
            self._ended = _now()
            pool.shutdown(wait=True, cancel_futures=True)
            self._changed()
            raise
        pool.shutdown(wait=True)
        self.status = "Failed" if failed else "Succeeded"
        self._ended = _now()
        self._changed()
        registered = [
            r.properties["_registered"] for r in self.records.values() if r.properties and "_registered" in r.properties
        ]
        return Outcome(self.status, self.records, self.failure, registered)


def save_execution(exec_dir: Path, document: dict[str, Any]) -> None:
    exec_dir.mkdir(parents=True, exist_ok=True)
    tmp = exec_dir / ".execution.json.tmp"
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True, default=str))
    os.replace(tmp, exec_dir / "execution.json")


def reference_properties(executions: Path, pipeline: str, needed: set[str]) -> dict[str, dict]:
    """For steps not selected: the properties of each from the latest execution where it succeeded."""
    found: dict[str, dict] = {}
    if not executions.is_dir():
        return found
    candidates = sorted(
        (p for p in executions.iterdir() if (p / "execution.json").is_file()),
        key=lambda p: (p / "execution.json").stat().st_mtime,
        reverse=True,
    )
    for folder in candidates:
        try:
            document = json.loads((folder / "execution.json").read_text())
        except ValueError:
            continue
        if document.get("pipeline") != pipeline:
            continue
        for name, step in document.get("steps", {}).items():
            if name in needed and name not in found and step.get("status") == "Succeeded" and step.get("properties"):
                found[name] = step["properties"]
    return found


def elapsed(start: float) -> float:
    return round(time.monotonic() - start, 3)
