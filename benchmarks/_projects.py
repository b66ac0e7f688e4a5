"""Generated projects for the benchmarks: N modeling units shaped like model_repos/churn (6 steps each)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def make_project(units: int, workdir: Path) -> Path:
    """A project of ``units`` copies of the churn unit (each chained to the first unit's preprocessing)."""
    workdir.mkdir(parents=True, exist_ok=True)
    scripts = workdir / "scripts"
    if not scripts.exists():
        shutil.copytree(ROOT / "model_repos" / "churn" / "scripts", scripts)
        shutil.copytree(ROOT / "model_repos" / "churn" / "data", workdir / "data")
    base = yaml.safe_load((ROOT / "model_repos" / "churn" / "conf" / "conf.yaml").read_text())
    model = base["conf"]["models"]["churn"]
    model["source_directory"] = "scripts"
    model["preprocess"]["channels"]["train"]["dataFiles"][0]["fileName"] = "data/customers.csv"
    steps = base["conf"]["sagemakerPipeline"]["models"]["churn"]["steps"]
    models, units_steps, dependencies = {}, {}, []
    for i in range(units):
        name = f"u{i:03d}"
        models[name] = model
        renamed = []
        for step in steps:
            step = dict(step, step_name=step["step_name"].replace("churn", name))
            if "chain_input_source_step" in step:
                step["chain_input_source_step"] = [s.replace("churn", name) for s in step["chain_input_source_step"]]
            renamed.append(step)
        if i:
            renamed[0] = dict(renamed[0], chain_input_source_step=["u000-Preprocessing"])
            dependencies.append(f"u000-Register >> {name}-Register")
        units_steps[name] = {"steps": renamed}
    pipeline = dict(
        base["conf"]["sagemakerPipeline"], pipelineName=f"bench-{units}", models=units_steps, dependencies=dependencies
    )
    config = workdir / f"conf-{units}.yaml"
    config.write_text(yaml.safe_dump({"conf": {"models": models, "sagemakerPipeline": pipeline}}, sort_keys=False))
    return config
