"""Following an execution with a fake client: the follow loop, both progress views, the status report."""

from __future__ import annotations

import io

import pytest

from constructs_lib.runtime.progress import (
    LiveRenderer,
    PlainRenderer,
    Poller,
    duration,
    failure_lines,
    follow,
    status_report,
)
from tests.unit.runtime.fakes import ARN, FakeClient, at, execution, step


class FakeTime:
    """sleep() advances monotonic() and the wall clock together; no real waiting."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def clock(self):
        return at(self.now)


SUCCESS_STATES = [
    execution("Executing"),
    execution("Executing"),
    execution("Executing"),
    execution("Succeeded", modified=30),
]
SUCCESS_STEPS = [
    (),
    (step("Prep", "Executing", 1),),
    (step("Prep", "Succeeded", 1, 12), step("Train", "Executing", 13)),
    (step("Prep", "Succeeded", 1, 12), step("Train", "Succeeded", 13, 29), step("Register", "Succeeded", 29, 30)),
]
FAILED_STATES = [
    execution("Executing"),
    execution("Failed", modified=20, reason="Step failure: One or more steps failed."),
]
FAILED_STEPS = [
    (step("Prep", "Executing", 1),),
    (
        step("Prep", "Succeeded", 1, 12),
        step("Train", "Failed", 13, 20, reason="ClientError: AlgorithmError: exit 1", attempts=2),
    ),
]


def run(client, renderer, t, *, poll=10.0, timeout=3600.0):
    return follow(
        Poller(client, ARN), renderer, poll_seconds=poll, timeout=timeout, sleep=t.sleep, monotonic=t.monotonic
    )


def test_plain_view_prints_one_line_per_change_until_succeeded() -> None:
    t, out = FakeTime(), io.StringIO()
    outcome = run(FakeClient(SUCCESS_STATES, SUCCESS_STEPS), PlainRenderer(out, clock=t.clock), t)
    assert outcome.snapshot.execution.status == "Succeeded" and not outcome.timed_out
    assert t.sleeps == [10.0, 10.0, 10.0]
    assert out.getvalue().splitlines() == [
        "2026-11-25T10:00:00Z execution abc123: Executing",
        "2026-11-25T10:00:10Z step Prep: Executing",
        "2026-11-25T10:00:20Z step Prep: Succeeded 11s",
        "2026-11-25T10:00:20Z step Train: Executing",
        "2026-11-25T10:00:30Z step Train: Succeeded 16s",
        "2026-11-25T10:00:30Z step Register: Succeeded 1s",
        "2026-11-25T10:00:30Z execution abc123: Succeeded",
    ]


def test_plain_view_of_a_failure_and_the_failure_reasons() -> None:
    t, out = FakeTime(), io.StringIO()
    outcome = run(FakeClient(FAILED_STATES, FAILED_STEPS), PlainRenderer(out, clock=t.clock), t)
    assert outcome.snapshot.execution.status == "Failed"
    lines = out.getvalue().splitlines()
    assert "2026-11-25T10:00:10Z step Train: Failed attempt 2 7s - ClientError: AlgorithmError: exit 1" in lines
    assert lines[-1] == "2026-11-25T10:00:10Z execution abc123: Failed"
    assert failure_lines(outcome.snapshot) == [
        "execution Failed: Step failure: One or more steps failed.",
        "  step Train Failed: ClientError: AlgorithmError: exit 1",
    ]


def test_steps_unavailable_is_said_once_and_not_asked_again() -> None:
    t, out = FakeTime(), io.StringIO()
    client = FakeClient(SUCCESS_STATES, steps=None)
    run(client, PlainRenderer(out, clock=t.clock), t)
    text = out.getvalue()
    assert text.count("step details unavailable") == 1
    assert "showing the execution status only" in text
    assert client.step_calls == 1 and client.polls == 4
    assert text.splitlines()[-1].endswith("execution abc123: Succeeded")


def test_timeout_bounds_the_total_wait() -> None:
    t, out = FakeTime(), io.StringIO()
    client = FakeClient([execution("Executing")], steps=None)
    outcome = run(client, PlainRenderer(out, clock=t.clock), t, poll=4, timeout=10)
    assert outcome.timed_out and outcome.snapshot.execution.status == "Executing"
    assert t.sleeps == [4, 4, 2] and t.now == 10
    assert out.getvalue().count("execution abc123: Executing") == 1  # no change, no new line


def test_keyboard_interrupt_propagates_from_the_sleep() -> None:
    t = FakeTime()

    def interrupted(_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        follow(
            Poller(FakeClient([execution("Executing")]), ARN),
            PlainRenderer(io.StringIO(), clock=t.clock),
            poll_seconds=1,
            timeout=10,
            sleep=interrupted,
            monotonic=t.monotonic,
        )


def test_live_view_redraws_the_block_in_place() -> None:
    t, out = FakeTime(), io.StringIO()
    renderer = LiveRenderer(out, clock=t.clock, width=lambda: 200)
    run(FakeClient(SUCCESS_STATES, SUCCESS_STEPS), renderer, t)
    frames = out.getvalue().split("\x1b[")
    # first frame: the header and the three defined steps, all Pending
    first = frames[0].splitlines()
    assert first[0].startswith("churn abc123: Executing  0s") and "Ctrl-C stops following" in first[0]
    assert [line.split() for line in first[1:]] == [["Prep", "Pending"], ["Train", "Pending"], ["Register", "Pending"]]
    # every redraw moves up over the previous block (4 lines) and clears it
    assert out.getvalue().count("\x1b[4A\r\x1b[J") == 3
    last = out.getvalue().rsplit("\x1b[J", 1)[1].splitlines()
    assert last[0].startswith("churn abc123: Succeeded  30s") and "Ctrl-C" not in last[0]
    assert [line.split()[:2] for line in last[1:]] == [
        ["Prep", "Succeeded"],
        ["Train", "Succeeded"],
        ["Register", "Succeeded"],
    ]


def test_live_view_cuts_lines_to_the_terminal_width() -> None:
    t, out = FakeTime(), io.StringIO()
    LiveRenderer(out, clock=t.clock, width=lambda: 40).update(
        Poller(FakeClient(FAILED_STATES, FAILED_STEPS), ARN).poll()
    )
    assert all(len(line) < 40 for line in out.getvalue().splitlines())


def test_live_view_without_steps_shows_the_note() -> None:
    t, out = FakeTime(), io.StringIO()
    LiveRenderer(out, clock=t.clock, width=lambda: 300).update(Poller(FakeClient(SUCCESS_STATES), ARN).poll())
    assert "step details unavailable" in out.getvalue()


def test_status_report() -> None:
    client = FakeClient(FAILED_STATES[1:], FAILED_STEPS[1:])
    lines = status_report(Poller(client, ARN).poll(), [("InstanceCount", "3")], at(100))
    text = "\n".join(lines)
    assert "pipeline    churn" in text and f"execution   {ARN}" in text
    assert "status      Failed" in text and "ended       2026-11-25 10:00:20 UTC (after 20s)" in text
    assert "parameters  InstanceCount=3" in text and "failure     Step failure" in text
    assert "steps       2 started of 3" in text
    assert any(line.split()[:2] == ["Train", "Failed"] and "exit 1" in line for line in lines)
    assert any(line.split()[:2] == ["Register", "NotRun"] for line in lines)


def test_status_report_running_without_steps() -> None:
    lines = status_report(Poller(FakeClient([execution("Executing")]), ARN).poll(), [], at(125))
    text = "\n".join(lines)
    assert "running for  2m05s" in text and "parameters   (all defaults)" in text
    assert "steps        unavailable (ListPipelineExecutionSteps: not implemented" in text


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.9, "59s"), (61, "1m01s"), (3600 + 120, "1h02m"), (-5, "0s")])
def test_duration(seconds, text) -> None:
    assert duration(seconds) == text
