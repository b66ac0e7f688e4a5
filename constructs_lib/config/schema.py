"""The model configuration file format, as frozen pydantic v2 models.

The format is the original dynamic-sagemaker-pipelines-framework's (``conf.models.<model>`` sections and one
``conf.sagemakerPipeline`` section), accepted as its examples write it, plus a few documented additions
(pipeline parameters, caching expiry, retries, a quality gate, a schedule). Unknown keys are refused. Every
field's docstring becomes its description in the JSON Schema (``python -m constructs_lib schema``).

Defaults are those of the original framework's README. Key names keep the original's spelling (``dataFiles``,
``ModelRepack``, ``max_runtime_seconds`` vs ``max_runtime_in_seconds``...) so existing files work unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from constructs_lib.config.references import PARAM_REF

# --------------------------------------------------------------------------------------------------------------
# Value types shared by the sections
# --------------------------------------------------------------------------------------------------------------


def _drop_blank(data: Any) -> Any:
    """The original's template writes ``key: ""`` for "not set": treat empty strings and nulls as absent."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if v is not None and v != ""}
    return data


def _int_or_param(low: int, high: int | None = None, *, param: bool = False) -> Callable[[Any], Any]:
    """A whole number in [low, high]; with ``param``, also a ``${params.Name}`` reference."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"must be a whole number, not {str(value).lower()}")
        if isinstance(value, str):
            if param and PARAM_REF.match(value.strip()):
                return value.strip()
            if re.fullmatch(r"\s*-?\d+\s*", value):
                value = int(value)
            else:
                allowed = " or a ${params.Name} reference" if param else ""
                raise ValueError(f"must be a whole number{allowed} (got {value!r})")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(f"must be a whole number (got {value!r})")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ValueError(f"must be {bound} (got {value})")
        return value

    return check


def _flexible_bool(value: Any) -> Any:
    """``True``/``False`` as YAML booleans or strings (the original writes ``ModelRepack: "False"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no"}:
        return value.strip().lower() in {"true", "yes"}
    raise ValueError(f"must be true or false (got {value!r})")


def _string(value: Any) -> Any:
    """Scalars YAML typed as numbers (``sourceName: 2024``) are accepted as their text."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise ValueError(f"must be a string (got {type(value).__name__ if value is not None else 'null'})")
    return str(value)


def _string_list(value: Any) -> Any:
    """A single string is a one-element list (``chain_input_source_step: A``)."""
    if isinstance(value, str):
        return [value]
    return value


Str = Annotated[str, BeforeValidator(_string, json_schema_input_type=str | int | float)]
Count = Annotated[
    int | str,
    BeforeValidator(
        _int_or_param(1, 100, param=True), json_schema_input_type=int | Annotated[str, Field(pattern=PARAM_REF.pattern)]
    ),
]
Seconds = Annotated[int, BeforeValidator(_int_or_param(1, 2_419_200))]
VolumeGb = Annotated[int, BeforeValidator(_int_or_param(1, 16_384))]
Bool = Annotated[
    bool,
    BeforeValidator(
        _flexible_bool, json_schema_input_type=bool | Literal["True", "False", "true", "false", "yes", "no"]
    ),
]
StrList = Annotated[list[Str], BeforeValidator(_string_list, json_schema_input_type=str | list[str])]


def _scalar_text(value: Any) -> Any:
    """SageMaker takes strings: ``DEBUG: false`` and ``WORKERS: 4`` are passed as ``"false"`` and ``"4"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a string or a finite number (got {value})")
    return _string(value)


#: An environment variable or tag value: any scalar, as its text.
ScalarText = Annotated[str, BeforeValidator(_scalar_text, json_schema_input_type=str | int | float | bool)]


def _tags(value: Any) -> Any:
    """Tags as a mapping ``{key: value}`` or as the AWS list form ``[{Key: k, Value: v}]``."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict) or set(item) != {"Key", "Value"}:
                raise ValueError(f"item {index} must be a mapping with exactly 'Key' and 'Value'")
            out[str(item["Key"])] = item["Value"]
        return out
    if isinstance(value, dict):
        return value
    raise ValueError("must be a mapping of tag names to values, or a list of {Key, Value}")


Tags = Annotated[
    dict[str, ScalarText],
    BeforeValidator(_tags, json_schema_input_type=dict[str, str | int | float | bool] | list[dict[str, str]]),
]


def _env(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of variable names to values")
    return value


Env = Annotated[
    dict[str, ScalarText], BeforeValidator(_env, json_schema_input_type=dict[str, str | int | float | bool])
]

InstanceType = Annotated[
    str, BeforeValidator(_string), Field(pattern=r"^(ml\.[a-z0-9]+\.[a-z0-9]+|\$\{params\.[A-Za-z][A-Za-z0-9_-]*\})$")
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        return _drop_blank(data)


# --------------------------------------------------------------------------------------------------------------
# Channels and data files
# --------------------------------------------------------------------------------------------------------------


class DataFile(_Section):
    """One input file or S3 prefix of a channel."""

    fileName: Str
    """Where the data is: an ``s3://`` URI (used as given; framework variables such as ``SMP_S3BUCKETNAME``
    allowed) or a path relative to the project root, which is uploaded to the artifact bucket at deploy time."""
    sourceName: Str | None = None
    """Name of the input inside the container: Processing inputs land in
    ``/opt/ml/processing/input/<sourceName>``. Default: the channel name, with ``-<index>`` for the 2nd, 3rd...
    file."""


class Channel(_Section):
    """A named channel: for Processing, the name of an output (``/opt/ml/processing/output/<channel>``) and
    the inputs feeding it; for Training, an input channel (``/opt/ml/input/data/<channel>``,
    ``SM_CHANNEL_<CHANNEL>``); for Transform and evaluate, which channel of a chained source to consume."""

    dataFiles: list[DataFile] | None = Field(default=None, min_length=1)
    """Input files of this channel. Omit it (or the whole channel body) to take the data from
    ``chain_input_source_step`` instead. An empty list is an error."""
    s3BucketName: Str | None = None
    """Bucket for this channel's results (Transform output, staged local files). Default: the artifact bucket."""


