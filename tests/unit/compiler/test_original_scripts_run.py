"""Scripts written against the original framework's paths run through the compiled definition's layout.

For each of the original's four examples: small scripts that use the paths its own example scripts hard-code
(../shared/SEED-NOTES.md, last paragraph), a sibling module of the source directory (shipped only when the
whole directory is), then every job run in directories laid out exactly as the compiled definition says
(:mod:`tests.unit.compiler.container_layout`), data handed from job to job through the definition's property
references. The Metrics report must then be where the RegisterModel step's ``ModelMetrics`` points.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OWN_EXAMPLES, own_example_sets, requires_shared, seed_example_sets
from tests.unit.compiler.conftest import compile_globs, stand_in_project
from tests.unit.compiler.container_layout import LocalPipeline, steps_by_name

HELPER = "SHIPPED = 'whole source directory'\n"

EVALUATE_WRITES = """
import json, os
os.makedirs("/opt/ml/processing/output", exist_ok=True)
with open("/opt/ml/processing/output/model_evaluation_metrics.json", "w") as f:
    json.dump({"regression_metrics": {"mse": {"value": len(predictions) - len(labels)}}, "helper": SHIPPED}, f)
"""

TF_SCRIPTS = {
    "helpers.py": HELPER,
    "preprocess.py": """
import os
from helpers import SHIPPED
raw = open(os.path.join("/opt/ml/processing/input/raw_data", os.listdir("/opt/ml/processing/input/raw_data")[0])).read()
for part in ("train", "test"):
    os.makedirs("/opt/ml/processing/output/train/" + part, exist_ok=True)
open("/opt/ml/processing/output/train/train/train.csv", "w").write("y,x\\n1,2\\n")
open("/opt/ml/processing/output/train/test/x_test.csv", "w").write("2\\n3\\n")
open("/opt/ml/processing/output/train/test/y_test.csv", "w").write("1\\n2\\n")
""",
    "train.py": """
import os, sys
from helpers import SHIPPED
data = open("/opt/ml/input/data/calhousing-Preprocessing-train/train/train.csv").read()
assert os.environ["SM_CHANNEL_CALHOUSING-PREPROCESSING-TRAIN"] == "/opt/ml/input/data/calhousing-Preprocessing-train"
open("/opt/ml/model/model.txt", "w").write(data)
""",
    "evaluate.py": """
from helpers import SHIPPED
predictions = open("/opt/ml/processing/input/calhousing-Transform-train/x_test.csv.out").read().splitlines()
labels = open("/opt/ml/processing/input/calhousing-Preprocessing-train/test/y_test.csv").read().splitlines()
"""
    + EVALUATE_WRITES,
}

PCA_SCRIPTS = {
    "helpers.py": HELPER,
    "preprocess.py": TF_SCRIPTS["preprocess.py"],
    "train.py": """
from helpers import SHIPPED
data = open("/opt/ml/input/data/calhousing-pca-Preprocessing-train/train/train.csv").read()
open("/opt/ml/model/pca.txt", "w").write(data)
""",
}

MULTI_TF_SCRIPTS = {
    "helpers.py": HELPER,
    "preprocess.py": """
import os, tarfile
from helpers import SHIPPED
with tarfile.open("/opt/ml/processing/input/calhousing-pca-Training-input-train/model.tar.gz") as tar:
    assert "pca.txt" in tar.getnames()
"""
    + TF_SCRIPTS["preprocess.py"],
    "train.py": TF_SCRIPTS["train.py"]
    .replace("calhousing-Preprocessing", "calhousing-tf-Preprocessing")
    .replace("CALHOUSING-PREPROCESSING", "CALHOUSING-TF-PREPROCESSING"),
    "evaluate.py": TF_SCRIPTS["evaluate.py"].replace("calhousing-", "calhousing-tf-"),
}

LGBM_SCRIPTS = {
    "common.py": HELPER,
    "training/training.py": """
import os
from common import SHIPPED  # the whole source directory is copied beside the subfolder
for channel in ("train", "test"):
    assert os.listdir("/opt/ml/input/data/" + channel), channel
open("/opt/ml/model/model.txt", "w").write("lgbm")
""",
    "evaluate/evaluate.py": """
import os
from common import SHIPPED  # run as `python -m evaluate.evaluate` from the source root
predictions = os.listdir("/opt/ml/processing/input/lgbm-Transform-test")
labels = os.listdir("/opt/ml/processing/input/online_shoppers_intention_ytest")
"""
    + EVALUATE_WRITES,
}

LLM_SCRIPTS = {
    "common.py": HELPER,
    "preprocessing/preprocessing.py": """
import os
from common import SHIPPED
for name in ("raw-prompts-train", "raw-prompts-test"):
    assert os.listdir("/opt/ml/processing/input/" + name), name
