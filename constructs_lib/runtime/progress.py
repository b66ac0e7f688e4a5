"""Following an execution: polling, the progress views (live on a terminal, one line per change otherwise) and
the ``status`` report. Works on :mod:`constructs_lib.runtime.model` values only (tested with fake clients)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from constructs_lib.runtime.model import PipelinesClient, Snapshot, StepState, Unsupported

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_TIMEOUT = 124  # as GNU timeout: the execution is still running, we stopped waiting
EXIT_INTERRUPTED = 130

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Poller:
    """Takes snapshots of one execution. Asks for steps until the endpoint says it cannot list them (moto),
    then never again: the execution status alone is shown from then on."""

    def __init__(self, client: PipelinesClient, arn: str):
        self._client = client
        self.arn = arn
        self._steps_supported = True
        self._unavailable = ""
        self._defined: tuple[str, ...] | None = None

    def poll(self) -> Snapshot:
        execution = self._client.describe_execution(self.arn)
        steps = None
        if self._steps_supported:
            try:
                steps = tuple(self._client.execution_steps(self.arn))
            except Unsupported as exc:
                self._steps_supported = False
                self._unavailable = f"{exc.operation}: {exc.reason}"
        if steps is not None and self._defined is None:
            try:
                self._defined = tuple(self._client.execution_step_names(self.arn))
            except Unsupported:
                self._defined = ()
        return Snapshot(execution, steps, self._unavailable, self._defined or ())


@dataclass(frozen=True)
class FollowOutcome:
    snapshot: Snapshot
    timed_out: bool = False


def follow(
    poller: Poller,
    renderer: Renderer,
    *,
    poll_seconds: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> FollowOutcome:
    """Poll until the execution ends or ``timeout`` seconds have passed. KeyboardInterrupt propagates."""
    deadline = monotonic() + timeout
    while True:
        snapshot = poller.poll()
        renderer.update(snapshot)
        if snapshot.execution.terminal:
            return FollowOutcome(snapshot)
        remaining = deadline - monotonic()
        if remaining <= 0:
            return FollowOutcome(snapshot, timed_out=True)
        sleep(min(poll_seconds, remaining))


# ----------------------------------------------------------------------------------------------------------
# Formatting helpers
# ----------------------------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def stamp(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def execution_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _step_detail(step: StepState, now: datetime) -> str:
    """What follows a step's status: cached, attempt, how long, why it failed."""
    parts = []
    if step.cache_hit:
        parts.append("(cached)")
    if step.attempts > 1:
        parts.append(f"attempt {step.attempts}")
    if step.start is not None:
        parts.append(duration(((step.end or now) - step.start).total_seconds()))
    if step.failure_reason:
        parts.append(f"- {step.failure_reason}")
    return " ".join(parts)


def unavailable_note(snapshot: Snapshot) -> str:
    return f"step details unavailable ({snapshot.steps_unavailable}); showing the execution status only"


# ----------------------------------------------------------------------------------------------------------
# Progress views
# ----------------------------------------------------------------------------------------------------------


class Renderer:
    def update(self, snapshot: Snapshot) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class PlainRenderer(Renderer):
    """One timestamped line per change (execution status, each step's status): for logs and pipes."""

    def __init__(self, out: TextIO, clock: Clock = utc_now):
        self._out = out
        self._clock = clock
        self._status: str | None = None
        self._steps: dict[str, str] = {}
        self._noted = False

    def _line(self, text: str) -> None:
        self._out.write(f"{self._clock().strftime('%Y-%m-%dT%H:%M:%SZ')} {text}\n")
        self._out.flush()

    def update(self, snapshot: Snapshot) -> None:
        execution = snapshot.execution
        if snapshot.steps is None and snapshot.steps_unavailable and not self._noted:
            self._noted = True
            self._line(unavailable_note(snapshot))
        for step in snapshot.steps or ():
            key = f"{step.status}|{step.attempts}"
            if self._steps.get(step.name) != key:
                self._steps[step.name] = key
                detail = "" if step.status in ("Starting", "Executing") else _step_detail(step, self._clock())
                self._line(f"step {step.name}: {step.status} {detail}".rstrip())
        if execution.status != self._status:
            self._status = execution.status
            self._line(f"execution {execution_id(execution.arn)}: {execution.status}")


