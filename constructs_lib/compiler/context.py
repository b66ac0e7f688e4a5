"""What every step builder needs while compiling: values, S3 locations, caching, retries, network, problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_lib.compiler import session as _session  # noqa: F401  (first: offline env + SDK patches)

# isort: split
from sagemaker.core.network import NetworkConfig
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.parameters import ParameterBoolean, ParameterFloat, ParameterInteger, ParameterString
from sagemaker.mlops.workflow.retry import (
    SageMakerJobExceptionTypeEnum,
    SageMakerJobStepRetryPolicy,
    StepExceptionTypeEnum,
    StepRetryPolicy,
)
from sagemaker.mlops.workflow.steps import CacheConfig

from constructs_lib.compiler.assets import AssetCollector
from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.compiler.bootstrap import BOOTSTRAP_NAME, runproc
from constructs_lib.compiler.images import region_problem, resolve
from constructs_lib.compiler.naming import PIPELINE_TAG_KEY
from constructs_lib.config.kinds import Output, image_scope
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.config.schema import ImageRef, ModelConfig, RetryPolicy
from constructs_lib.errors import Problem
from constructs_lib.graph.model import EdgeKind, PipelineGraph, StepNode

_PARAM = re.compile(r"\$\{params\.([A-Za-z][A-Za-z0-9_-]*)\}")

#: Where the Metrics step writes its report, and the report's file name (the original's name, with the "/").
EVALUATION_CHANNEL = "evaluation"
REPORT_FILE = "model_evaluation_metrics.json"
PROCESSING_INPUT = "/opt/ml/processing/input"
PROCESSING_OUTPUT = "/opt/ml/processing/output"
#: The original's default channel list, wherever a section names no channel.
DEFAULT_CHANNELS = ("train",)


def channel_names(section: Any) -> list[str]:
    """A section's channel names in order, or the original's default ``[train]``."""
    names = list(section.channels) if section is not None and getattr(section, "channels", None) else []
    return names or list(DEFAULT_CHANNELS)


@dataclass(frozen=True)
class ChainedOutput:
    """An output of an upstream step that a step consumes: its channel name and an S3 URI expression."""

    source: str
    channel: str
    uri: Any
    name: str = ""
    """Where the consumer gets it: a Processing input name or a training channel name."""


@dataclass
class CompileContext:
    project: ProjectConfig
    graph: PipelineGraph
    bindings: InfraBindings
    session: Any
    assets: AssetCollector
    parameters: dict[str, Any] = field(default_factory=dict)
    built: dict[str, Any] = field(default_factory=dict)
    """SDK step objects by step name (the step whose properties downstream steps reference)."""
    gates: dict[str, str] = field(default_factory=dict)
    """RegisterModel step name -> the ConditionStep that wraps it (dependencies point at the condition)."""
    model_artifacts: dict[str, Any] = field(default_factory=dict)
    """Step name -> the S3 URI expression of the model a model source (Training, Tuning) produced."""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Accepted, but likely not what is meant (printed by validate and definition; see :mod:`.rules`)."""

    # ---------------------------------------------------------------------------------------------- values

    @property
    def pipeline_name(self) -> str:
        return self.project.pipeline.pipelineName

    def model(self, node: StepNode) -> ModelConfig:
        return self.project.models[node.model]

    def problem(self, node: StepNode, key: tuple, message: str, hint: str = "") -> None:
        """A problem located in the model's section (``key`` relative to conf.models.<model>)."""
        self.problems.append(self.project.model_problem(node.model, key, message, hint))

    def warn(self, problem: Problem) -> None:
        problem = problem.as_warning()
        if problem not in self.warnings:
            self.warnings.append(problem)

    def value(self, text: Any) -> Any:
        """A config value for the SDK: framework variables bound, ``${params.X}`` as pipeline parameters."""
        if not isinstance(text, str):
            return text
        text = self.bindings.resolve(text)
        parts = _PARAM.split(text)
        if len(parts) == 1:
            return text
        values = [self.parameters[p] if i % 2 else p for i, p in enumerate(parts)]
        values = [v for v in values if v != ""]
        return values[0] if len(values) == 1 else Join(on="", values=values)

    def image(self, node: StepNode, key: tuple, image: str | ImageRef, instance_type: Any = None) -> Any:
        """An image URI in the deployment's region: a short form resolved for it, a full URI checked against it.

        ``key`` is relative to conf.models.<model>; its first element names the section (for the image scope)."""
        region = self.bindings.image_region or self.bindings.sdk_region
        if isinstance(image, ImageRef):
            if self.bindings.image_region is None and not any(
                w.message.startswith("no region known") for w in self.warnings
            ):
                self.warn(
                    self.project.model_problem(  # once per pipeline
                        node.model,
                        key,
                        f"no region known: short-form images (here {image.framework} {image.version}) "
                        f"resolve for {region}",
                        "set SMP_REGION, or give the stack a region (cdk.json environments, or -c account=... -c region=...)",
                    )
                )
            try:
                return resolve(
                    image,
                    region,
                    image.image_scope or image_scope(key[0]),
                    instance_type
                    if isinstance(instance_type, str) and not self.uses_parameter(instance_type)
                    else None,
                )
            except ValueError as error:
                problem = self.project.model_problem(
                    node.model,
                    key,
                    f"no image for {image.framework} {image.version} in {region}: {error}",
                    "see the SageMaker SDK's image tables",
                )
                if problem not in self.problems:
                    self.problems.append(problem)
                return "invalid"
        value = self.value(image)
        found = region_problem(value, self.bindings.image_region) if isinstance(value, str) else None
        if found is not None:
            problem = self.project.model_problem(node.model, key, *found)
            if problem not in self.problems:  # CreateModel and Transform share transform.image_uri
                self.problems.append(problem)
        return value

    def uses_parameter(self, value: Any) -> bool:
        return isinstance(value, str) and bool(_PARAM.search(value))

    def data_uri(self, node: StepNode, file_name: str, key: tuple) -> Any:
        """An ``s3://`` URI as given, or a local file (relative to the project root) as an asset."""
        resolved = self.bindings.resolve(file_name)
        if resolved.startswith("s3://") or self.uses_parameter(resolved):
            return self.value(file_name)
        path = self.project.root / resolved
        try:
            exists = path.exists()
        except OSError as error:  # e.g. a name longer than the file system allows (Python 3.11 raises here)
            self.problem(
                node,
                key,
                f"local data file '{resolved[:60]}...' cannot be read: {error.strerror}",
                "give an s3:// URI, or a shorter path relative to the project root",
            )
            return f"s3://{self.bindings.bucket}/missing/invalid"
        if not exists:
            self.problem(
                node,
                key,
                f"local data file '{resolved}' does not exist",
                f"paths are relative to the project root {self.project.root}; or give an s3:// URI",
            )
            return f"s3://{self.bindings.bucket}/missing/{Path(resolved).name}"
        return self.assets.add(resolved, "file" if path.is_file() else "sourcedir")

    def script_exists(self, node: StepNode, entry_point: str, key: tuple) -> bool:
        """Whether ``entry_point`` is a file in the unit's source_directory (else a problem at ``key``)."""
        relative = Path(self.model(node).source_directory) / entry_point
        if (self.project.root / relative).is_file():
            return True
        problem = self.project.model_problem(
            node.model,
            key,
            f"script '{relative}' does not exist",
            f"entry_point is relative to source_directory ({self.model(node).source_directory})",
        )
        if problem not in self.problems:  # CreateModel and RegisterModel may both use transform.entry_point
            self.problems.append(problem)
        return False

    def sourcedir_uri(self, node: StepNode, key: tuple, entry_dir: str = "") -> str:
        """The S3 URI of the unit's ``source_directory`` packed as ``sourcedir.tar.gz`` (``entry_dir``: the
        original's layout for a training entry point in a subfolder, see :mod:`constructs_lib.compiler.assets`)."""
        directory = self.model(node).source_directory
        if not (self.project.root / directory).is_dir():
            problem = self.project.model_problem(
                node.model,
                key,
                f"source_directory '{directory}' does not exist",
                f"paths are relative to the project root {self.project.root}",
            )
            if problem not in self.problems:
                self.problems.append(problem)
            return f"s3://{self.bindings.bucket}/missing/sourcedir.tar.gz"
        return self.assets.add(directory, "sourcedir", entry_dir)

    def bootstrap_uri(self, node: StepNode, entry_point: str) -> str:
        """The S3 URI of the ``runproc.sh`` that runs ``entry_point`` (see :mod:`constructs_lib.compiler.bootstrap`)."""
        return self.assets.add_generated(
            BOOTSTRAP_NAME, runproc(entry_point), f"(generated) {BOOTSTRAP_NAME} for {entry_point}"
        )

    def output_uri(self, step_name: str, channel: str | None = None, bucket: str | None = None) -> Join:
        """``s3://<bucket>/<pipeline>/<execution id>/<step>[/<channel>]``: every execution writes apart."""
        values: list[Any] = [
            f"s3://{self.bindings.resolve(bucket) if bucket else self.bindings.bucket}/{self.pipeline_name}",
            ExecutionVariables.PIPELINE_EXECUTION_ID,
            step_name,
        ]
        if channel:
            values.append(channel)
        return Join(on="/", values=values)

    # --------------------------------------------------------------------------------- step-level settings

    def cache(self, node: StepNode) -> CacheConfig | None:
        if not node.config.enable_cache or not node.kind.cacheable:
            return None
        return CacheConfig(enable_caching=True, expire_after=self.project.pipeline.cache_expire_after)

    def retries(self, node: StepNode, *, job: bool) -> list[Any]:
        policy: RetryPolicy | None = node.config.retry or self.project.pipeline.retry
        if policy is None:
            return []
        common = dict(
            max_attempts=policy.max_attempts, interval_seconds=policy.interval_seconds, backoff_rate=policy.backoff_rate
        )
        # By value through our own map: in SDK 3.27 StepExceptionTypeEnum("Step.THROTTLING") returns SERVICE_FAULT.
        kinds = {e.value: e for e in (*StepExceptionTypeEnum, *SageMakerJobExceptionTypeEnum)}
        step_types = [kinds[kind] for kind in policy.on if kind.startswith("Step.")]
        job_types = [kinds[kind] for kind in policy.on if kind.startswith("SageMaker.")]
        out: list[Any] = []
        if step_types:
            out.append(StepRetryPolicy(exception_types=step_types, **common))
        if job_types and job:
            out.append(SageMakerJobStepRetryPolicy(exception_types=job_types, **common))
        return out

    def step_options(self, node: StepNode) -> dict[str, Any]:
        """The keyword arguments every step of ``node`` takes: name, retries, ordering (and caching for jobs)."""
        job = node.kind.job
        options: dict[str, Any] = {
            "name": node.name,
            "retry_policies": self.retries(node, job=job) or None,
            "depends_on": self.depends_on(node) or None,
        }
        if job:
            options["cache_config"] = self.cache(node)
        return options

    def network_config(self, isolated: bool = False) -> NetworkConfig:
        return NetworkConfig(
            subnets=list(self.bindings.subnets),
            security_group_ids=list(self.bindings.security_groups),
            encrypt_inter_container_traffic=True,
            # False is left out: the request (and the golden definitions) stay as they were without the option.
            enable_network_isolation=True if isolated else None,
        )

    def tags(self, tags: dict[str, str]) -> list[dict[str, str]]:
        merged = {**self.project.pipeline.tags, **tags, PIPELINE_TAG_KEY: self.pipeline_name}  # last: not overridable
        return [{"Key": k, "Value": self.bindings.resolve(v)} for k, v in merged.items()]

    def depends_on(self, node: StepNode) -> list[str]:
        """Ordering-only edges (data and implicit edges are already references between steps)."""
        names = []
        for edge in self.graph.edges:
            if edge.target == node.name and edge.kinds == (EdgeKind.DEPENDENCY,):
                names.append(self.gates.get(edge.source, edge.source))
        return names

    # --------------------------------------------------------------------------------------- chained data

    def output_of(self, source: str, channel: str) -> Any | None:
        """The S3 URI expression of output ``channel`` of step ``source`` (None: it has no such output).

        Steps with one output (a model, a report, predictions) give it whatever the channel name."""
        node = self.graph.node(source)
        step = self.built[source]
        output = node.kind.output
        if output is Output.CHANNELS:
            if channel not in channel_names(node.section):
                return None
            return step.properties.ProcessingOutputConfig.Outputs[channel].S3Output.S3Uri
        if output is Output.REPORT:
            return step.properties.ProcessingOutputConfig.Outputs[EVALUATION_CHANNEL].S3Output.S3Uri
        if output is Output.MODEL:
            return self.model_artifacts[source]
        if output is Output.TRANSFORM:
            return step.properties.TransformOutput.S3OutputPath
        return None

    def chained_inputs(self, node: StepNode, template: str, channels: list[str] | None = None) -> list[ChainedOutput]:
        """The original's chained inputs of ``node``: for each source ``S`` of ``chain_input_source_step`` and each
        channel ``C`` (``channels``, else the channels of *this model's* section of ``S``'s kind, default
        ``[train]``), ``S``'s output ``C`` under the name ``template.format(source=S, channel=C)``."""
        out: list[ChainedOutput] = []
        for index, source in enumerate(node.config.chain_input_source_step):
            source_node = self.graph.node(source)
            wanted = channels or channel_names(source_node.kind.section_of(self.model(node)))
            for channel in wanted:
                uri = self.output_of(source, channel)
                if uri is None:
                    have = ", ".join(channel_names(source_node.section))
                    self.problems.append(
                        self.project.pipeline_problem(
                            ("models", node.model, "steps", node.index, "chain_input_source_step", index),
                            f"'{node.name}' reads channel '{channel}' of '{source}', which has no such output "
                            f"(its output channels: {have})",
                            f"the channels read come from conf.models.{node.model}.{source_node.kind.section}"
                            ".channels (default 'train'); name the source's output channel there",
                        )
                    )
                    continue
                out.append(ChainedOutput(source, channel, uri, template.format(source=source, channel=channel)))
            if source_node.kind.output is Output.CHANNELS:
                ignored = [c for c in channel_names(source_node.section) if c not in wanted]
                if ignored:
                    kind = source_node.kind.section
                    self.warn(
                        self.project.pipeline_problem(
                            ("models", node.model, "steps", node.index, "chain_input_source_step", index),
                            f"'{node.name}' reads channel(s) {', '.join(wanted)} of '{source}' and ignores its "
                            f"output(s) {', '.join(ignored)}",
                            f"to read them, list them in conf.models.{node.model}.{kind}.channels; or chain from a step "
                            "whose outputs are all needed",
                        )
                    )
        return out

    def outputs_of(self, source: str, selected: list[str]) -> list[ChainedOutput]:
        """The outputs of step ``source`` a consumer uses (``selected``: the consumer's channel names)."""
        node = self.graph.node(source)
        step = self.built[source]
        output = node.kind.output
        if output is Output.CHANNELS:
            channels = list(node.section.channels)
            wanted = (
                [c for c in channels if c in selected]
                if selected and any(c in selected for c in channels)
                else channels
            )
            return [
                ChainedOutput(source, c, step.properties.ProcessingOutputConfig.Outputs[c].S3Output.S3Uri)
                for c in wanted
            ]
        if output is Output.REPORT:
            return [
                ChainedOutput(
                    source,
                    EVALUATION_CHANNEL,
                    step.properties.ProcessingOutputConfig.Outputs[EVALUATION_CHANNEL].S3Output.S3Uri,
                )
            ]
        if output is Output.MODEL:
            return [ChainedOutput(source, "model", self.model_artifacts[source])]
        if output is Output.TRANSFORM:
            channel = selected[0] if len(selected) == 1 else "output"
            return [ChainedOutput(source, channel, step.properties.TransformOutput.S3OutputPath)]
        return []


def make_parameters(project: ProjectConfig) -> dict[str, Any]:
    kinds = {
        "String": ParameterString,
        "Integer": ParameterInteger,
        "Float": ParameterFloat,
        "Boolean": ParameterBoolean,
    }
    return {p.name: kinds[p.type](name=p.name, default_value=p.default) for p in project.pipeline.parameters}
