"""How long `python -m constructs_lib validate` (and `validate --quick`) take on the bundled model_repos/.

.venv/bin/python benchmarks/validate_bench.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import time, sys
start = time.perf_counter()
from constructs_lib.cli import main
code = main(["validate"] + sys.argv[1:])
sys.stderr.write(f"ELAPSED {time.perf_counter() - start}\\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print("| measure | best (ms) | median (ms) |")
    print("|---|---:|---:|")
    for extra in ([], ["--quick"]):
        inside, whole = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", PROBE, *extra], cwd=ROOT, capture_output=True, text=True, check=True
            )
            whole.append(time.perf_counter() - start)
            inside.append(float(result.stderr.split("ELAPSED ")[1]))
        name = " ".join(["validate", *extra])
        print(
            f"| `{name}` after interpreter start (imports included) | {min(inside) * 1000:.0f} | "
            f"{statistics.median(inside) * 1000:.0f} |"
        )
        print(
            f"| whole process, `python -m constructs_lib {name}` | {min(whole) * 1000:.0f} | "
            f"{statistics.median(whole) * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
