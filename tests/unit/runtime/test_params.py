"""``--param`` syntax and checks against the deployed definition and the config."""

from __future__ import annotations

import pytest

from constructs_lib.runtime.client import definition_parameters, definition_step_names, parse_definition
from constructs_lib.runtime.model import RuntimeUserError
from constructs_lib.runtime.params import ConfigParameters, check_value, parse_assignments, resolve_parameters
from tests.conftest import FIXTURES
from tests.unit.runtime.fakes import PARAMS

CONFIG = ConfigParameters(
    {"InstanceType": "String", "InstanceCount": "Integer", "Split": "Float", "Skip": "Boolean", "Approval": "String"},
    source="conf.yaml",
)


def test_assignments() -> None:
    assert parse_assignments(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    assert parse_assignments(None) == {}


@pytest.mark.parametrize(
    "item, words",
    [
        ("A", "expected NAME=VALUE"),
        ("=1", "expected NAME=VALUE"),
        ("1A=2", "is not a parameter name"),
        ("A B=1", "is not a parameter name"),
    ],
)
def test_bad_assignment(item, words) -> None:
    with pytest.raises(RuntimeUserError, match=words) as info:
        parse_assignments([item])
    assert info.value.hint


def test_assignment_given_twice() -> None:
    with pytest.raises(RuntimeUserError, match="given twice"):
        parse_assignments(["A=1", "A=2"])


@pytest.mark.parametrize(
    "type_, value, sent",
    [
        ("Integer", "3", "3"),
        ("Integer", " -04 ", "-4"),
        ("Float", "0.25", "0.25"),
        ("Float", "1e-3", "1e-3"),
        ("Float", "2", "2"),
        ("Boolean", "TRUE", "true"),
        ("Boolean", "false", "false"),
        ("String", " a b ", " a b "),
    ],
)
def test_good_values(type_, value, sent) -> None:
    assert check_value("P", type_, value) == sent


@pytest.mark.parametrize(
    "type_, value",
    [
        ("Integer", "abc"),
        ("Integer", "1.5"),
        ("Integer", ""),
        ("Float", "x"),
        ("Float", "nan"),
        ("Float", "inf"),
        ("Boolean", "yes"),
        ("Boolean", "1"),
    ],
)
def test_bad_values(type_, value) -> None:
    with pytest.raises(RuntimeUserError, match=f"is an? {type_} parameter") as info:
        check_value("P", type_, value)
    assert info.value.hint.startswith("give ")


def test_enum_values() -> None:
    with pytest.raises(RuntimeUserError, match="not one of the allowed values") as info:
        check_value("Approval", "String", "Aproved", ("PendingManualApproval", "Approved", "Rejected"))
    assert "did you mean 'Approved'" in info.value.hint


def test_resolved_against_deployed_and_config() -> None:
    values, warnings = resolve_parameters({"InstanceCount": "2", "Skip": "True"}, "churn", PARAMS, CONFIG)
    assert values == {"InstanceCount": "2", "Skip": "true"} and warnings == []


def test_unknown_parameter_did_you_mean() -> None:
    with pytest.raises(RuntimeUserError, match="unknown parameter 'InstanceCont' for pipeline 'churn'") as info:
        resolve_parameters({"InstanceCont": "2"}, "churn", PARAMS, CONFIG)
    assert "did you mean 'InstanceCount'" in info.value.hint


def test_in_config_but_not_deployed() -> None:
    config = ConfigParameters({**CONFIG.types, "NewOne": "String"}, source="conf.yaml")
    with pytest.raises(
        RuntimeUserError, match="conf.yaml declares it, but the deployed pipeline 'churn' does not"
    ) as info:
        resolve_parameters({"NewOne": "x"}, "churn", PARAMS, config)
    assert "cdk deploy" in info.value.hint


def test_drift_is_a_warning() -> None:
    config = ConfigParameters({"InstanceCount": "String"}, source="conf.yaml")
    values, warnings = resolve_parameters({"InstanceCount": "2", "Split": "0.5"}, "churn", PARAMS, config)
    assert values == {"InstanceCount": "2", "Split": "0.5"}
    assert any("Integer in the deployed pipeline but a String in conf.yaml" in w for w in warnings)
    assert any("'Split' is in the deployed pipeline but not in conf.yaml" in w for w in warnings)


def test_deployed_type_wins() -> None:
    config = ConfigParameters({"InstanceCount": "String"}, source="conf.yaml")
    with pytest.raises(RuntimeUserError, match="is an Integer parameter"):
        resolve_parameters({"InstanceCount": "abc"}, "churn", PARAMS, config)


def test_config_alone_when_definition_unreadable() -> None:
    assert resolve_parameters({"InstanceCount": "2"}, "churn", None, CONFIG)[0] == {"InstanceCount": "2"}
    with pytest.raises(RuntimeUserError, match="is an Integer parameter"):
        resolve_parameters({"InstanceCount": "x"}, "churn", None, CONFIG)
    with pytest.raises(RuntimeUserError, match="unknown parameter") as info:
        resolve_parameters({"Skp": "true"}, "churn", None, CONFIG)
    assert "did you mean 'Skip'" in info.value.hint


def test_pipeline_without_parameters() -> None:
    with pytest.raises(RuntimeUserError) as info:
        resolve_parameters({"A": "1"}, "other", (), None)
    assert info.value.hint == "pipeline 'other' declares no parameters"


def test_fixture_definition_is_read() -> None:
    definition = parse_definition((FIXTURES / "runtime" / "definition.json").read_text())
    params = definition_parameters(definition)
    assert [(p.name, p.type) for p in params] == [
        ("ProcessingInstanceType", "String"),
        ("ProcessingInstanceCount", "Integer"),
        ("InputDataUrl", "String"),
        ("TrainTestSplit", "Float"),
        ("SkipRegistration", "Boolean"),
    ]
    assert definition_step_names(definition) == ("churn-Preprocessing",)


def test_definition_forms() -> None:
    # moto returns a definition created from PipelineDefinitionS3Location as a Python repr
    assert parse_definition("{'Parameters': [{'Name': 'A', 'Type': 'Integer'}], 'Steps': []}") == {
        "Parameters": [{"Name": "A", "Type": "Integer"}],
        "Steps": [],
    }
    assert parse_definition("not json") is None and parse_definition("") is None and parse_definition(None) is None
    assert definition_parameters(None) is None and definition_parameters({}) == ()
    nested = {
        "Steps": [
            {
                "Name": "Check",
                "Type": "Condition",
                "Arguments": {"IfSteps": [{"Name": "Register"}], "ElseSteps": [{"Name": "Fail"}]},
            },
            {"Name": "Train"},
        ]
    }
    assert definition_step_names(nested) == ("Check", "Register", "Fail", "Train")