def _channels(value: Any) -> Any:
    """``channels: train`` (a bare name), ``channels: [a, b]`` and ``train:`` with no body all mean "a channel
    with no data files of its own" (its data comes from a chained step)."""
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {v: {} for v in value}
    if isinstance(value, dict):
        return {str(k): ({} if v is None else v) for k, v in value.items()}
    raise ValueError("must be a mapping of channel names to channel settings, or a channel name")


Channels = Annotated[
    dict[str, Channel], BeforeValidator(_channels, json_schema_input_type=dict[str, Channel | None] | str | list[str])
]

# --------------------------------------------------------------------------------------------------------------
# Model sections (conf.models.<model>.<section>)
# --------------------------------------------------------------------------------------------------------------


class ImageRef(_Section):
    """A SageMaker framework image named by framework and version, resolved for the deployment's region from the
    SageMaker SDK's own image tables (offline), e.g. ``{framework: sklearn, version: "1.2-1"}``."""

    framework: Str
    """Framework as the SageMaker SDK names it: ``sklearn``, ``tensorflow``, ``pytorch``, ``xgboost``, ``huggingface``..."""
    version: Str
    """Framework version, e.g. ``1.2-1`` (sklearn) or ``2.11.0`` (tensorflow)."""
    py_version: Str | None = None
    """Python version tag where the framework has several, e.g. ``py39``."""
    image_scope: Literal["training", "inference"] | None = None
    """Which image. Default: ``training`` for preprocess, train and evaluate; ``inference`` for transform and registry."""
    processor: Literal["cpu", "gpu"] | None = None
    """CPU or GPU image. Default: from ``instance_type`` (``cpu`` when it is a pipeline parameter)."""