class LiveRenderer(Renderer):
    """A block redrawn in place on every poll: the execution line, then one line per step (steps defined in
    the pipeline but not started yet show as ``Pending``). Lines are cut to the terminal width so the
    cursor arithmetic holds."""

    def __init__(self, out: TextIO, clock: Clock = utc_now, width: Callable[[], int] | None = None):
        self._out = out
        self._clock = clock
        self._width = width or (lambda: shutil.get_terminal_size((100, 24)).columns)
        self._drawn = 0

    def lines(self, snapshot: Snapshot) -> list[str]:
        now = self._clock()
        execution = snapshot.execution
        elapsed = ""
        if execution.created is not None:
            end = execution.modified if execution.terminal and execution.modified else now
            elapsed = f"  {duration((end - execution.created).total_seconds())}"
        lines = [
            f"{execution.pipeline or 'pipeline'} {execution_id(execution.arn)}: {execution.status}{elapsed}"
            f"   (updated {now.strftime('%H:%M:%S')} UTC{'' if execution.terminal else '; Ctrl-C stops following, not the execution'})"
        ]
        if snapshot.steps is None:
            if snapshot.steps_unavailable:
                lines.append("  " + unavailable_note(snapshot))
            return lines
        seen = {s.name for s in snapshot.steps}
        rows = [(s.name, s.status, _step_detail(s, now)) for s in snapshot.steps]
        not_run = "NotRun" if execution.terminal else "Pending"
        rows += [(name, not_run, "") for name in snapshot.defined_steps if name not in seen]
        width = max((len(name) for name, _, _ in rows), default=0)
        lines += [f"  {name.ljust(width)}  {status.ljust(9)}  {detail}".rstrip() for name, status, detail in rows]
        return lines

    def update(self, snapshot: Snapshot) -> None:
        columns = max(20, self._width())
        lines = [line if len(line) < columns else line[: columns - 2] + "~" for line in self.lines(snapshot)]
        if self._drawn:
            self._out.write(f"\x1b[{self._drawn}A\r\x1b[J")
        self._out.write("\n".join(lines) + "\n")
        self._out.flush()
        self._drawn = len(lines)


# ----------------------------------------------------------------------------------------------------------
# The status report and the end of a follow
# ----------------------------------------------------------------------------------------------------------


def status_report(snapshot: Snapshot, parameters: Sequence[tuple[str, str]] | None, now: datetime) -> list[str]:
    execution = snapshot.execution
    rows = [("pipeline", execution.pipeline), ("execution", execution.arn)]
    if execution.display_name:
        rows.append(("name", execution.display_name))
    rows.append(("status", execution.status))
    rows.append(("started", stamp(execution.created)))
    if execution.created is not None:
        if execution.terminal and execution.modified is not None:
            rows.append(
                (
                    "ended",
                    f"{stamp(execution.modified)} (after "
                    f"{duration((execution.modified - execution.created).total_seconds())})",
                )
            )
        elif not execution.terminal:
            rows.append(("running for", duration((now - execution.created).total_seconds())))
    if parameters is not None:
        rows.append(("parameters", ", ".join(f"{k}={v}" for k, v in parameters) if parameters else "(all defaults)"))
    if execution.failure_reason:
        rows.append(("failure", execution.failure_reason))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    if snapshot.steps is None:
        lines.append(
            f"{'steps'.ljust(width)}  "
            + (f"unavailable ({snapshot.steps_unavailable})" if snapshot.steps_unavailable else "-")
        )
        return lines
    seen = {s.name for s in snapshot.steps}
    step_rows = [(s.name, s.status, stamp(s.start), _step_detail(s, now)) for s in snapshot.steps]
    step_rows += [
        (name, "Pending" if not execution.terminal else "NotRun", "-", "")
        for name in snapshot.defined_steps
        if name not in seen
    ]
    lines.append(
        f"{'steps'.ljust(width)}  {len(snapshot.steps)} started"
        + (f" of {len(set(snapshot.defined_steps) | seen)}" if snapshot.defined_steps else "")
    )
    name_width = max((len(r[0]) for r in step_rows), default=0)
    for name, status, started, detail in step_rows:
        lines.append(f"  {name.ljust(name_width)}  {status.ljust(9)}  {started}  {detail}".rstrip())
    return lines


def failure_lines(snapshot: Snapshot) -> list[str]:
    """Why an execution failed or stopped: its own reason, then each failed step's."""
    execution = snapshot.execution
    lines = [f"execution {execution.status}: {execution.failure_reason or 'no reason given by SageMaker'}"]
    for step in snapshot.steps or ():
        if step.status in ("Failed", "Stopped") and step.failure_reason:
            lines.append(f"  step {step.name} {step.status}: {step.failure_reason}")
    return lines
