"""Time and peak memory of `python -m constructs_lib validate` on the worst hostile inputs (whole process).

    .venv/bin/python benchmarks/hostile_bench.py [--repeat 3]

Each input is written to a temporary folder and validated in a fresh interpreter; the figure is the best
wall time and the child's peak resident memory (``ru_maxrss``), next to the bundled model_repos/ baseline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = (ROOT / "tests" / "fixtures" / "valid" / "full" / "conf.yaml").read_text()
HYP = "        hyperparams:\n          n_estimators: 100\n"


def _bomb(levels: int = 9) -> str:
    """Billion laughs: 10 ** levels values from about 1 KB."""
    names = [chr(97 + i) for i in range(levels)]
    text = f"{names[0]}: &{names[0]} [" + ", ".join(["x"] * 10) + "]\n"
    for prev, name in zip(names, names[1:], strict=False):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    return text + f"conf: *{names[-1]}\n"


INPUTS = {
    "bundled model_repos/ (baseline)": None,
    "anchor bomb, 10^9 values in 1 KB": _bomb(),
    "merge-key bomb (merges of merges)": "a: &a {"
    + ", ".join(f"k{i}: {i}" for i in range(10))
    + "}\n"
    + "".join(
        f"{n}: &{n}\n  <<: [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    + "conf: *h\n",
    "2,000 nested flow lists": FULL.replace(HYP, "        hyperparams: " + "[" * 2000 + "]" * 2000 + "\n"),
    "900 nested flow lists (under libyaml's 1,000)": FULL.replace(
        HYP, "        hyperparams: " + "[" * 900 + "]" * 900 + "\n"
    ),
    "80 nested block mappings": "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v: 1\n",
    "50,000 keys in one mapping": FULL.replace(
        HYP, "        hyperparams: {" + ", ".join(f"k{i}: {i}" for i in range(50000)) + "}\n"
    ),
    "1 MiB file (just under the limit)": FULL + "#" * (1_048_576 - len(FULL) - 2) + "\n",
}


def _run(config: Path | None) -> tuple[float, float, str]:
    argv = [sys.executable, "-m", "constructs_lib", "validate"] + (["--config", str(config)] if config else [])
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT if config is None else config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    _, _, rusage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    first = stderr.splitlines()[0] if stderr else "ok"
    return elapsed, rusage.ru_maxrss / 1024, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| input | wall time (best) | peak memory | first message |")
    print("|---|---:|---:|---|")
    with tempfile.TemporaryDirectory() as work:
        for number, (label, text) in enumerate(INPUTS.items()):
            config = None
            if text is not None:
                config = Path(work) / f"case{number}" / "conf.yaml"
                config.parent.mkdir()
                config.write_text(text)
            runs = [_run(config) for _ in range(args.repeat)]
            best = min(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            message = runs[0][2].split(": ", 1)[-1][:70]
            print(f"| {label} | {best * 1000:.0f} ms | {peak:.0f} MB | {message} |")


if __name__ == "__main__":
    main()
