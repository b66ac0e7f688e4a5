"""The package as users get it: a wheel, installed into a fresh venv, used by an app that is not this repo's app.py.

Offline by construction: the wheel is built with ``--no-build-isolation --no-index`` from a copy of the sources,
and installed with ``--no-deps --no-index`` into venvs made ``--without-pip``. Their dependencies come from this
test run's own site-packages through a ``.pth`` line (a path line adds the folder only: the editable install of
the checkout living there stays inactive, so ``constructs_lib`` is the wheel's copy, which each test checks).

- ``full`` venv: every dependency (what ``pip install 'constructs_lib[all]'`` gives). A user app in a temp folder,
  with its own model configs and two pipelines, synthesizes in a bare ``cdk.App()`` with cdk-nag as a gate.
- ``base`` venv: only PyYAML and pydantic (what ``pip install constructs_lib`` gives): ``smp validate`` works and
  imports nothing else; a command that needs an extra says which one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
#: What the base install brings: the runtime dependencies of pyproject's `dependencies` and theirs.
BASE_MODULES = (
    "yaml",
    "_yaml",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
)

MODEL_CONF = """\
# {name}: a model of the user's own, in the original framework's format.
conf:
  models:
    {name}:
      source_directory: models/{name}/scripts
      preprocess:
        image_uri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3
        entry_point: prepare.py
        channels:
          train:
            dataFiles:
              - sourceName: raw
                fileName: s3://SMP_S3BUCKETNAME/{name}/raw.csv
      train:
        image_uri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3
        entry_point: fit.py
      registry:
        ModelRepack: "False"
        InferenceSpecification:
          image_uri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3
          supported_content_types: [text/csv]
          supported_response_MIME_types: [text/csv]
          approval_status: PendingManualApproval
  sagemakerPipeline:
    pipelineName: {name}-pipeline
    models:
      {name}:
        steps:
          - step_name: {name}-Prepare
            step_class: Processing
            step_type: preprocess
          - step_name: {name}-Fit
            step_class: Training
            chain_input_source_step: [{name}-Prepare]
          - step_name: {name}-Register
            step_class: RegisterModel
    dependencies:
      - {name}-Prepare >> {name}-Fit >> {name}-Register
"""

USER_APP = """\
import os
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

import constructs_lib
from constructs_lib import MlPipelineStack, build_graph, load_project

print("LIB", constructs_lib.__file__)
app = cdk.App()  # bare: no cdk.json, CDK's default feature flags
stacks = []
for name in ("demand", "pricing"):  # two pipelines, one stack each
    project = load_project([f"models/{name}/conf/conf.yaml"])
    stacks.append(MlPipelineStack(app, f"{name.title()}Pipeline", project=project, graph=build_graph(project)))
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))  # any unacknowledged finding fails synth
app.synth()
# The plugin reports failures only; ask the rules directly too, so that "no findings" is seen, not assumed.
print("NAG", [v.rule_name for s in stacks for v in AwsSolutionsChecks().validate_scope(s).violations])
"""

PROBE = """\
import sys, sysconfig
from constructs_lib.cli import main
code = main(["validate", "--quick", "--config", "models/pricing/conf/conf.yaml"])
std = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
print("LOADED", sorted({name.split(".")[0] for name, file in files.items() if file and not file.startswith(std)}))
print("CODE", code)
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH (the checkout must not be importable), no AWS or SMP settings of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SMP_", "PYTHON", "CDK_"))}
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


def _run(args: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(**env), capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("wheel-src") / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "constructs_lib", src / "constructs_lib", ignore=shutil.ignore_patterns("__pycache__"))
    dist = src.parent / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            dist,
            src,
        ],
        cwd=src.parent,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = dist.glob("constructs_lib-*.whl")
    return path


def _venv(base: Path, wheel: Path, site_dirs: list[Path]) -> Path:
    """A venv without pip holding the wheel, whose dependencies come from `site_dirs` (.pth path lines)."""
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip()
    )
    (purelib / "_deps.pth").write_text("".join(f"{d}\n" for d in site_dirs))
    # pip itself comes from this run's site-packages; --ignore-installed: never touch the checkout's install there.
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            wheel,
        ],
        cwd=base,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv


@pytest.fixture(scope="session")
def full_venv(tmp_path_factory, wheel) -> Path:
    return _venv(tmp_path_factory.mktemp("full"), wheel, [SITE_PACKAGES])


