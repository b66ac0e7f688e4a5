"""Training -> CreateTrainingJob, in script mode: the framework image runs ``entry_point`` from
``sourcedir.tar.gz`` (``sagemaker_program`` / ``sagemaker_submit_directory``), nothing is uploaded.

The original's contract: configured channels keep their names (``/opt/ml/input/data/<channel>``); each chained
source ``S`` gives a channel ``<S>-<C>`` per channel ``C`` of this model's section of ``S``'s kind (default
``train``); an entry point in a subfolder (``training/training.py``) runs with that subfolder as its source
directory and the whole ``source_directory`` beside it (the SDK v2 ``dependencies`` the original passed)."""

from __future__ import annotations

from typing import Any

from sagemaker.core.shapes import Channel, DataSource, S3DataSource, Tag
from sagemaker.core.training.configs import Compute, Networking, OutputDataConfig, StoppingCondition
from sagemaker.mlops.workflow.steps import TrainingStep
from sagemaker.train.model_trainer import ModelTrainer

from constructs_lib.compiler.assets import archive_members
from constructs_lib.compiler.context import CompileContext
from constructs_lib.graph.model import StepNode

#: The channel of the source archive of a training job with network isolation, and where the toolkit finds it.
ISOLATED_CODE_CHANNEL = "code"
ISOLATED_SUBMIT_DIRECTORY = f"/opt/ml/input/data/{ISOLATED_CODE_CHANNEL}/sourcedir.tar.gz"


def _channel(name: str, uri: Any) -> Channel:
    return Channel(
        channel_name=name,
        input_mode="File",
        data_source=DataSource(
            s3_data_source=S3DataSource(
                s3_data_type="S3Prefix", s3_data_distribution_type="FullyReplicated", s3_uri=uri
            )
        ),
    )


def channels(ctx: CompileContext, node: StepNode) -> list[Channel]:
    """Each configured channel gets its own files (the original overwrote all with the last one); chained
    outputs become channels ``<source>-<channel>``."""
    section = ctx.model(node).train
    assert section is not None  # the graph checked that the step's unit has this section (SMP-G5)
    out: dict[str, Channel] = {}
    origin: dict[str, str] = {}

    def add(name: str, uri: Any, where: str) -> None:
        if name in out:
            ctx.problem(
                node,
                ("train", "channels"),
                f"training channel '{name}' of '{node.name}' comes from both {origin[name]} and {where}",
                "rename the channel in one of them (channel names must be unique per training job)",
            )
            return
        out[name] = _channel(name, uri)
        origin[name] = where

    for name, channel in section.channels.items():
        files = channel.dataFiles or []
        if not files:
            ctx.warn(
                ctx.project.model_problem(
                    node.model,
                    ("train", "channels", name),
                    f"training channel '{name}' has no data files: no channel '{name}' is created",
                    "give it dataFiles; chained sources give channels named "
                    "'<source step>-<channel>' without being listed here",
                )
            )
        if len(files) > 1:
            ctx.problem(
                node,
                ("train", "channels", name, "dataFiles"),
                f"training channel '{name}' has {len(files)} data files; a channel reads one S3 prefix",
                "put the files under one S3 prefix, or give each its own channel",
            )
        for i, data_file in enumerate(files[:1]):
            add(
                name,
                ctx.data_uri(node, data_file.fileName, ("train", "channels", name, "dataFiles", i, "fileName")),
                f"train.channels.{name}",
            )
    for item in ctx.chained_inputs(node, "{source}-{channel}"):
        add(item.name, item.uri, f"step '{item.source}'")
    if section.network_isolation:
        # An isolated container cannot download sagemaker_submit_directory from S3: SageMaker puts the archive in
        # the channel ISOLATED_CODE_CHANNEL instead (what the SDK v2 estimators do with enable_network_isolation).
        entry_dir = section.entry_point.rpartition("/")[0]
        add(ISOLATED_CODE_CHANNEL, ctx.sourcedir_uri(node, ("source_directory",), entry_dir), "the job's code")
    if not out:
        ctx.problem(
            node,
            ("train",),
            f"{node.kind.name} step '{node.name}' has no input channel",
            "add train.channels with dataFiles, or chain_input_source_step",
        )
    return list(out.values())


def wheelhouse_environment(ctx: CompileContext, node: StepNode, entry_dir: str) -> dict[str, str]:
    """With ``wheelhouse/`` and ``requirements.txt`` at the archive root, pip installs from the wheels only.

    The training toolkit runs ``pip install -r requirements.txt`` in ``/opt/ml/code`` (where it extracts
    ``sagemaker_submit_directory``); jobs run in subnets without internet access, and pip reads its options from
    ``PIP_*`` variables. See the README, "requirements.txt in the secure network"."""
    directory = ctx.project.root / ctx.model(node).source_directory
    if not directory.is_dir():
        return {}
    members = archive_members(directory, entry_dir)
    if "requirements.txt" in members and any(name.startswith("wheelhouse/") for name in members):
        return {"PIP_NO_INDEX": "true", "PIP_FIND_LINKS": "/opt/ml/code/wheelhouse"}
    return {}


def trainer(ctx: CompileContext, node: StepNode) -> ModelTrainer:
    """The training job of the unit's ``train`` section (also the Tuning step's training job definition)."""
    section = ctx.model(node).train
    assert (
        section is not None
    )  # the graph checked that the step's unit has this section (SMP-G5; Tuning needs train too)
    b = ctx.bindings
    ctx.script_exists(node, section.entry_point, ("train", "entry_point"))
    entry_dir, _, program = section.entry_point.rpartition("/")
    hyperparameters: dict[str, Any] = {
        "sagemaker_program": program,
        "sagemaker_submit_directory": ISOLATED_SUBMIT_DIRECTORY
        if section.network_isolation
        else ctx.sourcedir_uri(node, ("source_directory",), entry_dir),
    }
    for name, value in section.hyperparams.items():
        hyperparameters[name] = ctx.value(value)
    return ModelTrainer(
        training_image=ctx.image(node, ("train", "image_uri"), section.image_uri, section.instance_type),
        role=b.role_arn,
        sagemaker_session=ctx.session,
        base_job_name=section.base_job_name or node.name,
        compute=Compute(
            instance_type=ctx.value(section.instance_type),
            instance_count=ctx.value(section.instance_count),
            volume_size_in_gb=section.volume_size_in_gb,
            volume_kms_key_id=b.kms_key,
        ),
        networking=Networking(
            subnets=list(b.subnets),
            security_group_ids=list(b.security_groups),
            enable_inter_container_traffic_encryption=True,
            # False is left out: the request stays as it was without the option.
            enable_network_isolation=True if section.network_isolation else None,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=section.max_runtime_seconds),
        output_data_config=OutputDataConfig(s3_output_path=ctx.output_uri(node.name, "model"), kms_key_id=b.kms_key),
        hyperparameters=hyperparameters,
        environment={
            **wheelhouse_environment(ctx, node, entry_dir),
            **{k: b.resolve(v) for k, v in section.env.items()},
        }
        or None,
        tags=[Tag(key=t["Key"], value=t["Value"]) for t in ctx.tags(section.tags)] or None,
    )


def build(ctx: CompileContext, node: StepNode) -> list[Any]:
    step = TrainingStep(
        **ctx.step_options(node),
        step_args=trainer(ctx, node).train(input_data_config=channels(ctx, node)),
    )
    ctx.built[node.name] = step
    ctx.model_artifacts[node.name] = step.properties.ModelArtifacts.S3ModelArtifacts
    return [step]
