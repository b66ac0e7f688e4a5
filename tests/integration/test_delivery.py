"""The delivery pipeline of the bundled example (cdk.json ``environments`` + ``delivery``), synthesized offline.

One module-scoped synth of the app exactly as app.py builds it (sandbox stack, delivery stack, one stage per
environment; the cdk-nag gate registered, so any unacknowledged finding fails the synth), with sockets refused:
any DNS lookup or connection during synth fails the fixture. Assertions go through ``aws_cdk.assertions`` and
never name a logical id. cfn-lint and checkov (slow) run on the delivery template and every stage template.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from constructs_lib.app_wiring import build_app
from constructs_lib.errors import ConfigError
from constructs_lib.stacks.delivery_stack import (
    CDK_ASSETS_CLI_VERSION,
    CDK_CLI_VERSION,
    CHECK_STEP_ID,
    SYNTH_COMMANDS,
    DeliveryStack,
    MlPipelineStage,
)
from tests.conftest import ROOT
from tests.security import cdk_context, nag_findings, new_app, run_cfn_lint, run_checkov, write_template

CONTEXT = cdk_context()
ENVIRONMENTS: list[dict[str, Any]] = CONTEXT["environments"]
DELIVERY: dict[str, Any] = CONTEXT["delivery"]
NAMES = [e["name"] for e in ENVIRONMENTS]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """The app of app.py, synthesized once with the network refused; what the tests need from it."""
    attempts: list[str] = []

    def refuse(name: str):
        def refused(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name == 'connect' else args}")
            raise OSError(f"network access during synth: {name}")

        return refused

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        for variable in [v for v in os.environ if v.startswith(("SMP_", "AWS_"))]:
            patch.delenv(variable)  # no developer settings, no credentials
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setattr(socket.socket, "connect", refuse("connect"))
        patch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
        patch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
        patch.setattr(socket, "create_connection", refuse("create_connection"))
        app = cdk.App(context=CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out")))
        build_app(app)  # registers the cdk-nag gate: a finding makes synth raise
        assembly = app.synth()
    (delivery,) = [c for c in app.node.children if isinstance(c, DeliveryStack)]
    return SimpleNamespace(
        app=app,
        assembly=assembly,
        attempts=attempts,
        delivery=delivery,
        template=Template.from_stack(delivery),
        stages={s.environment.name: s for s in delivery.stages},
    )


def _pipeline(template: Template) -> dict[str, Any]:
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return pipeline["Properties"]


def _stage(synth, name: str) -> dict[str, Any]:
    (stage,) = [s for s in _pipeline(synth.template)["Stages"] if s["Name"] == name]
    return stage


def _definition(template: Template) -> dict[str, Any]:
    (pipeline,) = template.find_resources("AWS::SageMaker::Pipeline").values()
    body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"][0]
    return json.loads(body.replace("${!", "${"))


def _missing_context(assembly: cdk.cx_api.CloudAssembly) -> list[Any]:
    """Context lookups the app asked for (e.g. availability zones), in the assembly and nested ones."""
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    missing = list(manifest.get("missing", []))
    for nested in assembly.nested_assemblies:
        missing += _missing_context(nested.nested_assembly)
    return missing


# -- offline, wiring -----------------------------------------------------------------------------------------


def test_synth_is_offline_with_no_lookups(synth) -> None:
    assert synth.attempts == []
    assert _missing_context(synth.assembly) == []


def test_app_wiring_adds_the_delivery_stack_in_the_tooling_account(synth) -> None:
    delivery = synth.delivery
    assert delivery.stack_name == "customer-churn-ltv-delivery"
    assert (delivery.account, delivery.region) == (DELIVERY["account"], DELIVERY["region"])
    # The sandbox stack is still there, next to the delivery stack.
    assert {s.stack_name for s in synth.app.node.children if isinstance(s, cdk.Stack)} == {
        "customer-churn-ltv-stack",
        "customer-churn-ltv-delivery",
    }


def test_nag_finds_nothing_unacknowledged(synth) -> None:
    assert nag_findings(synth.delivery) == []  # the stage stacks are nested in the delivery stack


# -- the delivery pipeline -------------------------------------------------------------------------------------


def test_source_is_the_codeconnections_repository(synth) -> None:
    assert len(_stage(synth, "Source")["Actions"]) == 1
    synth.template.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {
            "Stages": Match.array_with(
                [
                    Match.object_like(
                        {
                            "Name": "Source",
                            "Actions": [
                                Match.object_like(
                                    {
                                        "ActionTypeId": Match.object_like({"Provider": "CodeStarSourceConnection"}),
                                        "Configuration": Match.object_like(
                                            {
                                                "ConnectionArn": DELIVERY["connectionArn"],
                                                "FullRepositoryId": DELIVERY["repository"],
                                                "BranchName": DELIVERY["branch"],
                                            }
                                        ),
                                    }
                                )
                            ],
                        }
                    )
                ]
            )
        },
    )


def test_one_stage_per_environment_in_order_after_synth_self_mutation_and_assets(synth) -> None:
    synth.template.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {
            "Name": "customer-churn-ltv-delivery",
            "Stages": [
                Match.object_like({"Name": name}) for name in ["Source", "Build", "UpdatePipeline", "Assets", *NAMES]
            ],
        },
    )
    assert [s.environment.name for s in synth.delivery.stages] == NAMES


def _actions(stage: dict[str, Any]) -> list[tuple[int, str, str]]:
    return sorted((a["RunOrder"], a["ActionTypeId"]["Provider"], a["Name"]) for a in stage["Actions"])


def test_manual_approval_opens_the_last_stage_only(synth) -> None:
    *earlier, last = NAMES
    prod = _actions(_stage(synth, last))
    assert prod[0][1] == "Manual"
    assert [p for _, p, _ in prod[1:]] == ["CloudFormation", "CloudFormation", "CodeBuild"]
    assert "Manual" not in [p for name in earlier for _, p, _ in _actions(_stage(synth, name))]
    assert [s.environment.approval for s in synth.delivery.stages] == [False] * len(earlier) + [True]


def test_each_stage_deploys_its_ml_stack_then_checks_it(synth) -> None:
    for environment in ENVIRONMENTS:
        stage = _stage(synth, environment["name"])
        deploys = [a for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        stack_name = f"customer-churn-ltv-{environment['name']}"
        assert {a["Configuration"]["StackName"] for a in deploys} == {stack_name}
        deploy_role = json.dumps(deploys[0]["RoleArn"])
        assert (
            f":iam::{environment['account']}:role/cdk-hnb659fds-deploy-role-{environment['account']}-"
            f"{environment['region']}" in deploy_role
        )
        (check,) = [a for a in stage["Actions"] if a["Name"] == CHECK_STEP_ID]
        assert check["RunOrder"] > max(a["RunOrder"] for a in deploys)
        variables = {v["name"]: v["value"] for v in json.loads(check["Configuration"]["EnvironmentVariables"])}
        namespace = next(a["Namespace"] for a in deploys if "Namespace" in a)
        assert variables["PIPELINE_NAME"] == f"#{{{namespace}.PipelineName}}"
        assert variables["CHECK_ROLE_ARN"] == f"#{{{namespace}.DeployCheckRoleArn}}"


def test_check_step_may_only_assume_the_check_role_of_its_environment(synth) -> None:
    for environment in ENVIRONMENTS:
        stage: MlPipelineStage = synth.stages[environment["name"]]
        role_arn = f"arn:aws:iam::{environment['account']}:role/{stage.check_role.role_name}"
        synth.template.has_resource_properties(
            "AWS::IAM::Policy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            {
                                "Sid": "AssumeTheCheckRole",
                                "Action": "sts:AssumeRole",
                                "Effect": "Allow",
                                "Resource": role_arn,
                            }
                        ]
                    )
                }
            },
        )
        expected = stage.expected()
        assert expected["parameters"] == {
            "TrainingInstanceType": "ml.m5.large",
            "ModelApprovalStatus": "PendingManualApproval",
            **environment.get("parameters", {}),
        }
        synth.template.has_resource_properties(
            "AWS::CodeBuild::Project",
            {
                "Environment": Match.object_like(
                    {
                        "EnvironmentVariables": Match.array_with(
                            [
                                {
                                    "Name": "EXPECTED",
                                    "Type": "PLAINTEXT",
                                    "Value": json.dumps(expected, sort_keys=True),
                                },
                                {"Name": "TARGET_REGION", "Type": "PLAINTEXT", "Value": environment["region"]},
                            ]
                        )
                    }
                )
            },
        )


def test_synth_step_tests_then_synthesizes_without_docker(synth) -> None:
    projects = synth.template.find_resources(
        "AWS::CodeBuild::Project",
        {"Properties": {"Source": {"BuildSpec": Match.string_like_regexp(r'"\./dev|bash \./dev')}}},
    )
    (project,) = projects.values()
    spec = json.loads(project["Properties"]["Source"]["BuildSpec"])
    assert spec["phases"]["build"]["commands"] == list(SYNTH_COMMANDS)
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11", "nodejs": "20"}
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    environment = project["Properties"]["Environment"]
    assert environment["Image"] == "aws/codebuild/standard:7.0" and environment["PrivilegedMode"] is False
    # Every CodeBuild project is unprivileged and encrypted with the artifact key.
    for project in synth.template.find_resources("AWS::CodeBuild::Project").values():
        assert project["Properties"]["Environment"].get("PrivilegedMode", False) is False
        assert "EncryptionKey" in project["Properties"]


def test_artifacts_are_cross_account_ready(synth) -> None:
    template = synth.template
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    store = _pipeline(template)["ArtifactStore"]
    assert store["Type"] == "S3" and store["EncryptionKey"]["Type"] == "KMS"
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like({"ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": "aws:kms"})})
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "pipeline-artifacts/"}),
        },
    )
    # Self-mutation is on: the pipeline updates itself before deploying anything.
    assert _actions(_stage(synth, "UpdatePipeline")) == [(1, "CodeBuild", "SelfMutate")]


# -- the stage stacks ------------------------------------------------------------------------------------------


def test_cdk_cli_and_cdk_assets_versions_are_pinned(synth) -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["aws-cdk"] == CDK_CLI_VERSION  # the CLI ./dev and the synth step use
    builds = synth.template.find_resources("AWS::CodeBuild::Project")
    # Long buildspecs (the asset projects') are written as files next to the template.
    specs = json.dumps(
        [
            (Path(synth.assembly.directory) / spec).read_text() if str(spec).endswith(".yaml") else spec
            for spec in (b["Properties"]["Source"].get("BuildSpec") for b in builds.values())
        ]
    )
    assert f"npm install -g aws-cdk@{CDK_CLI_VERSION}" in specs  # self-mutation
    assert f"npm install -g cdk-assets@{CDK_ASSETS_CLI_VERSION}" in specs  # asset publishing
    assert "aws-cdk@latest" not in specs and "cdk-assets@latest" not in specs


def test_no_codebuild_start_build_on_every_project(synth) -> None:
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in synth.template.find_resources(kind).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(
                    a.startswith("codebuild:") and "Report" not in a and "Coverage" not in a and "TestCases" not in a
                    for a in actions
                ):
                    assert statement["Resource"] != "*", statement
    projects = synth.template.find_resources("AWS::CodeBuild::Project")
    asset_projects = [k for k in projects if "Assets" in k]
    assert asset_projects
    synth.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [asset_projects[0], "Arn"]}
                            if len(asset_projects) == 1
                            else [{"Fn::GetAtt": [p, "Arn"]} for p in asset_projects],
                        }
                    ]
                )
            }
        },
    )


def test_artifact_key_is_retained_with_its_bucket(synth) -> None:
    synth.template.has_resource(
        "AWS::S3::Bucket", {"DeletionPolicy": "Retain", "Properties": {"BucketEncryption": Match.any_value()}}
    )
    for key in synth.template.find_resources("AWS::KMS::Key").values():
        assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"


def test_pipeline_actions_are_validated_by_cfn_lint(synth) -> None:
    """No blanket skip of E3703 (pipeline action configuration): the role ARNs are Fn::Sub, which it accepts."""
    (pipeline,) = synth.template.find_resources("AWS::CodePipeline::Pipeline").values()
    ignored = pipeline.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
    assert "E3703" not in ignored
    roles = [
        a["Configuration"]["RoleArn"]
        for s in pipeline["Properties"]["Stages"]
        for a in s["Actions"]
        if "RoleArn" in a.get("Configuration", {})
    ]
    assert roles and all(list(r) == ["Fn::Sub"] and ":role/cdk-hnb659fds-cfn-exec-role-" in r["Fn::Sub"] for r in roles)


def test_each_stage_stack_targets_its_environment(synth) -> None:
    for environment in ENVIRONMENTS:
        stack = synth.stages[environment["name"]].ml_stack
        assert (stack.account, stack.region) == (environment["account"], environment["region"])
        assert stack.stack_name == f"customer-churn-ltv-{environment['name']}"
        artifact = synth.assembly.get_nested_assembly(synth.stages[environment["name"]].artifact_id).get_stack_by_name(
            stack.stack_name
        )
        assert (artifact.environment.account, artifact.environment.region) == (
            environment["account"],
            environment["region"],
        )


def test_parameter_overrides_reach_the_pipeline_definition(synth) -> None:
    for environment in ENVIRONMENTS:
        definition = _definition(Template.from_stack(synth.stages[environment["name"]].ml_stack))
        defaults = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
        for name, value in environment.get("parameters", {}).items():
            assert defaults[name] == value, (environment["name"], name)
    dev, prod = (_definition(Template.from_stack(synth.stages[n].ml_stack)) for n in ("dev", "prod"))
    assert {p["Name"]: p["DefaultValue"] for p in dev["Parameters"]}["ModelApprovalStatus"] == "Approved"
    assert {p["Name"]: p["DefaultValue"] for p in prod["Parameters"]}["TrainingInstanceType"] == "ml.m5.xlarge"


def _role_statement(stage: MlPipelineStage, sid: str) -> dict[str, Any]:
    template = Template.from_stack(stage.ml_stack)
    role_id = stage.ml_stack.get_logical_id(stage.ml_stack.execution_role.role.node.default_child)
    (statement,) = [
        s
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for p in template.find_resources(kind, {"Properties": {"Roles": [{"Ref": role_id}]}}).values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == sid
    ]
    return statement


def test_each_stage_role_allows_what_its_environment_deploys(synth) -> None:
    """Instance types and approval statuses: the environment's parameter defaults (and schedule), nothing else."""
    dev, prod = synth.stages["dev"], synth.stages["prod"]
    # dev's default registers Approved (cdk.json); prod is behind the approval: pending only, whatever is passed.
    assert _role_statement(dev, "SageMakerRegisterModelPackages")["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": ["Approved", "PendingManualApproval"]}
    }
    assert _role_statement(prod, "SageMakerRegisterModelPackages")["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval"]}
    }
    training = {
        name: _role_statement(synth.stages[name], "SageMakerTrainingJobCreate")["Condition"][
            "ForAllValues:StringEquals"
        ]["sagemaker:InstanceTypes"]
        for name in ("dev", "prod")
    }
    assert training == {"dev": ["ml.m5.large"], "prod": ["ml.m5.large", "ml.m5.xlarge"]}


