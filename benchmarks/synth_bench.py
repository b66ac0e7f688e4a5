"""Offline `cdk synth` of the bundled app vs a one-bucket CDK app, synthesized the same way.

Both run through the pinned CDK CLI (node_modules/.bin/cdk) with the same cdk.json context (feature
flags), in a network-less namespace when possible, best and median of --repeat runs. The bundled app is
measured twice: the sandbox stack alone (context without `environments`/`delivery`), and as shipped (with
the example delivery pipeline and its stages).

    .venv/bin/python benchmarks/synth_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ONE_BUCKET = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
app = cdk.App()
s3.Bucket(cdk.Stack(app, "OneBucket"), "Bucket")
app.synth()
"""


def _offline() -> list[str]:
    if os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        return ["unshare", "-n"]
    return []


def _time(cwd: Path, outdir: Path, repeat: int, extra: list[str]) -> list[float]:
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CDK_DISABLE_CLI_TELEMETRY="true")
    runs = []
    for _ in range(repeat):
        shutil.rmtree(outdir, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [
                *_offline(),
                str(CDK),
                "synth",
                "--quiet",
                "--no-notices",
                "--no-version-reporting",
                "-o",
                str(outdir),
                *extra,
            ],
            cwd=cwd,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        one = tmp_path / "one-bucket"
        one.mkdir()
        (one / "app.py").write_text(ONE_BUCKET)
        config = json.loads((ROOT / "cdk.json").read_text())
        config["app"] = f"{ROOT / '.venv' / 'bin' / 'python'} app.py"
        for key in ("modelConfigPath", "environments", "delivery"):
            config["context"].pop(key, None)
        (one / "cdk.json").write_text(json.dumps(config))
        rows = {
            "one-bucket app": _time(one, tmp_path / "o1", args.repeat, []),
            "bundled app, sandbox stack": _time(
                ROOT, tmp_path / "o2", args.repeat, ["-c", "environments=", "-c", "delivery="]
            ),
            "bundled app as shipped (+ delivery, 2 stages)": _time(ROOT, tmp_path / "o3", args.repeat, []),
        }
    base = min(rows["one-bucket app"])
    print("| app | best (s) | median (s) | best vs one-bucket |")
    print("|---|---:|---:|---:|")
    for name, runs in rows.items():
        print(f"| {name} | {min(runs):.2f} | {statistics.median(runs):.2f} | {min(runs) / base:.2f}x |")
    where = "in a network namespace with no network (unshare -n)" if _offline() else "with the network present"
    print(f"\n{args.repeat} runs each, pinned CDK CLI, {where}")


if __name__ == "__main__":
    main()
