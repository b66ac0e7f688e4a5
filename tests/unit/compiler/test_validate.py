"""`validate` is the complete check (it compiles), with warnings for what would not work as meant; `explain`."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.cli import main
from tests.conftest import FIXTURES
from tests.unit.config.test_mutations_property import _mutate, _paths, values

SEMANTICS = FIXTURES / "compile" / "semantics"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "p"
    shutil.copytree(SEMANTICS, root)
    monkeypatch.chdir(root)
    return root


def _edit(root, old: str, new: str) -> None:
    conf = root / "conf.yaml"
    text = conf.read_text()
    assert old in text
    conf.write_text(text.replace(old, new, 1))


def _validate(capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["validate", "--config", "conf.yaml", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_refuses_what_definition_refuses(project, capsys) -> None:
    (project / "scripts" / "train.py").unlink()
    code, _, err = _validate(capsys)
    assert code == 2 and "conf.models.m.train.entry_point: script 'scripts/train.py' does not exist" in err
    assert main(["definition", "--config", "conf.yaml"]) == 2
    # --quick checks the config and graph only (and so accepts it)
    assert _validate(capsys, "--quick")[0] == 0


def test_warnings_are_printed_and_accepted(project, capsys) -> None:
    _edit(
        project,
        "        max_runtime_in_seconds: 600\n",
        "        max_runtime_in_seconds: 600\n        volume_size: 30\n",
    )
    (project / "scripts" / "requirements.txt").write_text("numpy\n")
    (project / "other.yaml").write_text("conf:\n  models:\n    spare:\n      source_directory: scripts\n")
    code, out, err = main(["validate", "--config", "conf.yaml", "--config", "other.yaml"]), *capsys.readouterr()
    assert code == 0 and out.startswith("ok: pipeline semantics") and "4 warning(s)" in out
    lines = err.splitlines()
    assert any(
        "warning: conf.models.m.transform.volume_size: transform.volume_size has no effect" in line for line in lines
    )
    assert any("warning: conf.models.spare: model 'spare' is not in the pipeline" in line for line in lines)
    assert any("source_directory: scripts/requirements.txt is installed from PyPI" in line for line in lines)
    assert any(
        ": warning: " in line and "'Evaluate' reads channel(s) train of 'Prep' and ignores its output(s) extra" in line
        for line in lines
    )


def test_a_processing_script_importing_a_module_beside_it_in_a_subfolder_is_an_error(project, capsys) -> None:
    (project / "scripts" / "evaluation").mkdir()
    (project / "scripts" / "evaluation" / "helpers.py").write_text("X = 1\n")
    (project / "scripts" / "evaluation" / "requirements.txt").write_text("numpy\n")
    (project / "scripts" / "evaluation" / "evaluate.py").write_text("import os\nfrom helpers import X\n")
    _edit(project, "entry_point: evaluate.py", "entry_point: evaluation/evaluate.py")
    code, _, err = _validate(capsys)
    assert code == 2
    assert (
        "conf.models.m.evaluate.entry_point: evaluation/evaluate.py (line 2) imports 'helpers', a module beside it"
        in err
        and "from evaluation import helpers" in err
    )
    (project / "scripts" / "evaluation" / "evaluate.py").write_text("from evaluation import helpers\n")
    code, _, err = _validate(capsys)
    assert (
        code == 0 and "warning: conf.models.m.evaluate.entry_point: evaluation/requirements.txt is not installed" in err
    )


def test_explain_says_where_a_script_finds_its_inputs(project, capsys) -> None:
    assert main(["explain", "--config", "conf.yaml", "--step", "Evaluate", "--step", "Train"]) == 0
    out = capsys.readouterr().out
    assert "/opt/ml/processing/input/Prep-train  <- output 'train' of Prep" in out
    assert "/opt/ml/processing/input/Score-train  <- output of Score" in out
    assert 'python -m evaluate evaluate.py "$@"' in out
    assert "/opt/ml/processing/output  -> s3://" in out
    assert "/opt/ml/input/data/validation  (SM_CHANNEL_VALIDATION)  <- s3://" in out
    assert "python train.py --depth 3 --rate 0.1" in out
    assert "Register" not in out


# ------------------------------------------------------------------------------------------------ property

BASE = yaml.safe_load((SEMANTICS / "conf.yaml").read_text())


def _synth_compile_refuses(root) -> bool:
    """What the CDK app does before synth: compile with the construct's placeholder bindings."""
    from constructs_lib.compiler.facade import compile_pipeline
    from constructs_lib.config.loader import load_project
    from constructs_lib.constructs.dynamic_pipeline import DynamicPipelineConstruct
    from constructs_lib.errors import ConfigError
    from constructs_lib.graph.builder import build_graph

    try:
        project = load_project(["conf.yaml"], cwd=root, environ={})
        graph = build_graph(project)
        compile_pipeline(
            project,
            graph,
            DynamicPipelineConstruct.placeholder_bindings(project, subnets=2, security_groups=1, kms_key=True),
        )
    except ConfigError:
        return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pick=st.integers(0, 10**6),
    op=st.sampled_from(["replace", "delete", "rename", "insert"]),
    value=values,
    name=st.text(max_size=4),
)
def test_no_mutation_is_accepted_by_validate_and_refused_by_definition_or_synth(
    tmp_path_factory, pick, op, value, name
) -> None:
    root = tmp_path_factory.mktemp("mut")
    shutil.copytree(SEMANTICS, root, dirs_exist_ok=True)
    paths = list(_paths(BASE))
    mutated = _mutate(BASE, paths[pick % len(paths)], op, value, name)
    (root / "conf.yaml").write_text(yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True))
    codes = []
    cwd = Path.cwd()
    os.chdir(root)
    try:
        for command in (["validate"], ["definition", "--out", str(root / "out" / "d.json")]):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                codes.append(main([*command, "--config", "conf.yaml"]))
    finally:
        os.chdir(cwd)
    assert codes[0] in (0, 2)
    assert codes[0] == codes[1]
    assert (codes[0] == 2) == _synth_compile_refuses(root)


def test_validate_checks_images_for_every_region_of_the_cdk_json_environments(project, capsys) -> None:
    _edit(
        project,
        "image_uri: img/train:1",
        "image_uri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    )
    assert _validate(capsys)[0] == 0  # no region known
    (project / "cdk.json").write_text(
        '{"context": {"environments": [{"name": "dev", "account": "111111111111", "region": "eu-west-1"}]}}'
    )
    code, _, err = _validate(capsys)
    assert code == 2 and "is in us-east-1 but the pipeline runs in eu-west-1" in err


def test_a_channel_that_nothing_fills_is_a_warning(project, capsys) -> None:
    _edit(
        project,
        '          validation:\n            dataFiles: [{fileName: "s3://SMP_S3BUCKETNAME/data/validation"}]',
        "          validation:",
    )
    _edit(
        project,
        "step_name: Evaluate, step_class: Metrics, chain_input_source_step: [Prep, Score]",
        "step_name: Evaluate, step_class: Metrics",
    )
    code, _, err = _validate(capsys)
    assert code == 0
    assert "warning: conf.models.m.train.channels.validation: training channel 'validation' has no data files" in err
    assert "warning: conf.models.m.evaluate.channels.train: evaluate channel 'train' has no data files" in err
