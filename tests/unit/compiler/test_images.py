"""Images in the deployment's region: ECR URIs of another region are refused; the short form resolves per region."""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from constructs_lib.compiler.images import region_problem
from constructs_lib.compiler.naming import ecr_repositories
from constructs_lib.config.schema import ImageRef
from constructs_lib.errors import ConfigError
from tests.conftest import FIXTURES
from tests.unit.compiler.conftest import compile_globs
from tests.unit.compiler.container_layout import steps_by_name

SEMANTICS = FIXTURES / "compile" / "semantics"
US_SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
EU_SKLEARN = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def _project(tmp_path, image: str) -> None:
    shutil.copytree(SEMANTICS, tmp_path / "p")
    conf = tmp_path / "p" / "conf.yaml"
    conf.write_text(conf.read_text().replace("image_uri: img/train:1", f"image_uri: {image}"))


def _training_image(compiled) -> str:
    steps = steps_by_name(json.loads(compiled.definition))
    return steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"]


def test_an_image_of_another_region_is_an_error_that_names_the_right_image(tmp_path) -> None:
    _project(tmp_path, US_SKLEARN)
    with pytest.raises(ConfigError) as info:
        compile_globs(["conf.yaml"], tmp_path / "p", environ={"SMP_REGION": "eu-west-1"})
    (problem,) = info.value.problems
    assert problem.key_path == "conf.models.m.train.image_uri"
    assert "us-east-1" in problem.message and "eu-west-1" in problem.message
    assert EU_SKLEARN in problem.hint


def test_an_image_of_the_known_region_or_an_unknown_region_is_accepted(tmp_path) -> None:
    _project(tmp_path, EU_SKLEARN)
    assert (
        _training_image(compile_globs(["conf.yaml"], tmp_path / "p", environ={"SMP_REGION": "eu-west-1"})) == EU_SKLEARN
    )
    assert _training_image(compile_globs(["conf.yaml"], tmp_path / "p")) == EU_SKLEARN  # no region known: no check


@pytest.mark.parametrize(
    ("region", "expected"), [("eu-west-1", EU_SKLEARN), ("us-east-1", US_SKLEARN), (None, US_SKLEARN)]
)
def test_the_short_form_resolves_per_region_offline(tmp_path, monkeypatch, region, expected) -> None:
    _project(tmp_path, '{framework: sklearn, version: "1.2-1"}')

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access while resolving an image: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    environ = {"SMP_REGION": region} if region else {}
    assert _training_image(compile_globs(["conf.yaml"], tmp_path / "p", environ=environ)) == expected


def test_the_short_form_of_a_framework_image_with_a_python_version(tmp_path) -> None:
    _project(tmp_path, '{framework: tensorflow, version: "2.11.0", py_version: py39}')
    compiled = compile_globs(["conf.yaml"], tmp_path / "p", environ={"SMP_REGION": "eu-west-1"})
    assert (
        _training_image(compiled) == "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-training:2.11.0-cpu-py39"
    )


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ('{framework: sklearn, version: "0.1"}', ["no image for sklearn 0.1", "versions:"]),
        ('{framework: not-a-framework, version: "1"}', ["unknown framework 'not-a-framework'"]),
    ],
)
def test_an_unknown_short_form_is_a_clear_error(tmp_path, image, words) -> None:
    _project(tmp_path, image)
    with pytest.raises(ConfigError) as info:
        compile_globs(["conf.yaml"], tmp_path / "p", environ={"SMP_REGION": "eu-west-1"})
    (problem,) = info.value.problems
    assert problem.key_path == "conf.models.m.train.image_uri"
    assert all(w in problem.message for w in words), problem.message


def test_execution_role_pulls_the_short_form_image_of_the_stack_region() -> None:
    ref = ImageRef(framework="sklearn", version="1.2-1")
    assert ecr_repositories((), ((ref, "training"),), "eu-west-1") == (
        ("141502667606", "eu-west-1", "sagemaker-scikit-learn"),
    )
    assert ecr_repositories((), ((ref, "training"),), None) == ()


def test_region_check_ignores_what_is_not_a_region() -> None:
    assert region_problem("${SMP_ACCOUNTID}.dkr.ecr.${SMP_REGION}.amazonaws.com/x:1", "eu-west-1") is None
    assert region_problem("123456789012.dkr.ecr.smp-placeholder-region.amazonaws.com/x:1", "eu-west-1") is None
    assert region_problem(US_SKLEARN, "smp-placeholder-region") is None
    assert region_problem("refer-transform/docker-to-built-inference-image", "eu-west-1") is None