Image = Annotated[Str | ImageRef, Field(union_mode="left_to_right")]


class _JobSection(_Section):
    image_uri: Image
    """Container image URI (ECR), in the deployment's region. Framework variables allowed:
    ``SMP_ACCOUNTID.dkr.ecr.SMP_REGION.amazonaws.com/...``. Or a short form resolved per region:
    ``{framework: sklearn, version: "1.2-1"}``."""
    base_job_name: Str | None = None
    """Prefix of the job name shown in the console. Default: SageMaker generates one from the step name."""
    instance_count: Count = 1
    """Number of instances (1-100), or ``${params.Name}`` of an Integer parameter."""
    instance_type: InstanceType = "ml.m5.2xlarge"
    """Instance type such as ``ml.m5.xlarge``, or ``${params.Name}`` of a String parameter."""
    tags: Tags = Field(default_factory=dict)
    """Tags for the job: ``{key: value}`` or ``[{Key: k, Value: v}]``."""
    env: Env = Field(default_factory=dict)
    """Environment variables set in the container."""
    network_isolation: Bool = False
    """Run the job with network isolation (``transform``: its model, CreateModel): its containers reach no
    network at all, not PyPI, not S3, not other AWS services; SageMaker still downloads the inputs and uploads the
    outputs. The execution role then requires it on the jobs of this kind. Needs ``wheelhouse/`` beside a
    ``requirements.txt``; not with ``transform.entry_point`` (the serving container downloads that code)."""


class ProcessingSection(_JobSection):
    """``preprocess`` (also spelled ``processing``): the data preparation Processing job."""

    entry_point: Str
    """Script run by the job, relative to ``source_directory`` (shipped with the whole directory, run as a module
    from it: ``python -m preprocess preprocess.py``)."""
    volume_size_in_gb: VolumeGb = 32
    """Size of the ML storage volume, in GB."""
    max_runtime_seconds: Seconds = 3000
    """Job timeout in seconds."""
    framework_version: Str = "0"
    """Kept for compatibility with the original; has no effect (``image_uri`` fixes the container)."""
    s3_data_distribution_type: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    """How inputs are spread over instances."""
    s3_data_type: Literal["S3Prefix", "ManifestFile"] = "S3Prefix"
    """Whether ``fileName`` is a prefix or a manifest file."""
    s3_input_mode: Literal["File", "Pipe"] = "File"
    """Whether inputs are downloaded before the script starts (File) or streamed (Pipe)."""
    s3_upload_mode: Literal["EndOfJob", "Continuous"] = "EndOfJob"
    """When outputs are uploaded to S3."""
    channels: Channels = Field(default_factory=dict)
    """Output channels of the job and their input files. Each channel's output is taken from
    ``/opt/ml/processing/output/<channel>``."""


class TrainingSection(_JobSection):
    """``train``: the Training job (script mode: the framework container runs ``entry_point``)."""

    entry_point: Str
    """Training script, relative to ``source_directory``."""
    volume_size_in_gb: VolumeGb = 32
    """Size of the ML storage volume, in GB."""
    max_runtime_seconds: Seconds = 3000
    """Job timeout in seconds."""
    hyperparams: dict[str, Str] = Field(default_factory=dict)
    """Hyperparameters passed to the script as ``--name value`` arguments."""
    model_data_uri: Str | None = None
    """S3 URI of existing model artifacts (``model.tar.gz``). Lets CreateModel/RegisterModel work in a
    modeling unit that has no Training step."""
    channels: Channels = Field(default_factory=dict)
    """Input channels: each channel's files land in ``/opt/ml/input/data/<channel>`` (``SM_CHANNEL_<NAME>``).
    Channels of chained steps are added to these."""


