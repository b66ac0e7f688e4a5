"""The container contract of the original framework (../shared/SEED-NOTES.md), pinned for its four examples.

For every Processing, Metrics and Training step: the directories the original gave the container (a superset
is fine), which upstream output each chained directory holds, and the code: the whole ``source_directory``
with the FrameworkProcessor bootstrap (Processing, Metrics), or script mode with the subfolder rule (Training).
For every CreateModel and RegisterModel step of a unit with a serving script: the serving program and code.
"""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from constructs_lib.compiler.assets import asset_bytes
from constructs_lib.compiler.bootstrap import CONTAINER_ENTRYPOINT
from tests.unit.compiler.container_layout import (
    container_paths,
    input_uri,
    steps_by_name,
)

IN, OUT, DATA = "/opt/ml/processing/input/", "/opt/ml/processing/output", "/opt/ml/input/data/"


def processing_output(step: str, channel: str) -> str:
    return f"Steps.{step}.ProcessingOutputConfig.Outputs['{channel}'].S3Output.S3Uri"


def transform_output(step: str) -> str:
    return f"Steps.{step}.TransformOutput.S3OutputPath"


def model_artifacts(step: str) -> str:
    return f"Steps.{step}.ModelArtifacts.S3ModelArtifacts"


#: case -> step -> (kind, source_directory, entry_point, {container path: upstream output it holds, or None}).
#: Paths are those of the original (SEED-NOTES "The container contract of the original" and the lines of its
#: example scripts quoted there).
ORIGINAL: dict[str, dict[str, tuple[str, str, str, dict[str, str | None]]]] = {
    "seed-tf": {
        "calhousing-Preprocessing": (
            "processing",
            "examples/tf/modelscripts",
            "preprocess.py",
            {IN + "raw_data": None, OUT + "/train": None},
        ),
        "calhousing-Training": (
            "training",
            "examples/tf/modelscripts",
            "train.py",
            {DATA + "calhousing-Preprocessing-train": processing_output("calhousing-Preprocessing", "train")},
        ),
        "calhousing-Metrics": (
            "processing",
            "examples/tf/modelscripts",
            "evaluate.py",
            {
                IN + "calhousing-Transform-train": transform_output("calhousing-Transform"),
                IN + "calhousing-Preprocessing-train": processing_output("calhousing-Preprocessing", "train"),
                OUT: None,
            },
        ),
    },
    "seed-lgbm": {
        "lgbm-Training": (
            "training",
            "examples/lgbm",
            "training/training.py",
            {DATA + "train": None, DATA + "test": None},
        ),
        "lgbm-Metrics": (
            "processing",
            "examples/lgbm",
            "evaluate/evaluate.py",
            {
                IN + "lgbm-Transform-test": transform_output("lgbm-Transform"),
                IN + "online_shoppers_intention_ytest": None,
                OUT: None,
            },
        ),
    },
    "seed-llm-text-summarization": {
        "falcon-text-summarization-preprocess": (
            "processing",
            "examples/llm-text-summarization",
            "preprocessing/preprocessing.py",
            {
                IN + "raw-prompts-train": None,
                IN + "raw-prompts-test": None,
                OUT + "/training": None,
                OUT + "/testing": None,
            },
        ),
        "falcon-text-summarization-tuning": (
            "training",
            "examples/llm-text-summarization",
            "training/training.py",
            {
                DATA + "falcon-text-summarization-preprocess-training": processing_output(
                    "falcon-text-summarization-preprocess", "training"
                ),
                DATA + "falcon-text-summarization-preprocess-testing": processing_output(
                    "falcon-text-summarization-preprocess", "testing"
                ),
            },
        ),
    },
    "seed-multi-model": {
        "calhousing-pca-Preprocessing": (
            "processing",
            "examples/multi-model-example/cal_housing_pca/modelscripts",
            "preprocess.py",
            {IN + "raw_data": None, OUT + "/train": None},
        ),
        "calhousing-pca-Training": (
            "training",
            "examples/multi-model-example/cal_housing_pca/modelscripts",
            "train.py",
            {DATA + "calhousing-pca-Preprocessing-train": processing_output("calhousing-pca-Preprocessing", "train")},
        ),
        "calhousing-tf-Preprocessing": (
            "processing",
            "examples/multi-model-example/cal_housing_tf/modelscripts",
            "preprocess.py",
            {
                IN + "raw_data": None,
                OUT + "/train": None,
                IN + "calhousing-pca-Training-input-train": model_artifacts("calhousing-pca-Training"),
            },
        ),
        "calhousing-tf-Training": (
            "training",
            "examples/multi-model-example/cal_housing_tf/modelscripts",
            "train.py",
            {DATA + "calhousing-tf-Preprocessing-train": processing_output("calhousing-tf-Preprocessing", "train")},
        ),
        "calhousing-tf-Metrics": (
            "processing",
            "examples/multi-model-example/cal_housing_tf/modelscripts",
            "evaluate.py",
            {
                IN + "calhousing-tf-Transform-train": transform_output("calhousing-tf-Transform"),
                IN + "calhousing-tf-Preprocessing-train": processing_output("calhousing-tf-Preprocessing", "train"),
                OUT: None,
            },
        ),
    },
}