@pytest.fixture(scope="session")
def base_venv(tmp_path_factory, wheel) -> Path:
    """Only the base dependencies are importable: symlinks to them in a folder of their own."""
    base = tmp_path_factory.mktemp("base")
    deps = base / "deps"
    deps.mkdir()
    for name in BASE_MODULES:
        for entry in (SITE_PACKAGES / name, SITE_PACKAGES / f"{name}.py"):
            if entry.exists():
                (deps / entry.name).symlink_to(entry)
    # A compiled extension module (e.g. yaml's _yaml) lives inside its package: nothing else to link.
    assert (deps / "yaml").exists() and (deps / "pydantic").exists() and (deps / "pydantic_core").exists()
    return _venv(base, wheel, [deps])


@pytest.fixture(scope="session")
def user_app(tmp_path_factory) -> Path:
    """A CDK app of a user's own: two pipelines, each with its own model config and scripts."""
    app = tmp_path_factory.mktemp("user-app")
    for name in ("demand", "pricing"):
        conf = app / "models" / name / "conf" / "conf.yaml"
        conf.parent.mkdir(parents=True)
        conf.write_text(MODEL_CONF.format(name=name))
        scripts = app / "models" / name / "scripts"
        scripts.mkdir()
        (scripts / "prepare.py").write_text("print('prepare')\n")
        (scripts / "fit.py").write_text("print('fit')\n")
    (app / "app.py").write_text(USER_APP)
    return app


def test_wheel_holds_the_package_its_types_license_and_command(wheel) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "constructs_lib/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "constructs_lib/cli.py" in names and "constructs_lib/constructs/dynamic_pipeline.py" in names
    assert not any(n.startswith(("tests/", "model_repos/")) for n in names)
    assert "License-Expression: MIT-0" in metadata
    assert "Requires-Dist: pydantic" in metadata and "Provides-Extra: cdk" in metadata
    assert "smp = constructs_lib.cli:main" in entry_points


def test_user_app_with_two_pipelines_synthesizes_nag_clean(full_venv, user_app, tmp_path) -> None:
    out = tmp_path / "cdk.out"
    result = _run([full_venv / "bin" / "python", "app.py"], cwd=user_app, CDK_OUTDIR=str(out), HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"LIB {full_venv}" in result.stdout  # the wheel's copy, not the checkout
    names = {}
    for stack in ("DemandPipeline", "PricingPipeline"):
        template = json.loads((out / f"{stack}.template.json").read_text())
        (pipeline,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Pipeline"]
        names[stack] = pipeline["Properties"]["PipelineName"]
    assert names == {"DemandPipeline": "demand-pipeline", "PricingPipeline": "pricing-pipeline"}
    assert json.loads((out / "validation-report.json").read_text())["pluginReports"] == []
    assert "NAG []" in result.stdout


def test_console_command_validates(full_venv, user_app) -> None:
    result = _run([full_venv / "bin" / "smp", "validate", "--config", "models/demand/conf/conf.yaml"], cwd=user_app)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: pipeline demand-pipeline: 1 file(s), 1 model(s), 3 step(s), 2 edge(s)\n"


def test_base_install_validates_with_yaml_and_pydantic_only(base_venv, user_app) -> None:
    result = _run([base_venv / "bin" / "python", "-c", PROBE], cwd=user_app)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.split("LOADED ")[1].split("\n")[0].replace("'", '"'))
    assert set(loaded) <= {"constructs_lib", *BASE_MODULES}, loaded
    assert "CODE 0" in result.stdout
    command = _run(
        [base_venv / "bin" / "smp", "validate", "--quick", "--config", "models/pricing/conf/conf.yaml"], cwd=user_app
    )
    assert (command.returncode, command.stderr) == (0, ""), command.stderr
    assert command.stdout == (
        "ok (config and graph only): pipeline pricing-pipeline: 1 file(s), 1 model(s), 3 step(s), 2 edge(s)\n"
    )


@pytest.mark.parametrize("command", ["definition", "validate"])  # validate without --quick compiles
def test_base_install_names_the_extra_a_command_needs(base_venv, user_app, command) -> None:
    result = _run([base_venv / "bin" / "smp", command, "--config", "models/demand/conf/conf.yaml"], cwd=user_app)
    assert result.returncode == 2
    assert "pip install 'constructs_lib[compile]'" in result.stderr
    assert "Traceback" not in result.stderr
