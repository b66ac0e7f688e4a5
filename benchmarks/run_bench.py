"""Benchmark of ``python -m constructs_lib run`` (the local runner).

1. Whole local run of the bundled model_repos/ pipeline: a fresh work dir each time (compile included),
   the whole process timed.
2. The runner's overhead per step beyond the script's own time: a generated definition of N chained
   Processing steps whose script is a shell one-liner (copy the input to the output), N = 1 and N = 21, run
   with --jobs 1: (T(21) - T(1)) / 20 is what one more step costs (sandbox, staging, upload, bookkeeping),
   minus the one-liner's own time measured bare. Also, from the bundled run's execution.json: per job step,
   its time outside its processes.
3. A fully cached re-run of the bundled pipeline (same work dir, unchanged): the whole process timed.

Usage: python benchmarks/run_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "s3://bench-bucket"
ONE_LINER = (
    "mkdir -p /opt/ml/processing/output/out && cp -r /opt/ml/processing/input/in/. /opt/ml/processing/output/out/"
)


def run(args: list[str], cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMP_")}
    env["PYTHONPATH"] = str(ROOT)
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "constructs_lib", "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"run failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return took


def chain_definition(steps: int) -> dict:
    """N Processing steps, each copying its input (the previous step's output) to its output."""
    body = []
    for i in range(steps):
        source = (
            f"{BUCKET}/seed"
            if i == 0
            else {"Get": f"Steps.s{i - 1:03d}.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri"}
        )
        body.append(
            {
                "Name": f"s{i:03d}",
                "Type": "Processing",
                "Arguments": {
                    "AppSpecification": {"ImageUri": "local", "ContainerEntrypoint": ["/bin/sh", "-c", ONE_LINER]},
                    "ProcessingResources": {
                        "ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1}
                    },
                    "RoleArn": "arn:aws:iam::000000000000:role/r",
                    "ProcessingInputs": [
                        {
                            "InputName": "in",
                            "S3Input": {
                                "S3Uri": source,
                                "LocalPath": "/opt/ml/processing/input/in",
                                "S3DataType": "S3Prefix",
                                "S3InputMode": "File",
                            },
                        }
                    ],
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": "out",
                                "S3Output": {
                                    "S3Uri": {
                                        "Std:Join": {
                                            "On": "/",
                                            "Values": [BUCKET, {"Get": "Execution.PipelineExecutionId"}, f"s{i:03d}"],
                                        }
                                    },
                                    "LocalPath": "/opt/ml/processing/output/out",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                        ]
                    },
                },
            }
        )
    return {"Version": "2020-12-01", "Parameters": [], "Steps": body}


def overhead(repeat: int, tmp: Path) -> dict:
    seed = tmp / "seed"
    seed.mkdir()
    for i in range(5):
        (seed / f"part-{i}.csv").write_text("".join(f"{j},{j * 2}\n" for j in range(200)))
    times = {}
    for steps in (1, 21):
        definition = tmp / f"chain-{steps}.json"
        definition.write_text(json.dumps(chain_definition(steps)))
        samples = []
        for r in range(repeat):
            work = tmp / f"work-{steps}-{r}"
            samples.append(
                run(
                    [
                        "--definition",
                        str(definition),
                        "--workdir",
                        str(work),
                        "--jobs",
                        "1",
                        "--no-cache",
                        "--data",
                        f"{BUCKET}/seed={seed}",
                    ],
                    tmp,
                )
            )
        times[steps] = min(samples)
    bare = []
    out = tmp / "bare"
    for _ in range(20):
        shutil.rmtree(out, ignore_errors=True)
        began = time.perf_counter()
        subprocess.run(["/bin/sh", "-c", f"mkdir -p {out} && cp -r {seed}/. {out}/"], check=True)
        bare.append(time.perf_counter() - began)
    per_step = (times[21] - times[1]) / 20
    return {
        "t1": times[1],
        "t21": times[21],
        "per_step": per_step,
        "script": min(bare),
        "overhead": per_step - min(bare),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="run-bench-") as name:
        tmp = Path(name)
        whole, cached, outside = [], [], []
        for r in range(args.repeat):
            work = tmp / f"bundled-{r}"
            whole.append(run(["--workdir", str(work)], ROOT))
            execution = json.loads(next((work / "executions").glob("*/execution.json")).read_text())
            for step in execution["steps"].values():
                if step["type"] in ("Processing", "Training", "Transform") and step["status"] == "Succeeded":
                    outside.append(step["seconds"] - step["processSeconds"])
            for _ in range(2):
                cached.append(run(["--workdir", str(work)], ROOT))
        chain = overhead(args.repeat, tmp)
    print("local run (python -m constructs_lib run), bundled model_repos/ pipeline, whole process:")
    print(
        f"  full run, fresh work dir (compile included): best {min(whole):.2f} s, median {statistics.median(whole):.2f} s"
        f"   (target < 15 s)"
    )
    print(f"  fully cached re-run: best {min(cached):.2f} s, median {statistics.median(cached):.2f} s   (target < 2 s)")
    print(
        f"  job steps' time outside their processes (staging, upload, packing): median "
        f"{statistics.median(outside) * 1000:.0f} ms, max {max(outside) * 1000:.0f} ms"
    )
    print(f"chain of Processing steps (--jobs 1): 1 step {chain['t1']:.2f} s, 21 steps {chain['t21']:.2f} s")
    print(
        f"  cost of one more step {chain['per_step'] * 1000:.0f} ms, of which its script {chain['script'] * 1000:.0f} ms"
        f" -> runner overhead per step {chain['overhead'] * 1000:.0f} ms   (target < 300 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
