"""Hostile and odd input (tests/fixtures/hostile/): each case gives exactly its pinned messages, quickly, within
a memory bound, with no traceback and nothing written.

A case is a directory: its files, ``case.json`` (``class``, ``description``, optional ``argv`` (default
``validate --config *.yaml``), ``env``, ``exit`` (default 2) and ``setup``: symlinks, named pipes and padding
made at test time, so that the repository itself holds no symlink loop or pipe) and ``expected.txt`` (the
exact stderr, with the project's absolute path written ``<project>``). The case runs in a copy under a
temporary folder. ``python -m tests.unit.config.test_hostile_corpus`` rewrites every expected.txt: use it
only after a deliberate change, then review ``git diff``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from constructs_lib.cli import main
from tests.conftest import FIXTURES
from tests.unit.config.bounds import bounded

HOSTILE = FIXTURES / "hostile"
CASES = sorted(p for p in HOSTILE.iterdir() if p.is_dir())
CLASSES = {"values", "exhaustion", "locations", "paths", "infrastructure", "limits", "outputs"}
#: Seconds a case may take: generous, as the machine may be busy (unbounded, an anchor bomb takes minutes and
#: gigabytes); a `definition` case imports the SageMaker SDK the first time.
SECONDS = {"validate": 15.0, "definition": 90.0}
#: Growth of the process's peak memory a case may cause.
MAX_GROWTH_MB = 300


def _setup(project: Path, steps: list) -> None:
    for step in steps:
        kind, rel = step[0], project / step[1]
        rel.parent.mkdir(parents=True, exist_ok=True)
        if kind == "symlink":
            os.symlink(step[2], rel)
        elif kind == "fifo":
            os.mkfifo(rel)
        elif kind == "pad":
            with rel.open("a", encoding="utf-8") as handle:
                handle.write("#" * step[2] + "\n")


def _listing(root: Path) -> list[tuple[str, int]]:
    out = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(directory) / name
            out.append((str(path.relative_to(root)), path.lstat().st_size))
    return sorted(out)


def run_case(case: Path, work: Path) -> dict:
    """Run one case in a copy under ``work``; its exit code, outputs, time, memory growth and file listings."""
    meta = json.loads((case / "case.json").read_text())
    project = work / "project"
    shutil.copytree(case, project, symlinks=True, ignore=shutil.ignore_patterns("case.json", "expected.txt"))
    _setup(project, meta.get("setup", []))
    argv = meta.get("argv", ["validate", "--config", "*.yaml"])
    # Only the variables a case depends on are touched: importing the compiler sets others for good.
    saved_cwd = Path.cwd()
    touched = {n for n in os.environ if n.startswith("SMP_")} | set(meta.get("env", {}))
    saved_env = {n: os.environ[n] for n in touched if n in os.environ}
    for name in touched:
        os.environ.pop(name, None)
    os.environ.update(meta.get("env", {}))
    before = _listing(project)
    out, err = io.StringIO(), io.StringIO()
    os.chdir(project)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), bounded() as usage:
            code = main(argv)
    finally:
        os.chdir(saved_cwd)
        for name in touched:
            os.environ.pop(name, None)
        os.environ.update(saved_env)
    stderr = err.getvalue().replace(str(project.resolve()), "<project>").replace(str(project), "<project>")
    return {
        "meta": meta,
        "argv": argv,
        "code": code,
        "stdout": out.getvalue(),
        "stderr": stderr,
        "seconds": usage.seconds,
        "growth_mb": usage.growth_mb,
        "before": before,
        "after": _listing(project),
    }


def test_corpus_covers_every_class() -> None:
    assert len(CASES) >= 60
    classes = {json.loads((c / "case.json").read_text())["class"] for c in CASES}
    assert classes == CLASSES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_gives_pinned_message_in_bounds(case, tmp_path) -> None:
    result = run_case(case, tmp_path)
    meta = result["meta"]
    assert result["code"] == meta.get("exit", 2), result["stderr"]
    assert result["stderr"] == (case / "expected.txt").read_text()
    assert "Traceback" not in result["stderr"]
    assert result["after"] == result["before"], "nothing is written"
    assert result["seconds"] < SECONDS[result["argv"][0]], result["seconds"]
    assert result["growth_mb"] < MAX_GROWTH_MB, result["growth_mb"]
    if result["code"] == 2:
        lines = result["stderr"].splitlines()
        assert lines[-1].endswith("nothing was written.")
        # Each problem names its file and, when it is about a place in a file, its line.
        where = re.compile(r"^(\S+?\.(yaml|json)|<project>\S*|\S+)(:\d+:\d+)?: ")
        assert all(where.match(line) for line in lines[:-1]), lines
    else:
        assert result["stdout"].startswith("ok: pipeline ")


def _regenerate() -> None:  # pragma: no cover - maintenance command
    for case in CASES:
        with tempfile.TemporaryDirectory() as work:
            result = run_case(case, Path(work))
        (case / "expected.txt").write_text(result["stderr"])
        print(
            f"{case.name}: exit {result['code']}, {result['seconds']:.2f} s, +{result['growth_mb']:.0f} MB",
            file=sys.stderr,
        )


if __name__ == "__main__":  # pragma: no cover
    _regenerate()