#: case -> (model step, source_directory, transform entry point) for each CreateModel/RegisterModel with a serving script.
SERVING = {
    "seed-tf": [
        ("calhousing-CreateModel", "examples/tf/modelscripts", "inference.py"),
        ("calhousing-Register", "examples/tf/modelscripts", "inference.py"),
    ],
    "seed-lgbm": [
        ("lgbm-CreateModel", "examples/lgbm", "transform/transform.py"),
        ("lgbm-Register", "examples/lgbm", "transform/transform.py"),
    ],
    "seed-llm-text-summarization": [
        ("falcon-text-summarization-register", "examples/llm-text-summarization", "transform/inference.py")
    ],
    "seed-multi-model": [
        ("calhousing-tf-CreateModel", "examples/multi-model-example/cal_housing_tf/modelscripts", "inference.py"),
        ("calhousing-tf-Register", "examples/multi-model-example/cal_housing_tf/modelscripts", "inference.py"),
    ],
}


def contract_problems(definition: dict, manifest: dict, case: str) -> dict[str, list[str]]:
    """step -> what differs from the original's contract (empty lists: the step matches)."""
    steps = steps_by_name(definition)
    assets = {a["placeholderUri"]: a for a in manifest["assets"]}
    out: dict[str, list[str]] = {}
    for name, (kind, source_dir, entry_point, paths) in ORIGINAL[case].items():
        step, problems = steps[name], out.setdefault(name, [])
        have = container_paths(step)
        problems += [f"no {path}" for path in sorted(paths) if path not in have]
        for path, source in paths.items():
            if source is not None and path in have and input_uri(step, path) != {"Get": source}:
                problems.append(f"{path} holds {input_uri(step, path)}, not {source}")
        args = step["Arguments"]
        if kind == "processing":
            if args["AppSpecification"].get("ContainerEntrypoint") != CONTAINER_ENTRYPOINT:
                problems.append(f"entrypoint {args['AppSpecification'].get('ContainerEntrypoint')}")
                continue
            inputs = {i["InputName"]: i["S3Input"] for i in args["ProcessingInputs"]}
            code, boot = assets.get(inputs["code"]["S3Uri"], {}), assets.get(inputs["entrypoint"]["S3Uri"], {})
            if (code.get("localPath"), code.get("kind"), code.get("entryDir")) != (source_dir, "sourcedir", None):
                problems.append(f"code is {code}")
            module = entry_point[:-3].replace("/", ".")
            if not boot.get("content", "").endswith(f'python -m {module} {entry_point} "$@"\n'):
                problems.append(f"bootstrap is {boot}")
        else:
            entry_dir, _, program = entry_point.rpartition("/")
            hps = args["HyperParameters"]
            code = assets.get(hps.get("sagemaker_submit_directory"), {})
            if hps.get("sagemaker_program") != program:
                problems.append(f"sagemaker_program {hps.get('sagemaker_program')}")
            if (code.get("localPath"), code.get("entryDir")) != (source_dir, entry_dir or None):
                problems.append(f"sagemaker_submit_directory is {code}")
    return out


@pytest.mark.parametrize("case", sorted(ORIGINAL))
def test_every_script_facing_step_gets_the_original_container(compiled_cases, case) -> None:
    compiled = compiled_cases[case]
    problems = contract_problems(json.loads(compiled.definition), compiled.manifest(), case)
    assert {step: found for step, found in problems.items() if found} == {}


@pytest.mark.parametrize("case", sorted(ORIGINAL))
def test_processing_code_is_the_whole_source_directory(compiled_cases, case, tmp_path) -> None:
    """The archive a Processing/Metrics job untars holds every file of source_directory, at its relative path."""
    compiled = compiled_cases[case]
    root = compiled_cases.roots[case]
    for entry in compiled.assets:
        if entry.kind != "sourcedir":
            continue
        with tarfile.open(fileobj=io.BytesIO(asset_bytes(entry, root))) as tar:
            names = set(tar.getnames())
        files = {
            p.relative_to(root / entry.local_path).as_posix()
            for p in (root / entry.local_path).rglob("*")
            if p.is_file()
        }
        assert files <= names, entry
        if entry.entry_dir:  # the subfolder's files are also at the archive root
            sub = {p.name for p in (root / entry.local_path / entry.entry_dir).iterdir() if p.is_file()}
            assert sub <= names, entry


@pytest.mark.parametrize("case", sorted(SERVING))
def test_created_and_registered_models_carry_their_serving_code(compiled_cases, case) -> None:
    compiled = compiled_cases[case]
    steps = steps_by_name(json.loads(compiled.definition))
    assets = {a["placeholderUri"]: a for a in compiled.manifest()["assets"]}
    for name, source_dir, entry_point in SERVING[case]:
        args = steps[name]["Arguments"]
        container = (
            args["PrimaryContainer"] if "PrimaryContainer" in args else args["InferenceSpecification"]["Containers"][0]
        )
        env = container["Environment"]
        entry_dir, _, program = entry_point.rpartition("/")
        assert env["SAGEMAKER_PROGRAM"] == program, name
        code = assets[env["SAGEMAKER_SUBMIT_DIRECTORY"]]
        assert (code["localPath"], code.get("entryDir")) == (source_dir, entry_dir or None), name
