"""Step kinds: one declaration per step class, read by every layer (no SageMaker SDK, no CDK import).

What a step class is configured by, what it produces and consumes, how it is wired inside its modeling unit,
whether it can be cached or retried, which definition step types and SageMaker API calls it emits, which IAM
permissions those need, and which module builds it. Config (step_type values), graph (sections, chaining,
implicit edges, rules), compiler (builders, outputs, images), the API contract checker, the limits check and
the execution role all read :data:`KINDS` and :data:`DEFINITION_TYPES`; there is no other table of step kinds.

Adding a step class: a schema section and a ``StepClass`` member (``schema.py``), one :class:`StepKind` below
(and a :class:`DefinitionType` if it emits a new definition step type), one builder module under
``compiler/steps/``; checks specific to it are rule modules (``graph/rules/``, ``compiler/rules/``). See
docs/step-kinds.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from constructs_lib.config import schema as s
from constructs_lib.config.schema import StepClass

# --------------------------------------------------------------------------------------------------------------
# The definition's vocabulary: step Types of a compiled pipeline definition
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobPermissions:
    """What one definition step type makes SageMaker do with the execution role: API calls on one resource
    type, logs and metrics. Actions, ARN formats and condition keys: Service Authorization Reference for Amazon
    SageMaker (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html)."""

    resource_type: str  # ARN resource type, e.g. "processing-job"
    create: str  # the Create* call, where the job settings are enforced
    others: tuple[str, ...]  # Describe*/Stop*/List*, called by the Pipelines service with this role
    log_group: str | None = None  # written by the job's containers
    metric_namespace: str | None = None
    #: Condition keys the Create* action supports.
    vpc: bool = False  # sagemaker:VpcSubnets, sagemaker:VpcSecurityGroupIds
    kms: bool = False  # sagemaker:VolumeKmsKey, sagemaker:OutputKmsKey
    traffic_encryption: bool = False  # sagemaker:InterContainerTrafficEncryption
    isolation: bool = False  # sagemaker:NetworkIsolation
    limits: bool = False  # sagemaker:InstanceTypes (and sagemaker:MaxRuntimeInSeconds where max_runtime)
    max_runtime: bool = False
    tagged: bool = False  # the compiled request carries Tags (CompileContext.tags): aws:RequestTag/ResourceTag


@dataclass(frozen=True)
class DefinitionType:
    """One step ``Type`` of a pipeline definition."""

    name: str
    operation: str = ""
    """The SageMaker API call whose request the step's ``Arguments`` is ("" for service-side steps)."""
    generated_name: str = ""
    """The request member SageMaker Pipelines fills in at execution time (the SDK leaves it out)."""
    job: JobPermissions | None = None
    """IAM for a job-like step (None: no job; see ``registers_model`` and service-side steps)."""
    resources: tuple[str, ...] = ()
    """Path in ``Arguments`` to the instance settings (``InstanceType``), for the role's job limits."""
    stopping: tuple[str, ...] = ("StoppingCondition",)
    """Path in ``Arguments`` to the ``MaxRuntimeInSeconds`` holder, for the role's job limits."""
    isolation: tuple[str, ...] = ()
    """Path in ``Arguments`` to ``EnableNetworkIsolation``, for the role's ``sagemaker:NetworkIsolation`` condition."""
    registers_model: bool = False
    """CreateModelPackage into model package groups (the role scopes it to the pipeline's groups)."""

    @property
    def runs_containers(self) -> bool:
        """A job whose containers run (and log): Processing, Training, Tuning, Transform."""
        return self.job is not None and self.job.log_group is not None


_PROCESSING_JOB = JobPermissions(
    "processing-job",
    "sagemaker:CreateProcessingJob",
    ("sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob"),
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/ProcessingJobs",
    vpc=True,
    kms=True,
    traffic_encryption=True,
    isolation=True,
    limits=True,
    max_runtime=True,
    tagged=True,
)
_TRAINING_JOB = JobPermissions(
    "training-job",
    "sagemaker:CreateTrainingJob",
    ("sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"),
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/TrainingJobs",
    vpc=True,
    kms=True,
    traffic_encryption=True,
    isolation=True,
    limits=True,
    max_runtime=True,
    tagged=True,
)

