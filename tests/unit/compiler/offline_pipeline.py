"""One modeling unit with every step kind, built offline with SageMaker SDK v3.

This is the executable reference behind ``docs/sdk-v3-notes.md``: Processing (preprocess), Training,
CreateModel, Transform, Processing (metrics, with a property file), and a Condition step that registers
the model or fails. Every knob the compiler needs is set once, with pipeline parameters where they are
allowed. Tests build it (one unit, or many for timing) and check the definition against the API contract.
"""

from __future__ import annotations

from collections.abc import Mapping

# First: sets the environment, applies the patches and imports the SDK with its side effects contained.
from constructs_lib.compiler.session import offline_session

# isort: split

from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.network import NetworkConfig
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import (
    Channel,
    DataSource,
    ProcessingInput,
    ProcessingOutput,
    ProcessingS3Input,
    ProcessingS3Output,
    S3DataSource,
)
from sagemaker.core.training.configs import (
    Compute,
    InputData,
    Networking,
    OutputDataConfig,
    StoppingCondition,
)
from sagemaker.core.transformer import Transformer
from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import (
    Parameter,
    ParameterBoolean,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.retry import (
    SageMakerJobExceptionTypeEnum,
    SageMakerJobStepRetryPolicy,
    StepExceptionTypeEnum,
    StepRetryPolicy,
)
from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, Step, TrainingStep, TransformStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.model_trainer import ModelTrainer

REGION = "us-east-1"
BUCKET = "example-artifacts"
ROLE = "arn:aws:iam::111122223333:role/example-sagemaker-execution"
KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/example-sklearn:1.2-1"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
SECURITY_GROUPS = ["sg-0123456789abcdef0"]


def pipeline_parameters() -> dict[str, Parameter]:
    """The pipeline parameters, one of each type."""
    return {
        "instance_type": ParameterString("ProcessingInstanceType", default_value="ml.m5.xlarge"),
        "instance_count": ParameterInteger("ProcessingInstanceCount", default_value=1),
        "input_data": ParameterString("InputDataUri", default_value=f"s3://{BUCKET}/data/raw"),
        "approval": ParameterString(
            "ModelApprovalStatus",
            default_value="PendingManualApproval",
            enum_values=["PendingManualApproval", "Approved"],
        ),
        "threshold": ParameterFloat("MinAccuracy", default_value=0.7),
        "isolate": ParameterBoolean("NetworkIsolation", default_value=False),
    }


def build_unit(session: PipelineSession, params: Mapping[str, Parameter], unit: str) -> list[Step]:
    """The steps of one modeling unit named ``unit`` (top-level steps; Register/Fail sit in the Condition)."""
    cache = CacheConfig(enable_caching=True, expire_after="P30D")
    job_retries = [
        StepRetryPolicy(
            exception_types=[StepExceptionTypeEnum.THROTTLING],
            max_attempts=3,
            interval_seconds=5,
            backoff_rate=2.0,
        ),
        SageMakerJobStepRetryPolicy(
            exception_types=[SageMakerJobExceptionTypeEnum.CAPACITY_ERROR],
            max_attempts=2,
            interval_seconds=60,
        ),
    ]
    code = f"s3://{BUCKET}/code/{unit}"

    processing_network = NetworkConfig(
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
        encrypt_inter_container_traffic=True,
        enable_network_isolation=params["isolate"],
    )
    preprocessor = ScriptProcessor(
        role=ROLE,
        image_uri=IMAGE,
        command=["python3"],
        instance_type=params["instance_type"],
        instance_count=params["instance_count"],
        volume_size_in_gb=50,
        volume_kms_key=KMS_KEY,
        output_kms_key=KMS_KEY,
        max_runtime_in_seconds=3600,
        network_config=processing_network,
        env={"UNIT": unit},
        base_job_name=f"{unit}-preprocess",
        sagemaker_session=session,
    )
    preprocess = ProcessingStep(
        name=f"{unit}-Preprocess",
        cache_config=cache,
        retry_policies=job_retries,
        step_args=preprocessor.run(
            code=f"{code}/preprocess.py",  # the basename becomes the entrypoint: keep the real file name
            inputs=[
                ProcessingInput(
                    input_name="raw",
                    s3_input=ProcessingS3Input(
                        s3_uri=params["input_data"],
                        local_path="/opt/ml/processing/input/raw",
                        s3_data_type="S3Prefix",
                        s3_input_mode="File",
                        s3_data_distribution_type="FullyReplicated",
                    ),
                )
            ],
            outputs=[
                ProcessingOutput(
                    output_name=channel,
                    s3_output=ProcessingS3Output(
                        # per execution, so a run never reads an older run's data
                        s3_uri=Join(
                            on="/",
                            values=[
                                f"s3://{BUCKET}/{unit}",
                                ExecutionVariables.PIPELINE_EXECUTION_ID,
                                channel,
                            ],
                        ),
                        local_path=f"/opt/ml/processing/output/{channel}",
                        s3_upload_mode="EndOfJob",
                    ),
                )
                for channel in ("train", "test")
            ],
            arguments=["--unit", unit],
        ),
    )

    trainer = ModelTrainer(
        training_image=IMAGE,
        role=ROLE,
        sagemaker_session=session,
        base_job_name=f"{unit}-train",
        compute=Compute(
            instance_type="ml.m5.xlarge", instance_count=1, volume_size_in_gb=30, volume_kms_key_id=KMS_KEY
        ),
        networking=Networking(
            subnets=SUBNETS,
            security_group_ids=SECURITY_GROUPS,
            enable_inter_container_traffic_encryption=True,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=7200),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/{unit}/model", kms_key_id=KMS_KEY),
        # Script mode without the SDK's upload: the container's training toolkit reads these two.
        hyperparameters={
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": f"{code}/sourcedir.tar.gz",
            "epochs": 5,
        },
        environment={"UNIT": unit},
    )
    train = TrainingStep(
        name=f"{unit}-Train",
        cache_config=cache,
        retry_policies=job_retries,
        step_args=trainer.train(
            input_data_config=[
                Channel(
                    channel_name="train",
                    input_mode="File",
                    content_type="text/csv",
                    data_source=DataSource(
                        s3_data_source=S3DataSource(
                            s3_data_type="S3Prefix",
                            s3_data_distribution_type="FullyReplicated",
                            s3_uri=preprocess.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri,
                        )
                    ),
                ),
                InputData(channel_name="reference", data_source=f"s3://{BUCKET}/reference/"),
            ]
        ),
    )
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts

    create_model = ModelStep(
        name=f"{unit}-CreateModel",
        retry_policies=[job_retries[0]],
        step_args=ModelBuilder(
            image_uri=IMAGE,
            s3_model_data_url=model_data,
            role_arn=ROLE,
            sagemaker_session=session,
            network=Networking(subnets=SUBNETS, security_group_ids=SECURITY_GROUPS),
            env_vars={"SAGEMAKER_PROGRAM": "inference.py"},
            dependencies={},
            log_level=None,
        ).build(),
    )

    transformer = Transformer(
        model_name=create_model.properties.ModelName,
        instance_type="ml.m5.xlarge",
        instance_count=1,
        output_path=f"s3://{BUCKET}/{unit}/transform",
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
        max_payload=6,
        max_concurrent_transforms=2,
        env={"UNIT": unit},
        output_kms_key=KMS_KEY,
        volume_kms_key=KMS_KEY,
        base_transform_job_name=f"{unit}-transform",  # without it the SDK calls DescribeModel
        sagemaker_session=session,
    )
    transform = TransformStep(
        name=f"{unit}-Transform",
        cache_config=cache,
        retry_policies=job_retries,
        step_args=transformer.transform(
            data=Join(
                on="/",
                values=[
                    preprocess.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri,
                    "x_test.csv",
                ],
            ),
            data_type="S3Prefix",
            content_type="text/csv",
            split_type="Line",
            input_filter="$[1:]",
            join_source="None",
            output_filter="$",
            model_client_config={"InvocationsTimeoutInSeconds": 600, "InvocationsMaxRetries": 1},
        ),
    )

    report = PropertyFile(name=f"{unit}-EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluator = ScriptProcessor(
        role=ROLE,
        image_uri=IMAGE,
        command=["python3"],
        instance_type="ml.m5.xlarge",
        instance_count=1,
        volume_kms_key=KMS_KEY,
        output_kms_key=KMS_KEY,
        network_config=processing_network,
        base_job_name=f"{unit}-evaluate",
        sagemaker_session=session,
    )
    metrics = ProcessingStep(
        name=f"{unit}-Metrics",
        cache_config=cache,
        property_files=[report],
        step_args=evaluator.run(
            code=f"{code}/evaluate.py",
            inputs=[
                ProcessingInput(
                    input_name="predictions",
                    s3_input=ProcessingS3Input(
                        s3_uri=transform.properties.TransformOutput.S3OutputPath,
                        local_path="/opt/ml/processing/input/predictions",
                        s3_data_type="S3Prefix",
                        s3_input_mode="File",
                    ),
                )
            ],
            outputs=[
                ProcessingOutput(
                    output_name="evaluation",
                    s3_output=ProcessingS3Output(
                        s3_uri=f"s3://{BUCKET}/{unit}/evaluation",
                        local_path="/opt/ml/processing/output/evaluation",
                        s3_upload_mode="EndOfJob",
                    ),
                )
            ],
        ),
    )
    evaluation_uri = metrics.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri

    register = ModelStep(
        name=f"{unit}-Register",
        step_args=ModelBuilder(
            image_uri=IMAGE,
            s3_model_data_url=model_data,
            role_arn=ROLE,
            sagemaker_session=session,
            dependencies={},
            log_level=None,
        ).register(
            model_package_group_name=f"{unit}-models",
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.m5.xlarge"],
            transform_instances=["ml.m5.xlarge"],
            approval_status=params["approval"],
            model_metrics=ModelMetrics(
                model_statistics=MetricsSource(
                    content_type="application/json",
                    s3_uri=Join(on="/", values=[evaluation_uri, "evaluation.json"]),
                )
            ),
        ),
    )
    fail = FailStep(
        name=f"{unit}-AccuracyTooLow",
        error_message=Join(on=" ", values=["accuracy below", params["threshold"]]),
    )
    check = ConditionStep(
        name=f"{unit}-CheckAccuracy",
        conditions=[
            ConditionGreaterThanOrEqualTo(
                left=JsonGet(step_name=metrics.name, property_file=report, json_path="metrics.accuracy.value"),
                right=params["threshold"],
            )
        ],
        if_steps=[register],
        else_steps=[fail],
    )
    return [preprocess, train, create_model, transform, metrics, check]


def build_pipeline(units: int = 1, *, region: str = REGION, bucket: str = BUCKET) -> Pipeline:
    """A pipeline of ``units`` modeling units, on the cached offline session for ``region``/``bucket``."""
    session = offline_session(region, bucket)
    params = pipeline_parameters()
    steps = [step for index in range(units) for step in build_unit(session, params, f"m{index}")]
    return Pipeline(name="offline-example", parameters=list(params.values()), steps=steps, sagemaker_session=session)
