"""Created and registered models carry their serving code, so that a registered package deploys as it is."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import FIXTURES
from tests.unit.compiler.conftest import compile_globs
from tests.unit.compiler.container_layout import steps_by_name

SEMANTICS = FIXTURES / "compile" / "semantics"


def _containers(compiled) -> dict[str, dict]:
    steps = steps_by_name(json.loads(compiled.definition))
    out = {}
    for step in steps.values():
        if step["Type"] == "Model":
            out["create"] = step["Arguments"]["PrimaryContainer"]
        elif step["Type"] == "RegisterModel":
            out["register"] = step["Arguments"]["InferenceSpecification"]["Containers"][0]
    return out


def _project(tmp_path, repack: str, registry_env: str = "", requirements: bool = False):
    root = tmp_path / "p"
    shutil.copytree(SEMANTICS, root)
    conf = root / "conf.yaml"
    text = conf.read_text().replace("ModelRepack: true", f"ModelRepack: {repack}{registry_env}")
    conf.write_text(text)
    if requirements:
        (root / "scripts" / "requirements.txt").write_text("scikit-learn==1.2.1\n")
    return compile_globs(["conf.yaml"], root)


@pytest.mark.parametrize("repack", ["true", '"False"'])
def test_both_models_serve_the_transform_entry_point_whatever_model_repack_says(tmp_path, repack) -> None:
    compiled = _project(tmp_path, repack)
    sourcedir = next(a for a in compiled.assets if a.kind == "sourcedir" and a.local_path == "scripts")
    for kind, container in _containers(compiled).items():
        env = container["Environment"]
        assert env["SAGEMAKER_PROGRAM"] == "inference.py", kind
        assert env["SAGEMAKER_SUBMIT_DIRECTORY"] == sourcedir.placeholder_uri, kind
        assert "SAGEMAKER_REQUIREMENTS" not in env, kind  # the fixture has no requirements.txt


def test_requirements_and_registry_environment_reach_the_serving_container(tmp_path) -> None:
    env_yaml = "\n        env:\n          MODEL_SERVER_WORKERS: 2\n          LOG_LEVEL: debug"
    compiled = _project(tmp_path, "false", env_yaml, requirements=True)
    containers = _containers(compiled)
    for kind, container in containers.items():
        assert container["Environment"]["SAGEMAKER_REQUIREMENTS"] == "requirements.txt", kind
        assert container["Environment"]["MODEL_SERVER_WORKERS"] == "2", kind
    assert containers["register"]["Environment"]["LOG_LEVEL"] == "debug"