DEFINITION_TYPES: Mapping[str, DefinitionType] = {
    d.name: d
    for d in (
        DefinitionType(
            "Processing",
            "CreateProcessingJob",
            "ProcessingJobName",
            _PROCESSING_JOB,
            resources=("ProcessingResources", "ClusterConfig"),
            isolation=("NetworkConfig", "EnableNetworkIsolation"),
        ),
        DefinitionType(
            "Training",
            "CreateTrainingJob",
            "TrainingJobName",
            _TRAINING_JOB,
            resources=("ResourceConfig",),
            isolation=("EnableNetworkIsolation",),
        ),
        # The tuning job starts training jobs named after it (so with the same name prefix) that write to the
        # training log group and metric namespace. CreateHyperParameterTuningJob supports the same condition keys as
        # CreateTrainingJob; ListTrainingJobsForHyperParameterTuningJob gives the step's TrainingJobSummaries.
        DefinitionType(
            "Tuning",
            "CreateHyperParameterTuningJob",
            "HyperParameterTuningJobName",
            JobPermissions(
                "hyper-parameter-tuning-job",
                "sagemaker:CreateHyperParameterTuningJob",
                (
                    "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:StopHyperParameterTuningJob",
                    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                ),
                "/aws/sagemaker/TrainingJobs",
                "/aws/sagemaker/TrainingJobs",
                # No sagemaker:MaxRuntimeInSeconds condition: a tuning request has two runtimes (the tuning job's
                # ResourceLimits and each training job's StoppingCondition) and which one the key reads is not
                # documented; the instance types are the training jobs' (TrainingJobDefinition.ResourceConfig).
                vpc=True,
                kms=True,
                traffic_encryption=True,
                isolation=True,
                limits=True,
                max_runtime=False,
                tagged=True,
            ),
            resources=("TrainingJobDefinition", "ResourceConfig"),
            stopping=("TrainingJobDefinition", "StoppingCondition"),
            isolation=("TrainingJobDefinition", "EnableNetworkIsolation"),
        ),
        # CreateTransformJob has no VPC keys: a transform job runs in the VPC of its model (CreateModel below).
        DefinitionType(
            "Transform",
            "CreateTransformJob",
            "TransformJobName",
            JobPermissions(
                "transform-job",
                "sagemaker:CreateTransformJob",
                ("sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob"),
                "/aws/sagemaker/TransformJobs",
                "/aws/sagemaker/TransformJobs",
                kms=True,
                limits=True,
                tagged=True,
            ),
            resources=("TransformResources",),
        ),
        # No logs, but CreateModel checks that the role can pull the model's image. The compiled CreateModel
        # request carries the pipeline's Tags (compiler/steps/create_model.py), so models are scoped by tag too.
        DefinitionType(
            "Model",
            "CreateModel",
            "ModelName",
            JobPermissions(
                "model", "sagemaker:CreateModel", ("sagemaker:DescribeModel",), vpc=True, isolation=True, tagged=True
            ),
            isolation=("EnableNetworkIsolation",),
        ),
        DefinitionType("RegisterModel", "CreateModelPackage", registers_model=True),
        # Evaluated by the Pipelines service itself: no request, no permission.
        DefinitionType("Condition"),
        DefinitionType("Fail"),
    )
}

# --------------------------------------------------------------------------------------------------------------
# The config's vocabulary: step classes
# --------------------------------------------------------------------------------------------------------------


class Output(str, Enum):
    """What a step produces for the steps chained from it."""

    CHANNELS = "channels"
    """One output per channel of its section (Processing)."""
    REPORT = "report"
    """One output, the evaluation report folder (Metrics)."""
    MODEL = "model"
    """One output, model artifacts (``model.tar.gz``) that CreateModel/RegisterModel of its unit use."""
    TRANSFORM = "transform"
    """One output, the batch predictions (Transform)."""


