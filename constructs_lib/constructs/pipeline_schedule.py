"""``PipelineSchedule``: an EventBridge rule that starts a SageMaker pipeline on a schedule.

``aws_events_targets`` has no SageMaker pipeline target, so the rule is an L1 ``CfnRule`` with
``SageMakerPipelineParameters``; its role may start exactly this pipeline and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

_EXPRESSION = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$")


class PipelineSchedule(Construct):
    """Start ``pipeline`` on ``expression`` (EventBridge ``rate(...)``/``cron(...)``, UTC).

    :param pipeline: any ``aws_sagemaker.IPipeline`` (e.g. a ``DynamicPipelineConstruct``); the rule's role gets
        its ``grant_start_pipeline_execution``.
    :param pipeline_arn: instead of ``pipeline``: the ARN of a pipeline (the role may start exactly that one).

    :param parameters: pipeline parameter values for the scheduled executions. Default: the defaults.
    :param enabled: create the rule enabled. Default: True.
    :param description: default: names the pipeline.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: sagemaker.IPipeline | None = None,
        pipeline_arn: str | None = None,
        expression: str,
        parameters: Mapping[str, str] | None = None,
        enabled: bool = True,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        errors = []
        if (pipeline is None) == (pipeline_arn is None):
            errors.append("Either provide pipeline or pipeline_arn, not both (one is required)")
        if not _EXPRESSION.match(expression):
            errors.append(f"invalid schedule expression {expression!r}: use rate(1 day) or cron(0 3 * * ? *)")
        if errors:
            raise ValueError("Invalid PipelineSchedule props:\n  - " + "\n  - ".join(errors))
        self._role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Lets EventBridge start the scheduled SageMaker pipeline",
        )
        if pipeline is not None:
            pipeline.grant_start_pipeline_execution(self._role)
            pipeline_arn = pipeline.pipeline_arn
        else:
            assert pipeline_arn is not None  # checked above
            iam.Grant.add_to_principal(
                grantee=self._role, actions=["sagemaker:StartPipelineExecution"], resource_arns=[pipeline_arn]
            )
        target = events.CfnRule.TargetProperty(
            arn=pipeline_arn,
            id="Pipeline",
            role_arn=self._role.role_arn,
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=3, maximum_event_age_in_seconds=3600
            ),
            sage_maker_pipeline_parameters=events.CfnRule.SageMakerPipelineParametersProperty(
                pipeline_parameter_list=[
                    events.CfnRule.SageMakerPipelineParameterProperty(name=k, value=str(v))
                    for k, v in sorted((parameters or {}).items())
                ]
            )
            if parameters
            else None,
        )
        self._rule = events.CfnRule(
            self,
            "Resource",
            schedule_expression=expression,
            state="ENABLED" if enabled else "DISABLED",
            description=description or f"Starts {cdk.Stack.of(self).stack_name}'s SageMaker pipeline",
            targets=[target],
        )

    @property
    def rule(self) -> events.CfnRule:
        return self._rule

    @property
    def role(self) -> iam.IRole:
        return self._role