for channel in ("training", "testing"):
    os.makedirs("/opt/ml/processing/output/" + channel, exist_ok=True)
    open("/opt/ml/processing/output/%s/data.arrow" % channel, "w").write(channel)
""",
    "training/training.py": """
from common import SHIPPED
assert open("/opt/ml/input/data/falcon-text-summarization-preprocess-training/data.arrow").read() == "training"
assert open("/opt/ml/input/data/falcon-text-summarization-preprocess-testing/data.arrow").read() == "testing"
open("/opt/ml/model/adapter.bin", "w").write("weights")
""",
}

#: example -> {source_directory: {relative path: text}}
SCRIPTS = {
    "tf": {"examples/tf/modelscripts": TF_SCRIPTS},
    "lgbm": {"examples/lgbm": LGBM_SCRIPTS},
    "llm-text-summarization": {"examples/llm-text-summarization": LLM_SCRIPTS},
    "multi-model": {
        "examples/multi-model-example/cal_housing_pca/modelscripts": PCA_SCRIPTS,
        "examples/multi-model-example/cal_housing_tf/modelscripts": MULTI_TF_SCRIPTS,
    },
}


def seed_object(uri: str, folder: Path) -> None:
    """Objects under an S3 URI that the pipeline reads but does not produce (the examples' input data)."""
    (folder / (uri.rstrip("/").rsplit("/", 1)[-1] or "data")).write_text(f"data of {uri}\n")


def score(inputs: Path, outputs: Path) -> None:
    """Batch transform: one ``<object>.out`` per input object, one line per input line."""
    for path in sorted(p for p in inputs.rglob("*") if p.is_file()):
        (outputs / f"{path.name}.out").write_text(
            "".join(f"{i}\n" for i, _ in enumerate(path.read_text().splitlines()))
        )


#: The project's own original-shaped housing example (tests/fixtures/original_shape), tf's scripts renamed to it.
HOUSING_SCRIPTS = {
    "helpers.py": HELPER,
    "prepare.py": TF_SCRIPTS["preprocess.py"].replace("raw_data", "houses").replace("x_test.csv", "features.csv"),
    "fit.py": TF_SCRIPTS["train.py"]
    .replace("calhousing-Preprocessing", "housing-Prepare")
    .replace("CALHOUSING-PREPROCESSING", "HOUSING-PREPARE"),
    "score.py": TF_SCRIPTS["evaluate.py"]
    .replace("calhousing-Transform", "housing-Score")
    .replace("calhousing-Preprocessing", "housing-Prepare")
    .replace("x_test.csv.out", "features.csv.out"),
}
OWN_SCRIPTS = {"housing": {"examples/housing/modelscripts": HOUSING_SCRIPTS}}


def project_with_original_scripts(source: str, example: str, workdir: Path) -> tuple[list[str], Path]:
    """(config globs, project root): an example's configs (``seed``: the original's, ``own``: ours in its shape) in
    ``workdir`` with the scripts above, written against the original's container paths, in place of the stand-ins."""
    if source == "own":
        globs, scripts = own_example_sets()[example], OWN_SCRIPTS[example]
        project = stand_in_project(globs, workdir, OWN_EXAMPLES)
    else:
        globs, scripts = seed_example_sets()[example], SCRIPTS[example]
        project = stand_in_project(globs, workdir)
    for source_dir, files in scripts.items():
        for relative, text in files.items():
            path = project / source_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return globs, project


@pytest.mark.parametrize(
    ("source", "example"),
    [
        *[pytest.param("seed", name, id=name, marks=requires_shared) for name in sorted(SCRIPTS)],
        *[pytest.param("own", name, id=f"own-{name}") for name in sorted(OWN_SCRIPTS)],
    ],
)
def test_scripts_written_for_the_original_run_unchanged(source, example, tmp_path) -> None:
    globs, project = project_with_original_scripts(source, example, tmp_path / "project")
    compiled = compile_globs(globs, project)
    definition = json.loads(compiled.definition)
    run = LocalPipeline(definition, compiled.assets, project, tmp_path / "run", seed_object)
    ran = []
    for name, step in steps_by_name(definition).items():
        if step["Type"] == "Processing":
            run.processing(step)
        elif step["Type"] == "Training":
            run.training(step)
        elif step["Type"] == "Transform":
            run.transform(step, score)
        else:
            continue
        ran.append(name)
    jobs = [n for n, s in steps_by_name(definition).items() if s["Type"] in ("Processing", "Training", "Transform")]
    assert ran == jobs and len(ran) >= 2  # every job ran (a failing script raises with its output)
    for step in steps_by_name(definition).values():
        if step["Type"] == "RegisterModel" and "ModelMetrics" in step["Arguments"]:
            report = run.resolve(step["Arguments"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"])
            assert json.loads(report.read_text())["helper"] == "whole source directory"