class ParameterRange(_Section):
    """The search range of one tuned hyperparameter."""

    type: Literal["Continuous", "Integer", "Categorical"]
    """Continuous (any number between the bounds), Integer (whole numbers between them) or Categorical (one of
    ``values``)."""
    min_value: float | None = Field(default=None, allow_inf_nan=False)
    """Lower bound (Continuous and Integer)."""
    max_value: float | None = Field(default=None, allow_inf_nan=False)
    """Upper bound (Continuous and Integer)."""
    values: StrList | None = Field(default=None, min_length=1, max_length=30)
    """The values to try (Categorical; at most 30)."""
    scaling: Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"] = "Auto"
    """How the range is searched (Continuous and Integer). ``Logarithmic`` needs a range above 0,
    ``ReverseLogarithmic`` one within [0, 1)."""

    @model_validator(mode="after")
    def _fits_type(self) -> ParameterRange:
        if self.type == "Categorical":
            if not self.values:
                raise ValueError("a Categorical range needs 'values'")
            if self.min_value is not None or self.max_value is not None:
                raise ValueError("a Categorical range takes 'values', not min_value/max_value")
            return self
        if self.min_value is None or self.max_value is None:
            raise ValueError(f"a {self.type} range needs min_value and max_value")
        if self.values is not None:
            raise ValueError(f"a {self.type} range takes min_value/max_value, not 'values'")
        if self.type == "Integer" and not (self.min_value.is_integer() and self.max_value.is_integer()):
            raise ValueError("an Integer range needs whole-number bounds")
        if self.min_value > self.max_value:
            raise ValueError(f"min_value {self.min_value:g} is above max_value {self.max_value:g}")
        if self.scaling == "Logarithmic" and self.min_value <= 0:
            raise ValueError("Logarithmic scaling needs min_value > 0")
        if self.scaling == "ReverseLogarithmic" and not (self.min_value >= 0 and self.max_value < 1):
            raise ValueError("ReverseLogarithmic scaling needs 0 <= min_value and max_value < 1")
        return self


class TuneSection(_Section):
    """``tune``: the Tuning step, a hyperparameter tuning job over the unit's ``train`` job (its image, entry
    point, source directory, channels and fixed ``hyperparams``). Its best training job's model is the unit's
    model, as a Training step's would be."""

    objective_metric_name: Str = Field(max_length=255)
    """Name of the metric the tuning job optimises, e.g. ``validation:auc``."""
    objective_metric_regex: Str = Field(max_length=500)
    """Regular expression with one group that finds the metric's value in the training script's log, e.g.
    ``validation-auc: ([0-9.]+)``."""
    objective_type: Literal["Maximize", "Minimize"] = "Maximize"
    """Whether a larger or a smaller metric is better."""
    strategy: Literal["Bayesian", "Random", "Grid", "Hyperband"] = "Bayesian"
    """Search strategy. ``Grid`` takes Categorical ranges only; ``Hyperband`` does its own early stopping."""
    ranges: dict[str, ParameterRange] = Field(min_length=1, max_length=30)
    """Tuned hyperparameters and their ranges (passed to the script as ``--name value`` like ``train.hyperparams``,
    which keeps the others fixed)."""
    max_jobs: Annotated[int, BeforeValidator(_int_or_param(1, 500))] = 4
    """Training jobs in total."""
    max_parallel_jobs: Annotated[int, BeforeValidator(_int_or_param(1, 100))] = 1
    """Training jobs at once."""
    early_stopping: Literal["Off", "Auto"] = "Off"
    """``Auto``: SageMaker stops training jobs unlikely to beat the best so far."""
    max_runtime_seconds: Annotated[int, BeforeValidator(_int_or_param(120, 15_768_000))] | None = None
    """Timeout of the whole tuning job (120 s to 6 months). Default: none (each training job has
    ``train.max_runtime_seconds``)."""