def test_an_approved_default_behind_the_manual_approval_is_refused(tmp_path) -> None:
    environments = json.loads(json.dumps(ENVIRONMENTS))
    environments[-1]["parameters"]["ModelApprovalStatus"] = "Approved"
    app = cdk.App(context={**CONTEXT, "environments": environments}, outdir=str(tmp_path))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        with pytest.raises(ConfigError) as info:
            build_app(app)
    (problem,) = info.value.problems
    assert problem.format().startswith(
        "cdk.json: context.environments (prod).parameters: registers models as "
        "Approved in an environment behind a manual approval"
    )


def test_job_endpoints_reach_the_sandbox_and_every_stage(tmp_path) -> None:
    app = cdk.App(context={**CONTEXT, "jobEndpoints": ["Sts"]}, outdir=str(tmp_path))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        sandbox = build_app(app)
    (delivery,) = [c for c in app.node.children if isinstance(c, DeliveryStack)]
    for stack in [sandbox, *(stage.ml_stack for stage in delivery.stages)]:
        assert "Sts" in stack.network.interface_endpoints, stack.stack_name
        assert "SageMakerApi" not in stack.network.interface_endpoints


def test_schedule_only_where_configured(synth) -> None:
    for environment in ENVIRONMENTS:
        template = Template.from_stack(synth.stages[environment["name"]].ml_stack)
        schedule = environment.get("schedule")
        if schedule is None:
            template.resource_count_is("AWS::Events::Rule", 0)
        else:
            template.resource_count_is("AWS::Events::Rule", 1)
            template.has_resource_properties(
                "AWS::Events::Rule",
                {
                    "ScheduleExpression": schedule["expression"],
                    "State": "ENABLED" if schedule.get("enabled", True) else "DISABLED",
                    "Targets": [
                        Match.object_like(
                            {
                                "Arn": f"arn:aws:sagemaker:{environment['region']}:"
                                f"{environment['account']}:pipeline/customer-churn-ltv"
                            }
                        )
                    ],
                },
            )
    assert any(e.get("schedule") for e in ENVIRONMENTS) and any(not e.get("schedule") for e in ENVIRONMENTS)