@dataclass(frozen=True)
class JobLimitShapes:
    """botocore shapes a job section's values become (``config/limits.py`` checks them)."""

    env: str  # prefix of the environment shapes (<prefix>Key/Value/Map)
    runtime_key: str  # the section's timeout key
    runtime: str  # its shape
    instance_type: str
    jobs: str  # "Processing jobs": words for messages


@dataclass(frozen=True)
class StepKind:
    """Everything the code knows about one step class."""

    step_class: StepClass
    section: str | None
    """``conf.models.<model>.<section>`` that configures it (None: made from other sections of its unit)."""
    schema: type[BaseModel] | None
    """The section's schema class."""
    step_types: frozenset[str]
    """``step_type`` values accepted with this class (lowercase)."""
    builder: str
    """Module under ``constructs_lib.compiler.steps`` with ``build(ctx, node) -> [SDK steps]`` (imported lazily:
    reading a kind never imports the SageMaker SDK)."""
    definition_types: tuple[str, ...]
    """Step ``Type`` values of the definition it emits (a gated RegisterModel adds Condition and Fail)."""
    aliases: tuple[str, ...] = ()
    """Other accepted ``step_class`` names (matched case-insensitively like the class name)."""
    step_type_required: bool = False
    output: Output | None = None
    """What it produces for chained steps (None: nothing a step can chain from)."""
    chains_from: frozenset[StepClass] | None = None
    """Classes whose outputs it may consume through ``chain_input_source_step`` (None: it takes none; empty:
    every class that produces an output)."""
    needs_model: bool = False
    """Uses its unit's model artifacts (a step whose ``output`` is MODEL, or ``train.model_data_uri``)."""
    after: tuple[StepClass, ...] = ()
    """Classes of its unit it is wired after (implicit edges), besides the model source."""
    cacheable: bool = False
    job: bool = False
    """A SageMaker job: ``SageMaker.*`` retry kinds apply, and caching where ``cacheable``."""
    image_scope: str = "training"
    """Default scope of a short-form image in its section."""
    limits: JobLimitShapes | None = None
    extra_sections: tuple[str, ...] = ()
    """Other sections of its unit it needs (checked by a rule)."""
    image_section: str | None = None
    """The section whose ``image_uri`` its jobs or model run. Default: ``section``."""
    section_aliases: tuple[str, ...] = ()
    """Other accepted names of the section (the README reference shows them)."""
    nested: tuple[tuple[str, type[BaseModel], str], ...] = ()
    """Mappings inside the section documented on their own in the README reference: (key, schema class,
    location below the section)."""

    @property
    def name(self) -> str:
        return self.step_class.value

    def build(self) -> Callable[..., list[Any]]:
        """The builder (imports the compiler module, and so the SageMaker SDK)."""
        return importlib.import_module(f"constructs_lib.compiler.steps.{self.builder}").build

    @property
    def image_from(self) -> str | None:
        return self.image_section or self.section

    def section_of(self, model: s.ModelConfig) -> Any:
        return getattr(model, self.section) if self.section else None


_PROCESSING_LIMITS = (
    "ProcessingEnvironment",
    "ProcessingMaxRuntimeInSeconds",
    "ProcessingInstanceType",
    "Processing jobs",
)