class TransformSection(_JobSection):
    """``transform``: the batch Transform job that scores test data with the unit's model."""

    entry_point: Str | None = None
    """Inference script (``model_fn``/``predict_fn``...), relative to ``source_directory``; set as the model's
    ``SAGEMAKER_PROGRAM``. Default: the serving container's own handler."""
    base_job_name: Str = "default-transform-job-name"
    """Prefix of the transform job name."""
    strategy: Literal["MultiRecord", "SingleRecord"] | None = None
    """Records per request. Default: SageMaker's (MultiRecord)."""
    assemble_with: Literal["Line", "None"] | None = None
    """How output records are joined. Default: SageMaker's (None)."""
    join_source: Literal["Input", "None"] | None = None
    """Join the input record to the prediction. Default: no join."""
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] | None = None
    """How the input is split into records. Default: not split."""
    content_type: Str = "text/csv"
    """MIME type of the input data."""
    max_payload: Annotated[int, BeforeValidator(_int_or_param(0, 100))] | None = None
    """Maximum request size in MB. Default: SageMaker's (6)."""
    volume_size: VolumeGb = 50
    """Kept from the original's README; SageMaker transform jobs have no volume size setting, so it has no
    effect (a warning says so when it is set)."""
    max_runtime_in_seconds: Annotated[int, BeforeValidator(_int_or_param(1, 3600))] = 3600
    """Timeout of each invocation of the model (``ModelClientConfig.InvocationsTimeoutInSeconds``, 1-3600)."""
    input_filter: Str | None = None
    """JSONPath selecting the part of each input record sent to the model."""
    output_filter: Str | None = None
    """JSONPath selecting the part of the joined record written out."""
    channels: Channels = Field(default_factory=dict)
    """At most one channel with at most one data file: the input to score (or, without data files, which
    channel of the chained source to use). ``s3BucketName`` sets the bucket of the results."""


class EvaluateSection(_JobSection):
    """``evaluate``: the Processing job of a Metrics step that writes the model quality report."""

    entry_point: Str
    """Evaluation script, relative to ``source_directory``. It must write
    ``/opt/ml/processing/output/model_evaluation_metrics.json``."""
    strategy: Literal["MultiRecord", "SingleRecord"] = "SingleRecord"
    """Kept from the original's README; a Processing job has no strategy, so it has no effect."""
    max_payload: Annotated[int, BeforeValidator(_int_or_param(0, 100))] | None = None
    """Kept from the original's README; a Processing job has no payload limit, so it has no effect."""
    volume_size_in_gb: VolumeGb = 50
    """Size of the ML storage volume, in GB."""
    max_runtime_in_seconds: Seconds = 3600
    """Job timeout in seconds."""
    s3_data_distribution_type: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    """How inputs are spread over instances."""
    s3_data_type: Literal["S3Prefix", "ManifestFile"] = "S3Prefix"
    """Whether ``fileName`` is a prefix or a manifest file."""
    s3_input_mode: Literal["File", "Pipe"] = "File"
    """Whether inputs are downloaded (File) or streamed (Pipe)."""
    content_type: Str = "application/json"
    """MIME type of the metrics report registered with the model."""
    channels: Channels = Field(default_factory=dict)
    """At most one channel with at most one data file (inputs land in ``/opt/ml/processing/input/<sourceName>``);
    without data files, names the channel of a chained Processing step to read."""


class InferenceSpecification(_Section):
    """How the registered model is served."""

    image_uri: Image
    """Serving container image URI (or the short form ``{framework: ..., version: ...}``)."""
    supported_content_types: StrList = Field(min_length=1)
    """Input MIME types the model accepts."""
    supported_response_MIME_types: StrList = Field(min_length=1)
    """Output MIME types the model produces."""
    approval_status: (
        Literal["PendingManualApproval", "Approved", "Rejected"] | Annotated[str, Field(pattern=PARAM_REF.pattern)]
    ) = "PendingManualApproval"
    """Initial approval status of the model package, or ``${params.Name}`` of a String parameter."""
    supported_transform_instance_types: StrList = Field(default_factory=list)
    """Instance types for batch transform with this model. Default: none listed."""
    supported_realtime_inference_instance_types: StrList = Field(default_factory=list)
    """Instance types for real-time endpoints with this model. Default: none listed."""


