"""Local paths: what stays inside the project is accepted, whatever the route; the packer's exclusions match."""

from __future__ import annotations

import os

from constructs_lib.compiler.assets import EXCLUDED as PACKER_EXCLUDED
from constructs_lib.config.paths import EXCLUDED, check_path


def test_exclusions_are_the_packers() -> None:
    """The folder check skips exactly what the packer skips (a .venv's outside symlinks are never packed)."""
    assert EXCLUDED == PACKER_EXCLUDED


def test_paths_that_stay_inside_are_accepted(tmp_path) -> None:
    root = tmp_path / "project"
    (root / "src" / "sub").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "x.csv").write_text("1\n")
    (root / "src" / "train.py").write_text("")
    os.symlink("../data/x.csv", root / "src" / "x.csv")  # a symlink inside the project
    os.symlink("/usr/bin/python3", root / "src" / ".venv")  # skipped like the packer skips it
    assert check_path(root, "src/sub/../train.py", "file") == []
    assert check_path(root, "src", "dir", set()) == []
    assert check_path(root, "data/x.csv", "any") == []
    assert check_path(root, "missing/file.csv", "any") == [], "a missing path is the compiler's to report"


def test_paths_that_leave_are_refused(tmp_path) -> None:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    os.symlink("/etc/hostname", root / "src" / "host")
    assert "outside the project" in check_path(root, "src/host", "any")[0][0]
    assert "outside the project" in check_path(root, "src", "dir", set())[0][0]
    assert "leaves the project" in check_path(root, "../project/../x", "any")[0][0]
    assert "absolute path" in check_path(root, str(root / "src"), "dir")[0][0], "even one inside the project"
