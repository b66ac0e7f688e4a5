"""The JSON Schema we publish for editors agrees with the validator on real files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from constructs_lib.cli import main
from tests.conftest import FIXTURES, OWN_EXAMPLES, SEED_EXAMPLES, requires_shared


@pytest.fixture(scope="module")
def validator():
    from constructs_lib.config.json_schema import config_json_schema

    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _example_files():
    """The project's own original-shaped examples, then the original's (a skipped case when ../shared is absent)."""
    own = [
        pytest.param(p, id=f"own/{p.relative_to(OWN_EXAMPLES)}")
        for p in sorted((OWN_EXAMPLES / "examples").rglob("*.yaml"))
    ]
    seed = [
        pytest.param(p, id=f"seed/{p.relative_to(SEED_EXAMPLES)}")
        for p in sorted((SEED_EXAMPLES / "examples").rglob("*.yaml"))
    ]
    return own + (seed or [pytest.param(None, id="seed", marks=requires_shared)])


@pytest.mark.parametrize("path", _example_files())
def test_examples_satisfy_the_schema(validator, path) -> None:
    data = yaml.safe_load(path.read_text())
    # The original's odd forms (bare channel names, `train:` with no body, "False") are accepted as written.
    errors = list(validator.iter_errors(data))
    assert errors == [], [e.message for e in errors]


def test_schema_refuses_a_typo(validator) -> None:
    data = yaml.safe_load((FIXTURES / "valid" / "full" / "conf.yaml").read_text())
    data["conf"]["models"]["churn"]["train"]["entry_pont"] = "x.py"
    messages = [e.message for e in validator.iter_errors(data)]
    assert any("entry_pont" in m for m in messages)


def test_every_key_is_documented(validator) -> None:
    schema = validator.schema
    undocumented = [
        f"{name}.{key}"
        for name, definition in schema["$defs"].items()
        for key, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_schema_command_prints_it(capsys) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$defs"]["StepConfig"]["properties"]["step_class"]["description"].startswith("One of Processing")