class QualityGate(_Section):
    """Register the model only if a metric of the Metrics report passes a threshold; otherwise the pipeline
    stops with a Fail step that says which value failed."""

    metric: Str = Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+|\[\d+\])*$")
    """JSON path of the metric in ``model_evaluation_metrics.json``, e.g.
    ``binary_classification_metrics.accuracy.value``."""
    operator: Literal[">=", ">", "<=", "<", "=="] = ">="
    """How the metric is compared with ``threshold``."""
    threshold: float = Field(allow_inf_nan=False)
    """The value the metric is compared with."""


class RegistrySection(_Section):
    """``registry``: registering the trained model in the SageMaker Model Registry."""

    InferenceSpecification: InferenceSpecification
    """Serving image, content types and approval status of the model package."""
    ModelRepack: Bool = False
    """Kept for compatibility with the original; has no effect: the Transform section's ``entry_point`` (and
    ``source_directory``) is always the model's serving code (``SAGEMAKER_PROGRAM``/``SAGEMAKER_SUBMIT_DIRECTORY``,
    ``SAGEMAKER_REQUIREMENTS``), so that the model package deploys as it is. ``"False"``/``false`` both work."""
    env: Env = Field(default_factory=dict)
    """Environment variables of the serving container of the registered model (and of the CreateModel step's
    model, under ``transform.env``)."""
    ModelPackageDescription: Str | None = None
    """Description of the model package."""
    ModelPackageGroupName: Str | None = Field(
        default=None, max_length=63, pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
    )
    """Model package group. Default: ``<pipelineName>-<model>``. The stack creates the group."""
    quality_gate: QualityGate | None = None
    """Optional condition on the Metrics report that must hold for the model to be registered."""


class ModelConfig(_Section):
    """``conf.models.<model>``: one modeling unit (up to six steps that train and register one model)."""

    source_directory: Str
    """Directory with the unit's scripts, relative to the project root (where ``cdk``/``python -m
    constructs_lib`` runs). ``entry_point`` paths are relative to it; it is packed as the training source."""
    preprocess: ProcessingSection | None = None
    """Settings of the preprocessing job (``step_class: Processing``, ``step_type: preprocess``).
    ``processing`` is accepted as another name of this section."""
    train: TrainingSection | None = None
    """Settings of the Training job (also the training job definition of the Tuning step)."""
    tune: TuneSection | None = None
    """Settings of the Tuning step (hyperparameter tuning of the ``train`` job)."""
    transform: TransformSection | None = None
    """Settings of the batch Transform job; its ``image_uri``/``entry_point`` also make the CreateModel step's model."""
    evaluate: EvaluateSection | None = None
    """Settings of the Metrics step's Processing job."""
    registry: RegistrySection | None = None
    """Settings of the RegisterModel step."""

    @model_validator(mode="before")
    @classmethod
    def _processing_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "processing" in data:
            if "preprocess" in data:
                raise ValueError("both 'preprocess' and 'processing' are given: they name the same section, keep one")
            data = {("preprocess" if k == "processing" else k): v for k, v in data.items()}
        return data


# --------------------------------------------------------------------------------------------------------------
# The pipeline section (conf.sagemakerPipeline)
# --------------------------------------------------------------------------------------------------------------


class StepClass(str, Enum):
    """Kinds of steps. Names are matched case-insensitively; what each kind is: :mod:`constructs_lib.config.kinds`."""

    PROCESSING = "Processing"
    TRAINING = "Training"
    TUNING = "Tuning"
    CREATE_MODEL = "CreateModel"
    TRANSFORM = "Transform"
    METRICS = "Metrics"
    REGISTER_MODEL = "RegisterModel"


