"""The local runner's reading of a definition: expressions, conditions, unsupported constructs, dependencies."""

from __future__ import annotations

import json

import pytest

from constructs_lib.localrun.expr import LocalRunError, Scope, StepFailed, parse_path
from constructs_lib.localrun.plan import load_plan
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "model_repos"


def scope(**properties) -> Scope:
    documents = {"s3://b/report.json": {"metrics": {"accuracy": {"value": 0.91}}, "items": [{"v": 1}, {"v": 2}]}}
    return Scope(
        {"Threshold": 0.9, "Mode": "fast"},
        {"PipelineExecutionId": "abc123"},
        dict(properties),
        read_json=lambda uri: documents[uri],
    )


def test_paths() -> None:
    assert parse_path("ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri") == [
        "ProcessingOutputConfig",
        "Outputs",
        "train",
        "S3Output",
        "S3Uri",
    ]
    assert parse_path("a[0].b") == ["a", 0, "b"]
    with pytest.raises(ValueError):
        parse_path("a..b")


def test_get_join_and_list_lookup_by_name() -> None:
    s = scope(
        Pre={
            "ProcessingOutputConfig": {
                "Outputs": [
                    {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/x/test"}},
                    {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/x/train"}},
                ]
            }
        }
    )
    value = {
        "Std:Join": {
            "On": "/",
            "Values": [
                {"Get": "Steps.Pre.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"},
                {"Get": "Execution.PipelineExecutionId"},
                {"Get": "Parameters.Mode"},
                3,
                True,
            ],
        }
    }
    assert s.evaluate(value) == "s3://b/x/train/abc123/fast/3/true"
    with pytest.raises(StepFailed, match="has not run"):
        s.evaluate({"Get": "Steps.Other.ModelName"})


def test_json_get_from_a_property_file_and_conditions() -> None:
    s = scope(Metrics={"PropertyFiles": {"report": "s3://b/report.json"}})
    accuracy = {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Metrics.PropertyFiles.report"}, "Path": "metrics.accuracy.value"}
    }
    assert s.evaluate(accuracy) == 0.91
    assert (
        s.evaluate(
            {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Metrics.PropertyFiles.report"}, "Path": "items[1].v"}}
        )
        == 2
    )
    threshold = {"Get": "Parameters.Threshold"}
    assert s.condition({"Type": "GreaterThanOrEqualTo", "LeftValue": accuracy, "RightValue": threshold})
    assert not s.condition({"Type": "LessThan", "LeftValue": accuracy, "RightValue": threshold})
    assert s.condition({"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": accuracy, "RightValue": 1}})
    assert s.condition(
        {
            "Type": "Or",
            "Conditions": [
                {"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                {"Type": "In", "QueryValue": {"Get": "Parameters.Mode"}, "Values": ["slow", "fast"]},
            ],
        }
    )
    with pytest.raises(StepFailed, match="no property 'missing'"):
        s.evaluate(
            {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Metrics.PropertyFiles.report"}, "Path": "metrics.missing"}}
        )


def test_the_bundled_definition_plans_with_branches_and_dependencies() -> None:
    definition = json.loads((GOLDEN / "definition.json").read_text())
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    plan = load_plan(definition, manifest)
    assert plan.steps["churn-Register"].branch == ("churn-Register-QualityGate", True)
    assert plan.steps["churn-Register-QualityGateFailed"].branch == ("churn-Register-QualityGate", False)
    assert plan.steps["churn-Register-QualityGate"].depends_on >= {"churn-Metrics"}
    assert "churn-Register-QualityGate" in plan.steps["ltv-Register"].depends_on  # DependsOn
    order = plan.order()
    assert order.index("churn-Preprocessing") < order.index("ltv-Preprocessing") < order.index("ltv-Training")
    assert plan.downstream({"ltv-Transform"}) == {"ltv-Transform", "ltv-Metrics", "ltv-Register"}
    assert plan.steps["churn-Training"].cache_for is not None
    assert plan.steps["churn-CreateModel"].cache_for is None


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            {"Name": "L", "Type": "Lambda", "Arguments": {}},
            "step 'L': type 'Lambda' is not supported by the local runner",
        ),
        (
            {"Name": "P", "Type": "Processing", "Arguments": {"AppSpecification": {"ImageUri": "x"}}},
            "no AppSpecification.ContainerEntrypoint",
        ),
        (
            {
                "Name": "T",
                "Type": "Transform",
                "Arguments": {"TransformInput": {"DataSource": {"S3DataSource": {}}, "SplitType": "RecordIO"}},
            },
            "SplitType RecordIO is not supported locally",
        ),
        (
            {
                "Name": "T",
                "Type": "Transform",
                "Arguments": {
                    "TransformInput": {"DataSource": {"S3DataSource": {}}},
                    "DataProcessing": {"InputFilter": "$[1:]"},
                },
            },
            "DataProcessing.InputFilter '$[1:]' is not supported locally",
        ),
        (
            {"Name": "F", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Select": {}}}},
            "the expression 'Std:Select' is not supported",
        ),
        (
            {"Name": "F", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.Nope"}}},
            "reads Parameters.Nope, which the definition does not declare",
        ),
        (
            {"Name": "F", "Type": "Fail", "Arguments": {}, "DependsOn": ["Ghost"]},
            "depends on 'Ghost', which is not a step of the pipeline",
        ),
    ],
)
def test_unsupported_constructs_are_reported_before_anything_runs(step, message) -> None:
    with pytest.raises(LocalRunError, match="cannot run locally") as info:
        load_plan({"Steps": [step], "Parameters": []}, {})
    assert message in info.value.message


def test_a_cycle_names_its_steps() -> None:
    steps = [
        {"Name": "A", "Type": "Fail", "Arguments": {}, "DependsOn": ["B"]},
        {"Name": "B", "Type": "Fail", "Arguments": {}, "DependsOn": ["A"]},
    ]
    with pytest.raises(LocalRunError, match="cycle: A -> B -> A"):
        load_plan({"Steps": steps}, {})