KINDS: Mapping[StepClass, StepKind] = {
    k.step_class: k
    for k in (
        StepKind(
            StepClass.PROCESSING,
            "preprocess",
            s.ProcessingSection,
            frozenset({"preprocess"}),
            "processing",
            ("Processing",),
            step_type_required=True,
            output=Output.CHANNELS,
            chains_from=frozenset(),
            cacheable=True,
            job=True,
            section_aliases=("processing",),
            limits=JobLimitShapes(_PROCESSING_LIMITS[0], "max_runtime_seconds", *_PROCESSING_LIMITS[1:]),
        ),
        StepKind(
            StepClass.TRAINING,
            "train",
            s.TrainingSection,
            frozenset({"train", "training"}),
            "training",
            ("Training",),
            output=Output.MODEL,
            chains_from=frozenset(),
            cacheable=True,
            job=True,
            limits=JobLimitShapes(
                "TrainingEnvironment",
                "max_runtime_seconds",
                "MaxRuntimeInSeconds",
                "TrainingInstanceType",
                "Training jobs",
            ),
        ),
        StepKind(
            StepClass.TUNING,
            "tune",
            s.TuneSection,
            frozenset({"tune", "tuning"}),
            "tuning",
            ("Tuning",),
            aliases=("HyperparameterTuning",),
            output=Output.MODEL,
            chains_from=frozenset(),
            cacheable=True,
            job=True,
            extra_sections=("train",),
            image_section="train",
            nested=(("ranges", s.ParameterRange, "ranges.<hyperparameter>"),),
        ),
        StepKind(
            StepClass.CREATE_MODEL,
            None,
            None,
            frozenset({"createmodel", "create_model"}),
            "create_model",
            ("Model",),
            needs_model=True,
            image_scope="inference",
            image_section="transform",
        ),
        StepKind(
            StepClass.TRANSFORM,
            "transform",
            s.TransformSection,
            frozenset({"transform"}),
            "transform",
            ("Transform",),
            output=Output.TRANSFORM,
            after=(StepClass.CREATE_MODEL,),
            chains_from=frozenset({StepClass.PROCESSING, StepClass.TRANSFORM}),
            cacheable=True,
            job=True,
            image_scope="inference",
            limits=JobLimitShapes(
                "Environment",
                "max_runtime_in_seconds",
                "InvocationsTimeoutInSeconds",
                "TransformInstanceType",
                "Transform jobs",
            ),
        ),
        StepKind(
            StepClass.METRICS,
            "evaluate",
            s.EvaluateSection,
            frozenset({"evaluate", "metrics"}),
            "metrics",
            ("Processing",),
            output=Output.REPORT,
            chains_from=frozenset(),
            cacheable=True,
            job=True,
            limits=JobLimitShapes(_PROCESSING_LIMITS[0], "max_runtime_in_seconds", *_PROCESSING_LIMITS[1:]),
        ),
        StepKind(
            StepClass.REGISTER_MODEL,
            "registry",
            s.RegistrySection,
            frozenset({"registry", "register", "registermodel"}),
            "register_model",
            ("RegisterModel",),
            needs_model=True,
            after=(StepClass.METRICS,),
            image_scope="inference",
            nested=(
                ("InferenceSpecification", s.InferenceSpecification, "InferenceSpecification"),
                ("quality_gate", s.QualityGate, "quality_gate"),
            ),
        ),
    )
}
"""Step classes in the order the docs list them."""

#: ``step_class`` spellings (lowercase) -> class.
CLASS_BY_NAME: Mapping[str, StepClass] = {
    name.lower(): kind.step_class for kind in KINDS.values() for name in (kind.name, *kind.aliases)
}
#: Classes whose output is a model (a unit's model source).
MODEL_SOURCES = frozenset(k.step_class for k in KINDS.values() if k.output is Output.MODEL)
#: Sections that configure a step class -> the kind.
KIND_BY_SECTION: Mapping[str, StepKind] = {k.section: k for k in KINDS.values() if k.section}


def kind(step_class: StepClass) -> StepKind:
    return KINDS[step_class]


def producers_for(consumer: StepKind) -> frozenset[StepClass]:
    """Classes ``consumer`` may chain from."""
    if consumer.chains_from is None:
        return frozenset()
    return consumer.chains_from or frozenset(k.step_class for k in KINDS.values() if k.output is not None)


def image_scope(section_key: str) -> str:
    """The default scope of a short-form image in section ``section_key``."""
    found = KIND_BY_SECTION.get(section_key)
    return found.image_scope if found is not None else "training"