RETRYABLE = (
    "Step.SERVICE_FAULT",
    "Step.THROTTLING",
    "SageMaker.JOB_INTERNAL_ERROR",
    "SageMaker.CAPACITY_ERROR",
    "SageMaker.RESOURCE_LIMIT",
)


class RetryPolicy(_Section):
    """Retry a failed step (SageMaker Pipelines retry policies)."""

    max_attempts: Annotated[int, BeforeValidator(_int_or_param(1, 20))] = 3
    """Attempts in total, 1-20."""
    interval_seconds: Annotated[int, BeforeValidator(_int_or_param(1, 3600))] = 10
    """Wait before the first retry."""
    backoff_rate: float = Field(default=2.0, ge=1.0, le=10.0, allow_inf_nan=False)
    """Multiplier of the wait between retries."""
    on: list[Literal[RETRYABLE]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [
            "Step.SERVICE_FAULT",
            "Step.THROTTLING",
            "SageMaker.JOB_INTERNAL_ERROR",
            "SageMaker.CAPACITY_ERROR",
        ],
        min_length=1,
    )
    """Failure kinds that are retried. ``SageMaker.*`` kinds apply to job steps only."""


STEP_NAME = r"^[A-Za-z0-9\-_]{1,64}$"


class StepConfig(_Section):
    """One step of a modeling unit in ``sagemakerPipeline.models.<model>.steps``."""

    step_name: Str = Field(max_length=64, pattern=STEP_NAME)
    """Step name shown in the pipeline graph (letters, digits, ``-``, ``_``; at most 64). Unique in the pipeline."""
    step_class: Str
    """One of Processing, Training, Tuning (also ``HyperparameterTuning``), CreateModel, Transform, Metrics,
    RegisterModel (any letter case)."""
    step_type: Str | None = None
    """Required (``preprocess``) for Processing steps; optional elsewhere, and then it must fit the class
    (``train`` for Training...)."""
    enable_cache: Bool = False
    """Reuse the result of an earlier execution with the same arguments (for ``cache_expire_after``)."""
    chain_input_source_step: StrList = Field(default_factory=list)
    """Steps whose outputs become inputs of this step: Processing outputs, Training model artifacts,
    Transform results. A Transform step takes exactly one source."""
    chain_input_additional_prefix: Str | None = None
    """Transform only: path appended to the source's output to pinpoint the input file (e.g.
    ``test/x_test.csv``)."""
    retry: RetryPolicy | None = None
    """Retry policy of this step. Default: the pipeline's ``retry``, else no retries."""

    @field_validator("step_type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ModelSteps(_Section):
    """The steps of one modeling unit."""

    steps: list[StepConfig] = Field(min_length=1)
    """The unit's steps, in any order (data flow and ``dependencies`` order them)."""


def value_fits(parameter_type: str, value: Any) -> bool:
    """Whether ``value`` (as YAML/JSON gives it) is a value of a pipeline parameter of ``parameter_type``."""
    if isinstance(value, bool):
        return parameter_type == "Boolean"
    return {
        "String": isinstance(value, str),
        "Integer": isinstance(value, int),
        "Float": isinstance(value, (int, float)),
        "Boolean": False,
    }[parameter_type]


class Parameter(_Section):
    """A runtime pipeline parameter: referenced as ``${params.<name>}`` in config values; each execution
    (or the schedule) may override its default."""

    name: Str = Field(max_length=256, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,255}$")
    """Parameter name."""
    type: Literal["String", "Integer", "Float", "Boolean"] = "String"
    """Parameter type."""
    default: Any = None
    """Default value (required: executions started without a value use it)."""

    @field_validator("default")
    @classmethod
    def _default_fits(cls, value: Any, info: ValidationInfo) -> Any:
        """Checked here rather than on the whole parameter, so that the message points at ``default``."""
        kind, name = info.data.get("type"), info.data.get("name", "?")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(
                f"default {value} of parameter '{name}' is not a finite number "
                "(the pipeline definition is JSON, which has no NaN or Infinity)"
            )
        if kind is not None and value is not None and not value_fits(kind, value):
            raise ValueError(f"default {value!r} of parameter '{name}' is not a {kind}")
        return value

    @model_validator(mode="after")
    def _has_default(self) -> Parameter:
        if self.default is None:
            raise ValueError(f"parameter '{self.name}' needs a default")
        return self


class Schedule(_Section):
    """Start executions on a schedule (EventBridge rule)."""

    expression: Str = Field(
        pattern=r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$"
    )
    """``rate(1 day)`` or ``cron(0 3 * * ? *)`` (EventBridge syntax, UTC)."""
    parameters: dict[str, Str] = Field(default_factory=dict)
    """Parameter values for scheduled executions (names from ``parameters``)."""
    enabled: Bool = True
    """Create the rule disabled when false."""


class PipelineConfig(_Section):
    """``conf.sagemakerPipeline``: the pipeline and how its steps are ordered. Exactly one file (the anchor
    model's) holds it."""

    pipelineName: Str = Field(max_length=256, pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
    """Name of the SageMaker pipeline (letters, digits and hyphens)."""
    models: dict[str, ModelSteps] = Field(min_length=1)
    """Modeling units in the pipeline; each name must be a model under ``conf.models``."""
    dependencies: list[Str] = Field(default_factory=list)
    """Extra ordering in Airflow notation: ``A >> B >> C`` or ``A >> [B, C]``. With none, data flow alone
    orders the steps."""
    description: Str | None = Field(default=None, max_length=3072)
    """Description of the pipeline."""
    parameters: list[Parameter] = Field(default_factory=list)
    """Runtime parameters (name, type, default) usable as ``${params.Name}`` in values."""
    cache_expire_after: Str = Field(default="P30D", pattern=r"^P((\d+[YMWD])+(T(\d+[HMS])+)?|T(\d+[HMS])+)$")
    """How long a cached step result is reused (ISO 8601 duration) for steps with ``enable_cache``."""
    max_parallel_execution_steps: Annotated[int, BeforeValidator(_int_or_param(1, 1000))] = 50
    """At most this many steps run at once."""
    retry: RetryPolicy | None = None
    """Default retry policy of every step. Default: no retries."""
    tags: Tags = Field(default_factory=dict)
    """Tags on the pipeline and the resources the stack creates."""
    schedule: Schedule | None = None
    """Start executions on a schedule. Default: no schedule."""


# --------------------------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------------------------


class NetworkSecurity(_Section):
    """Framework settings of the original's ``framework/conf/conf.yaml``."""

    subnets: Str | None = None
    """Comma-separated subnet ids (or ``SMP_SUBNETS``)."""
    security_groups_id: Str | None = None
    """Comma-separated security group ids (or ``SMP_SECURITYGROUPS``)."""
    role: Str | None = None
    """Execution role ARN (or ``SMP_ROLE``)."""
    kms_key: Str | None = None
    """KMS key id/ARN for volumes and outputs (or ``SMP_KMSKEY``)."""


class Conf(_Section):
    """The ``conf`` mapping of a config file."""

    models: dict[str, ModelConfig] = Field(default_factory=dict)
    """Modeling units defined in this file, merged with those of the other files."""
    sagemakerPipeline: PipelineConfig | None = None
    """The pipeline (only in the anchor file)."""
    s3Bucket: Str | None = None
    """Framework setting: an existing artifact bucket (or ``SMP_S3BUCKETNAME``). Default: the stack creates one."""
    modelConfigFilePath: Str | None = None
    """Framework setting of the original, informational: the glob of model config files."""
    sagemakerNetworkSecurity: NetworkSecurity | None = None
    """Framework settings: existing subnets, security groups, role, KMS key. Default: the stack creates them."""


class ConfigFile(_Section):
    """A model configuration file (``model_repos/<model>/conf/conf.yaml``)."""

    conf: Conf
    """Everything lives under ``conf``."""