def test_check_role_in_each_stage_trusts_only_the_check_and_only_describes(synth) -> None:
    tooling = DELIVERY["account"]
    for environment in ENVIRONMENTS:
        stage: MlPipelineStage = synth.stages[environment["name"]]
        template = Template.from_stack(stage.ml_stack)
        role_id = next(
            iter(template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": stage.check_role.role_name}}))
        )
        template.has_resource_properties(
            "AWS::IAM::Role",
            {
                "RoleName": stage.check_role.role_name,
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{tooling}:root"},
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": stage.check_role.principal_arn}},
                        }
                    ],
                },
            },
        )
        template.has_resource_properties(
            "AWS::IAM::Policy",
            {
                "Roles": [{"Ref": role_id}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DescribeThisPipeline",
                            "Action": "sagemaker:DescribePipeline",
                            "Effect": "Allow",
                            "Resource": f"arn:aws:sagemaker:{environment['region']}:{environment['account']}"
                            ":pipeline/customer-churn-ltv",
                        }
                    ],
                },
            },
        )
        template.has_output("DeployCheckRoleArn", {"Value": {"Fn::GetAtt": [role_id, "Arn"]}})
        template.has_output("PipelineName", {"Value": "customer-churn-ltv"})


# -- context errors -------------------------------------------------------------------------------------------


