"""Compile generated projects of N = 1, 10, 50, 200 modeling units; print wall time and ms per step.

Each N runs load + graph + compile + write in a fresh interpreter (imports included: what a user of
`python -m constructs_lib definition` waits for), best of --repeat runs. The marginal cost per step is the
slope between the smallest and largest N. SageMaker caps a definition at 1,048,576 characters, which
`definition` enforces; the benchmark lifts the cap to time N=200 anyway and reports the size.

    .venv/bin/python benchmarks/compile_bench.py [--units 1 10 50 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _projects import make_project

STEPS_PER_UNIT = 6


CHILD = """
import sys
from pathlib import Path
from constructs_lib.config.loader import load_project
from constructs_lib.graph.builder import build_graph
from constructs_lib.compiler import facade
facade.DEFINITION_LIMIT = float("inf")
project = load_project([sys.argv[1]])
compiled = facade.compile_pipeline(project, build_graph(project))
definition, manifest = facade.render(compiled)
Path(sys.argv[2]).write_text(definition)
print(len(compiled.definition))
"""


def run(units: int, workdir: Path, repeat: int) -> tuple[float, int]:
    config = make_project(units, workdir)
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, config.name, str(workdir / f"out-{units}.json")],
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        best = min(best, time.perf_counter() - start)
        size = int(out.strip())
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: run(n, Path(tmp), args.repeat) for n in args.units}
    times = {n: r[0] for n, r in results.items()}
    first, last = min(times), max(times)
    marginal = (times[last] - times[first]) / ((last - first) * STEPS_PER_UNIT) * 1000 if last > first else 0.0
    print("| units | steps | wall time (s) | ms per step (all in) | definition size |")
    print("|---:|---:|---:|---:|---:|")
    for n, (seconds, size) in results.items():
        note = " (over the API limit)" if size > 1_048_576 else ""
        print(
            f"| {n} | {n * STEPS_PER_UNIT} | {seconds:.2f} | {seconds * 1000 / (n * STEPS_PER_UNIT):.1f} | {size:,}{note} |"
        )
    print(
        f"\nmarginal cost: {marginal:.2f} ms per step (N={first}..{last}); best of {args.repeat}, fresh interpreter each"
    )


if __name__ == "__main__":
    main()
