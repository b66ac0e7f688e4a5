"""The job sandbox: a private /opt/ml, the user's environment read-only, environment variables intact,
process groups ended with the job."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from constructs_lib.localrun.expr import LocalRunError
from constructs_lib.localrun.sandbox import ProcessTable, detect_isolation

try:
    ISOLATION = detect_isolation()
except LocalRunError:  # pragma: no cover - depends on the machine
    ISOLATION = None
pytestmark = pytest.mark.skipif(ISOLATION is None, reason="no mount namespace available to this user")


def run(tmp_path: Path, code: str, readonly=(), env=None) -> tuple[int, str]:
    root = tmp_path / "ml"
    root.mkdir(exist_ok=True)
    log = tmp_path / "log"
    log.write_text("")
    argv = ISOLATION.wrap(root, tmp_path / "stage", "/opt/ml", [sys.executable, "-c", code], readonly)
    status = ProcessTable().run(argv, {"PATH": os.environ["PATH"], **(env or {})}, log, 30)
    return status, log.read_text()


def test_private_opt_ml_and_hyphenated_variables(tmp_path) -> None:
    status, out = run(
        tmp_path,
        "import os; open('/opt/ml/made', 'w').write('x'); print(os.getcwd(), os.environ['SM_CHANNEL_A-B'])",
        env={"SM_CHANNEL_A-B": "kept"},
    )
    assert status == 0, out
    assert out.split() == ["/opt/ml", "kept"]
    assert (tmp_path / "ml" / "made").read_text() == "x"
    assert not Path("/opt/ml/made").exists()


def test_readonly_folders_cannot_be_written(tmp_path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    status, out = run(tmp_path, f"open({str(site / 'evil.pth')!r}, 'w')", readonly=[str(site)])
    assert status == 1 and "Read-only file system" in out
    assert not (site / "evil.pth").exists()


def test_missing_command_is_exit_127(tmp_path) -> None:
    root = tmp_path / "ml"
    root.mkdir()
    argv = ISOLATION.wrap(root, tmp_path / "stage", "/opt/ml", ["smp-no-such-command"])
    assert ProcessTable().run(argv, {"PATH": "/usr/bin:/bin"}, tmp_path / "log", 30) == 127
    assert "exec smp-no-such-command: No such file or directory" in (tmp_path / "log").read_text()


def test_timeout_kills_the_job_and_its_children(tmp_path) -> None:
    from constructs_lib.localrun.expr import StepFailed

    root = tmp_path / "ml"
    root.mkdir()
    marker = f"smp-sandbox-test-{os.getpid()}"
    argv = ISOLATION.wrap(root, tmp_path / "stage", "/opt/ml", ["sh", "-c", f"sleep 60 & sleep 60; : {marker}"])
    with pytest.raises(StepFailed, match="MaxRuntimeExceeded"):
        ProcessTable().run(argv, {"PATH": "/usr/bin:/bin"}, tmp_path / "log", 0.5)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).find(marker.encode()) >= 0]
    assert left == []


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