def _bad_environments(changes: dict[tuple[int, str], Any]) -> list[dict[str, Any]]:
    """The example's environments with ``{(index, key): value}`` set."""
    environments = json.loads(json.dumps(ENVIRONMENTS))
    for (index, key), value in changes.items():
        environments[index][key] = value
    return environments


@pytest.mark.parametrize(
    "environments, key_path, message",
    [
        (
            _bad_environments({(1, "account"): "22222222222"}),
            "context.environments[1].account",
            "invalid value '22222222222' (expected 12 digits)",
        ),
        (
            _bad_environments({(0, "parameters"): {"TrainingInstanceTyp": "ml.m5.large"}}),
            "context.environments[0].parameters.TrainingInstanceTyp",
            "unknown pipeline parameter 'TrainingInstanceTyp'",
        ),
        (
            _bad_environments({(1, "schedule"): {"expression": "daily"}}),
            "context.environments[1].schedule.expression",
            "invalid value 'daily'",
        ),
    ],
)
def test_from_context_reports_bad_context_before_building_anything(environments, key_path, message) -> None:
    from constructs_lib.config.loader import load_project
    from constructs_lib.graph.builder import build_graph

    project = load_project(None, cwd=ROOT, environ={})
    app = new_app(environments=environments)
    with pytest.raises(ConfigError) as caught:
        DeliveryStack.from_context(app, project=project, graph=build_graph(project))
    (problem,) = caught.value.problems
    assert (problem.file, problem.key_path) == ("cdk.json", key_path) and message in problem.message
    assert app.node.children == []


def test_app_prints_context_problems_and_exits_2(tmp_path) -> None:
    context = {**CONTEXT, "environments": _bad_environments({(1, "account"): "2222", (0, "regoin"): "x"})}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMP_", "AWS_"))}
    env.update(
        CDK_CONTEXT_JSON=json.dumps(context),
        CDK_OUTDIR=str(tmp_path / "out"),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines() == [
        "cdk.json: context.environments[0].regoin: unknown key (did you mean 'region'?)",
        "cdk.json: context.environments[1].account: invalid value '2222' (expected 12 digits) "
        "(the AWS account ID of this environment, in quotes)",
        "2 problem(s) found; nothing was synthesized.",
    ]


# -- external tools (slow) -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_files(synth, tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("delivery-templates")
    files = [write_template(synth.template.to_json(), out / "delivery.json")]
    for name, stage in synth.stages.items():
        files.append(write_template(Template.from_stack(stage.ml_stack).to_json(), out / f"stage-{name}.json"))
    return files


@pytest.mark.slow
def test_cfn_lint_is_clean_on_the_delivery_and_stage_templates(template_files) -> None:
    region = DELIVERY["region"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(
            zip(template_files, pool.map(lambda p: run_cfn_lint(p, regions=(region,)), template_files), strict=True)
        )
    assert {p.name: r for p, r in results.items() if r} == {}


@pytest.mark.slow
def test_checkov_is_clean_on_the_delivery_and_stage_templates(template_files) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(template_files, pool.map(run_checkov, template_files), strict=True))
    assert {p.name: r for p, r in results.items() if r} == {}
