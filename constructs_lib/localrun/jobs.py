"""One executor per step type: it resolves the step's arguments, runs what SageMaker would run and returns
the step's properties (its resolved arguments plus what the job produced), or raises :class:`StepFailed`.

The container contracts reproduced here are those of ../shared/CONTAINERS.md (Processing job, the training
toolkit's script mode, the inference toolkit's handlers, batch transform).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from constructs_lib.localrun.expr import Scope, StepFailed
from constructs_lib.localrun.plan import Step, training_request
from constructs_lib.localrun.registry import APPROVAL_STATUSES, LocalRegistry
from constructs_lib.localrun.sandbox import Isolation, ProcessTable, tail
from constructs_lib.localrun.store import LocalStore

OPT_ML = PurePosixPath("/opt/ml")
WORKER = Path(__file__).with_name("serving_worker.py")
ARN_PREFIX = "arn:aws:sagemaker:local:000000000000"
RESOURCE_CONFIG = {
    "current_host": "algo-1",
    "current_instance_type": "local",
    "current_group_name": "homogeneousCluster",
    "hosts": ["algo-1"],
    "instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": ["algo-1"]}],
    "network_interface_name": "eth0",
}


@dataclass
class RunContext:
    """What the executors share during one execution."""

    store: LocalStore
    registry: LocalRegistry
    isolation: Isolation
    processes: ProcessTable
    interpreter: str
    base_env: Mapping[str, str]
    execution_id: str
    pipeline: str
    exec_dir: Path
    models_dir: Path
    keep_job_dirs: bool = False
    readonly: tuple[str, ...] = ()
    """Folders jobs see read-only (the interpreter's own site-packages)."""
    process_seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each step's job processes (sandbox setup included): the rest of a step's time is the
    runner's own overhead (staging inputs, uploading outputs, packing the model)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def job_name(self, step: Step) -> str:
        slug = re.sub(r"[^A-Za-z0-9-]", "-", step.name)
        return f"pipelines-{self.execution_id}-{slug}"[:63].rstrip("-")

    def log(self, step: Step) -> Path:
        path = self.exec_dir / "logs" / f"{step.name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def job_dirs(self, step: Step) -> tuple[Path, Path]:
        """(the folder mounted at /opt/ml, the job's scratch folder outside it)."""
        base = self.exec_dir / "jobs" / step.name
        if base.exists():
            shutil.rmtree(base)
        root = base / "ml"
        root.mkdir(parents=True)
        return root, base

    def finish_job(self, base: Path) -> None:
        if not self.keep_job_dirs:
            shutil.rmtree(base, ignore_errors=True)
            try:
                base.parent.rmdir()  # the execution's jobs/ folder, once empty
            except OSError:
                pass

    def run(
        self,
        step: Step,
        root: Path,
        base: Path,
        argv: list[str],
        env: Mapping[str, str],
        cwd: str,
        timeout: float | None,
    ) -> int:
        log = self.log(step)
        with open(log, "a") as handle:
            handle.write(f"$ {' '.join(argv)}   (cwd {cwd})\n")
        wrapped = self.isolation.wrap(root, base / "host-opt", cwd, argv, self.readonly)
        began = time.monotonic()
        try:
            return self.processes.run(wrapped, {**self.base_env, **env}, log, timeout)
        finally:
            took = time.monotonic() - began
            with self._lock:
                self.process_seconds[step.name] = self.process_seconds.get(step.name, 0.0) + took


def inside(root: Path, container_path: str, what: str) -> Path:
    """The host folder for a container path under /opt/ml."""
    path = PurePosixPath(container_path)
    if not path.is_absolute() or ".." in path.parts:
        raise StepFailed(f"{what}: {container_path!r} must be an absolute path")
    try:
        rel = path.relative_to(OPT_ML)
    except ValueError:
        raise StepFailed(
            f"{what}: {container_path} is outside /opt/ml, which the local runner cannot provide "
            "(use a path under /opt/ml, as SageMaker's framework containers do)"
        ) from None
    return root / rel


def pack_tar_gz(source: Path) -> bytes:
    """``source``'s files as a tar.gz with stable bytes (sorted, mtime 0), so caching downstream holds."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory, dirs, files in os.walk(source):
            dirs.sort()
            for name in sorted(files):
                path = Path(directory) / name
                if path.is_symlink() or not path.is_file():
                    continue
                info = tarfile.TarInfo(path.relative_to(source).as_posix())
                data = path.read_bytes()
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def extract_tar_gz(data: bytes, dest: Path, what: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise StepFailed(f"{what} is not a readable tar.gz archive: {exc}") from None


def failure_text(root: Path) -> str:
    for rel in ("output/failure", "output/message"):
        path = root / rel
        if path.is_file():
            text = path.read_text("utf-8", "replace").strip()
            if text:
                return text[:1024]
    return ""


def last_line(ctx: RunContext, step: Step) -> str:
    """': <the log's last line>' (usually the exception that ended the script), or ''."""
    lines = [line for line in tail(ctx.log(step), 5) if line.strip()]
    return f": {lines[-1].strip()[:300]}" if lines else ""


def s3_uris(value: Any) -> list[str]:
    """Every s3:// string in a resolved value."""
    if isinstance(value, str):
        return [value] if value.startswith("s3://") else []
    if isinstance(value, dict):
        return [u for v in value.values() for u in s3_uris(v)]
    if isinstance(value, list):
        return [u for v in value for u in s3_uris(v)]
    return []


def _timeout(args: Mapping[str, Any]) -> float | None:
    seconds = args.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
    return float(seconds) if seconds else None


# ----------------------------------------------------------------------------------------------------------
# Processing
# ----------------------------------------------------------------------------------------------------------


def run_processing(step: Step, args: dict, ctx: RunContext) -> dict:
    root, base = ctx.job_dirs(step)
    job = ctx.job_name(step)
    for item in args.get("ProcessingInputs", []):
        s3 = item["S3Input"]
        what = f"input '{item.get('InputName')}' of step '{step.name}':"
        dest = inside(root, s3["LocalPath"], what)
        ctx.store.copy_to(s3["S3Uri"], dest, what, manifest=s3.get("S3DataType") == "ManifestFile")
    outputs = args.get("ProcessingOutputConfig", {}).get("Outputs", [])
    for item in outputs:
        inside(root, item["S3Output"]["LocalPath"], f"output '{item.get('OutputName')}'").mkdir(
            parents=True, exist_ok=True
        )
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "processingjobconfig.json").write_text(json.dumps({**args, "ProcessingJobName": job}, indent=2))
    (config / "resourceconfig.json").write_text(json.dumps(RESOURCE_CONFIG))
    (root / "output").mkdir(exist_ok=True)
    app = args["AppSpecification"]
    argv = [str(a) for a in app["ContainerEntrypoint"]] + [str(a) for a in app.get("ContainerArguments", [])]
    code = ctx.run(
        step, root, base, argv, {k: str(v) for k, v in args.get("Environment", {}).items()}, "/opt/ml", _timeout(args)
    )
    if code != 0:
        reason = failure_text(root) or f"AlgorithmError: {' '.join(argv)} exited with code {code}{last_line(ctx, step)}"
        if "No matching distribution" in reason:
            reason += (
                f" (pip runs offline: install the requirements into {ctx.interpreter}'s environment first, "
                "or run with --pip-index)"
            )
        ctx.finish_job(base)
        raise StepFailed(reason)
    for item in outputs:
        s3 = item["S3Output"]
        ctx.store.upload_dir(s3["S3Uri"], inside(root, s3["LocalPath"], "output"))
    ctx.finish_job(base)
    files = {}
    for prop in step.body.get("PropertyFiles", []):
        output = next((o for o in outputs if o.get("OutputName") == prop["OutputName"]), None)
        if output is None:
            raise StepFailed(f"property file {prop['PropertyFileName']}: no output named {prop['OutputName']!r}")
        files[prop["PropertyFileName"]] = f"{output['S3Output']['S3Uri'].rstrip('/')}/{prop['FilePath']}"
    return {
        **args,
        "ProcessingJobName": job,
        "ProcessingJobArn": f"{ARN_PREFIX}:processing-job/{job}",
        "ProcessingJobStatus": "Completed",
        "ExitMessage": "",
        "PropertyFiles": files,
    }


# ----------------------------------------------------------------------------------------------------------
# Training (the training toolkit's script mode)
# ----------------------------------------------------------------------------------------------------------


def decode_hyperparameter(value: Any) -> Any:
    """As the training toolkit: ``json.loads`` each value, the raw string when that fails."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def cmd_arg(value: Any) -> str:
    """The toolkit's ``mapping.to_cmd_args`` value: dicts as ``k=v,k=v``, everything else ``str()``."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def env_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def run_training(step: Step, args: dict, ctx: RunContext) -> dict:
    root, base = ctx.job_dirs(step)
    job = ctx.job_name(step)
    raw = {k: str(v) for k, v in args.get("HyperParameters", {}).items()}
    decoded = {k: decode_hyperparameter(v) for k, v in raw.items()}
    framework = {k: v for k, v in decoded.items() if k.startswith("sagemaker_")}
    user = {k: v for k, v in decoded.items() if not k.startswith("sagemaker_")}
    program, submit = str(framework["sagemaker_program"]), str(framework["sagemaker_submit_directory"])
    code = root / "code"
    if submit.startswith("s3://"):
        extract_tar_gz(ctx.store.read_bytes(submit, f"sagemaker_submit_directory of step '{step.name}':"), code, submit)
    elif not submit.startswith("/opt/ml/input/data/"):
        # (a path there: network isolation, the archive arrives in an input channel, extracted below)
        raise StepFailed(f"sagemaker_submit_directory {submit!r} is not an S3 URI or a file of an input channel")
    mode = args.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File")
    channels, input_config = [], {}
    for channel in args.get("InputDataConfig", []):
        name = channel["ChannelName"]
        source = channel["DataSource"]["S3DataSource"]
        ctx.store.copy_to(
            source["S3Uri"],
            root / "input" / "data" / name,
            f"channel '{name}' of step '{step.name}':",
            manifest=source.get("S3DataType") == "ManifestFile",
        )
        channels.append(name)
        input_config[name] = {
            "TrainingInputMode": channel.get("InputMode", mode),
            "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
        if "ContentType" in channel:
            input_config[name]["ContentType"] = channel["ContentType"]
    if not submit.startswith("s3://"):
        archive = inside(root, submit, "sagemaker_submit_directory")
        if not archive.is_file():
            raise StepFailed(f"sagemaker_submit_directory {submit}: no such file in the job's input channels")
        extract_tar_gz(archive.read_bytes(), code, submit)
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(raw))
    (config / "inputdataconfig.json").write_text(json.dumps(input_config))
    (config / "resourceconfig.json").write_text(json.dumps(RESOURCE_CONFIG))
    for rel in ("model", "output/data", "output/intermediate"):
        (root / rel).mkdir(parents=True, exist_ok=True)
    user_args = [item for key in sorted(user) for item in (f"--{key}", cmd_arg(user[key]))]
    env = training_environment(args, job, program, submit, channels, user, input_config, user_args)
    env.update({k: str(v) for k, v in args.get("Environment", {}).items()})
    timeout = _timeout(args)
    if (code / "setup.py").is_file():
        install = ["python", "-m", "pip", "install", "."]
    elif (code / "requirements.txt").is_file():
        install = ["python", "-m", "pip", "install", "-r", "requirements.txt"]
    else:
        install = None
    if install:
        status = ctx.run(step, root, base, install, env, "/opt/ml/code", timeout)
        if status != 0:
            ctx.finish_job(base)
            raise StepFailed(
                f"AlgorithmError: InstallModuleError: {' '.join(install)} exited with code {status} "
                f"(offline: requirements must already be installed in {ctx.interpreter}, or run with "
                "--pip-index)"
            )
    argv = (
        ["python", program] if program.endswith(".py") else ["/bin/sh", "-c", f'./{program} "$@"', program]
    ) + user_args
    if not (code / program).is_file():
        ctx.finish_job(base)
        raise StepFailed(f"AlgorithmError: sagemaker_program {program!r} is not in the source archive {submit}")
    status = ctx.run(step, root, base, argv, env, "/opt/ml/code", timeout)
    if status != 0:
        reason = failure_text(root) or (
            f'AlgorithmError: ExecuteUserScriptError: Command "{" ".join(argv)}" '
            f"exited with code {status}{last_line(ctx, step)}"
        )
        ctx.finish_job(base)
        raise StepFailed(reason)
    output_path = args["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    model_uri = f"{output_path}/{job}/output/model.tar.gz"
    ctx.store.put_bytes(model_uri, pack_tar_gz(root / "model"))
    if any((root / "output" / "data").iterdir()):
        ctx.store.put_bytes(f"{output_path}/{job}/output/output.tar.gz", pack_tar_gz(root / "output" / "data"))
    ctx.finish_job(base)
    return {
        **args,
        "TrainingJobName": job,
        "TrainingJobArn": f"{ARN_PREFIX}:training-job/{job}",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": model_uri},
        "FinalMetricDataList": [],
    }


def training_environment(
    args: dict,
    job: str,
    program: str,
    submit: str,
    channels: list[str],
    user: dict,
    input_config: dict,
    user_args: list[str],
) -> dict[str, str]:
    """The SM_* variables of the training toolkit (environment.py)."""
    cpus = os.cpu_count() or 1
    module = program.removesuffix(".py")
    env = {
        "SM_MODEL_DIR": "/opt/ml/model",
        "SM_INPUT_DIR": "/opt/ml/input",
        "SM_INPUT_CONFIG_DIR": "/opt/ml/input/config",
        "SM_OUTPUT_DIR": "/opt/ml/output",
        "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data",
        "SM_OUTPUT_INTERMEDIATE_DIR": "/opt/ml/output/intermediate",
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": env_value(user),
        "SM_CURRENT_HOST": "algo-1",
        "SM_CURRENT_INSTANCE_TYPE": "local",
        "SM_HOSTS": json.dumps(["algo-1"]),
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_NUM_CPUS": str(cpus),
        "SM_NUM_GPUS": "0",
        "SM_NUM_NEURONS": "0",
        "SM_LOG_LEVEL": "20",
        "SM_USER_ENTRY_POINT": program,
        "SM_MODULE_NAME": module,
        "SM_MODULE_DIR": submit,
        "SM_FRAMEWORK_MODULE": "",
        "SM_FRAMEWORK_PARAMS": "{}",
        "SM_RESOURCE_CONFIG": env_value(RESOURCE_CONFIG),
        "SM_INPUT_DATA_CONFIG": env_value(input_config),
        "SM_USER_ARGS": json.dumps(user_args),
        "SM_IS_HETERO": "false",
        "PYTHONPATH": "/opt/ml/code",
    }
    for name in channels:
        env[f"SM_CHANNEL_{name.upper()}"] = f"/opt/ml/input/data/{name}"
    for key, value in user.items():
        env[f"SM_HP_{key.upper()}"] = env_value(value)
    env["SM_TRAINING_ENV"] = json.dumps(
        {
            "job_name": job,
            "hyperparameters": user,
            "channel_input_dirs": {c: f"/opt/ml/input/data/{c}" for c in channels},
            "current_host": "algo-1",
            "hosts": ["algo-1"],
            "model_dir": "/opt/ml/model",
            "module_dir": submit,
            "module_name": module,
            "user_entry_point": program,
            "num_cpus": cpus,
            "num_gpus": 0,
            "input_data_config": input_config,
            "resource_config": RESOURCE_CONFIG,
            "output_data_dir": "/opt/ml/output/data",
        },
        sort_keys=True,
    )
    return env


# ----------------------------------------------------------------------------------------------------------
# Tuning
# ----------------------------------------------------------------------------------------------------------

#: At most this many training jobs of a tuning job run locally, one after another (SageMaker runs
#: MaxNumberOfTrainingJobs, MaxParallelTrainingJobs at a time, choosing each from the results so far).
LOCAL_MAX_TRIALS = 3


def _spread(low: float, high: float, fraction: float, scaling: str) -> float:
    if scaling == "Logarithmic" and low > 0:
        return float(low * (high / low) ** fraction)
    return low + (high - low) * fraction


def tuning_trials(ranges: Mapping[str, Any], count: int) -> list[dict[str, str]]:
    """``count`` distinct hyperparameter sets over the ranges, deterministic: trial ``i`` takes point ``i`` of
    an evenly spaced walk from each range's minimum to its maximum (log-spaced for Logarithmic scaling) and
    value ``i`` (cycling) of each categorical range."""
    trials: list[dict[str, str]] = []
    for i in range(count):
        fraction = 0.5 if count == 1 else i / (count - 1)
        trial: dict[str, str] = {}
        for item in ranges.get("IntegerParameterRanges", []):
            low, high = int(float(item["MinValue"])), int(float(item["MaxValue"]))
            trial[item["Name"]] = str(round(_spread(low, high, fraction, item.get("ScalingType", "Auto"))))
        for item in ranges.get("ContinuousParameterRanges", []):
            value = _spread(float(item["MinValue"]), float(item["MaxValue"]), fraction, item.get("ScalingType", "Auto"))
            trial[item["Name"]] = f"{value:.6g}"
        for item in ranges.get("CategoricalParameterRanges", []):
            trial[item["Name"]] = str(item["Values"][i % len(item["Values"])])
        if trial not in trials:
            trials.append(trial)
    return trials


def _objective(log: Path, regex: str) -> float | None:
    """The last value the metric's regex finds in a training job's log (as SageMaker reads it from the logs)."""
    try:
        found = re.findall(regex, log.read_text(errors="replace"))
    except (OSError, re.error):
        return None
    for match in reversed(found):
        try:
            return float(match[0] if isinstance(match, tuple) else match)
        except ValueError:
            continue
    return None


def tuning_model_uri(props: Mapping[str, Any]) -> str:
    output = props["TrainingJobDefinition"]["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    return f"{output}/{props['BestTrainingJob']['TrainingJobName']}/output/model.tar.gz"


def run_tuning(step: Step, args: dict, ctx: RunContext) -> dict:
    config = args["HyperParameterTuningJobConfig"]
    objective = config.get("HyperParameterTuningJobObjective", {})
    metric, direction = objective.get("MetricName"), objective.get("Type", "Maximize")
    definitions = args["TrainingJobDefinition"].get("AlgorithmSpecification", {}).get("MetricDefinitions", [])
    regex = next((d["Regex"] for d in definitions if d.get("Name") == metric), None)
    if regex is None:
        raise StepFailed(f"the objective metric {metric!r} has no MetricDefinitions regex")
    limit = int(config.get("ResourceLimits", {}).get("MaxNumberOfTrainingJobs") or LOCAL_MAX_TRIALS)
    trials = tuning_trials(config.get("ParameterRanges", {}), min(limit, LOCAL_MAX_TRIALS))
    summaries = []
    with open(ctx.log(step), "a") as handle:
        handle.write(f"tuning locally: {len(trials)} training job(s) one after another (SageMaker: up to {limit})\n")
    for index, hyperparameters in enumerate(trials, start=1):
        trial = Step(f"{step.name}-{index:03d}", "Training", {"Arguments": {}}, branch=step.branch)
        props = run_training(trial, training_request(args, hyperparameters), ctx)
        value = _objective(ctx.log(trial), regex)
        summaries.append(
            {
                "TrainingJobName": props["TrainingJobName"],
                "TrainingJobArn": props["TrainingJobArn"],
                "TrainingJobStatus": "Completed",
                "TunedHyperParameters": hyperparameters,
                **(
                    {"FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": metric, "Value": value}}
                    if value is not None
                    else {"ObjectiveStatus": "Failed"}
                ),
            }
        )
        with open(ctx.log(step), "a") as handle:
            handle.write(f"{props['TrainingJobName']} {hyperparameters}: {metric} = {value}\n")
    scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    if not scored:
        raise StepFailed(f"no training job logged the objective metric {metric!r} (regex {regex!r})")
    scored.sort(
        key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], reverse=direction == "Maximize"
    )
    job = ctx.job_name(step)
    return {
        **args,
        "HyperParameterTuningJobName": job,
        "HyperParameterTuningJobArn": f"{ARN_PREFIX}:hyper-parameter-tuning-job/{job}",
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": scored[0],
        "TrainingJobSummaries": scored + [s for s in summaries if s not in scored],
    }


# ----------------------------------------------------------------------------------------------------------
# Model, Transform
# ----------------------------------------------------------------------------------------------------------


def run_model(step: Step, args: dict, ctx: RunContext) -> dict:
    container = args.get("PrimaryContainer") or (args.get("Containers") or [{}])[0]
    data = container.get("ModelDataUrl")
    if data and not ctx.store.exists(data):
        raise ctx.store.missing(data, f"ModelDataUrl of step '{step.name}':")
    record = {"PrimaryContainer": container, "fingerprint": ctx.store.fingerprint(data) if data else ""}
    # A content-addressed name: the same container and model data give the same model (and cache hits below).
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
    name = f"{re.sub(r'[^A-Za-z0-9-]', '-', step.name)[:40]}-{digest}"
    ctx.models_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.models_dir / f"{name}.json"
    reused = path.is_file()
    if not reused:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True))
        os.replace(tmp, path)
    return {**args, "ModelName": name, "ModelArn": f"{ARN_PREFIX}:model/{name.lower()}", "_reused": reused}


def load_model(ctx: RunContext, name: str, step: Step) -> dict:
    path = ctx.models_dir / f"{name}.json"
    reused = path.is_file()
    if not reused:
        raise StepFailed(f"ValidationException: Could not find model \"{name}\" (step '{step.name}')")
    return json.loads(path.read_text())["PrimaryContainer"]


def run_transform(step: Step, args: dict, ctx: RunContext) -> dict:
    container = load_model(ctx, args["ModelName"], step)
    root, base = ctx.job_dirs(step)
    job = ctx.job_name(step)
    env = {k: str(v) for k, v in container.get("Environment", {}).items()}
    if container.get("ModelDataUrl"):
        extract_tar_gz(
            ctx.store.read_bytes(container["ModelDataUrl"], "model data"), root / "model", container["ModelDataUrl"]
        )
    else:
        (root / "model").mkdir()
    program = env.get("SAGEMAKER_PROGRAM")
    if not program:
        ctx.finish_job(base)
        raise StepFailed(
            f"the model {args['ModelName']} has no SAGEMAKER_PROGRAM: the local runner serves models "
            "through the inference toolkit's handlers (model_fn, input_fn, ...) only"
        )
    submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
    if submit.startswith("s3://"):
        extract_tar_gz(ctx.store.read_bytes(submit, "SAGEMAKER_SUBMIT_DIRECTORY"), root / "code", submit)
        code_dir = "/opt/ml/code"
    else:
        code_dir = submit
    code_host = inside(root, code_dir, "SAGEMAKER_SUBMIT_DIRECTORY")
    if not (code_host / program).is_file():
        ctx.finish_job(base)
        raise StepFailed(f"ClientError: SAGEMAKER_PROGRAM {program} is not in {submit}")
    timeout = _timeout(args)
    if (code_host / "requirements.txt").is_file():
        status = ctx.run(
            step, root, base, ["python", "-m", "pip", "install", "-r", "requirements.txt"], env, code_dir, timeout
        )
        if status != 0:
            ctx.finish_job(base)
            raise StepFailed(
                f"ClientError: installing {code_dir}/requirements.txt failed (offline: install them into "
                f"{ctx.interpreter} first, or run with --pip-index)"
            )
    transform_input = args["TransformInput"]
    source = transform_input["DataSource"]["S3DataSource"]
    staged = base / "input"
    ctx.store.copy_to(
        source["S3Uri"], staged, f"input of step '{step.name}':", manifest=source.get("S3DataType") == "ManifestFile"
    )
    inputs = sorted((p.relative_to(staged).as_posix(), str(p)) for p in staged.rglob("*") if p.is_file())
    out_dir = base / "output"
    out_dir.mkdir()
    processing = args.get("DataProcessing", {})
    split = transform_input.get("SplitType", "None")
    strategy = args.get("BatchStrategy") or ("MultiRecord" if split == "Line" else "SingleRecord")
    max_mb = int(args.get("MaxPayloadInMB", 6) or 6)
    spec = {
        "code_dir": code_dir,
        "program": program,
        "model_dir": "/opt/ml/model",
        "inputs": inputs,
        "out_dir": str(out_dir),
        "split": split,
        "strategy": strategy,
        "max_bytes": max_mb * 1024 * 1024,
        "assemble": args["TransformOutput"].get("AssembleWith", "None"),
        "content_type": transform_input.get("ContentType", ""),
        "accept": args["TransformOutput"].get("Accept")
        or env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json"),
        "join_source": processing.get("JoinSource", "None"),
        "failure_file": str(base / "failure"),
    }
    (base / "spec.json").write_text(json.dumps(spec))
    env.update(
        {
            "SAGEMAKER_BATCH": "True",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(max_mb),
            "SAGEMAKER_BATCH_STRATEGY": "MULTI_RECORD" if strategy == "MultiRecord" else "SINGLE_RECORD",
            "SAGEMAKER_PROGRAM": program,
            "SAGEMAKER_SUBMIT_DIRECTORY": submit,
        }
    )
    env.update({k: str(v) for k, v in args.get("Environment", {}).items()})
    status = ctx.run(step, root, base, ["python", str(WORKER), str(base / "spec.json")], env, "/opt/ml/model", timeout)
    if status != 0:
        failure = base / "failure"
        reason = failure.read_text().strip() if failure.is_file() else f"the model server exited with code {status}"
        ctx.finish_job(base)
        raise StepFailed(reason)
    output_path = args["TransformOutput"]["S3OutputPath"].rstrip("/")
    for rel, _ in inputs:
        ctx.store.put_file(f"{output_path}/{rel}.out", out_dir / f"{rel}.out", move=True)
    ctx.finish_job(base)
    return {
        **args,
        "TransformJobName": job,
        "TransformJobArn": f"{ARN_PREFIX}:transform-job/{job}",
        "TransformJobStatus": "Completed",
    }


# ----------------------------------------------------------------------------------------------------------
# RegisterModel, Condition, Fail
# ----------------------------------------------------------------------------------------------------------


def run_register(step: Step, args: dict, ctx: RunContext) -> dict:
    group = args.get("ModelPackageGroupName")
    if not group:
        raise StepFailed(
            "ValidationException: ModelPackageGroupName is required (the local registry has no unversioned packages)"
        )
    status = args.get("ModelApprovalStatus", "PendingManualApproval")
    if status not in APPROVAL_STATUSES:
        raise StepFailed(
            f"ValidationException: ModelApprovalStatus {status!r} is not one of {', '.join(APPROVAL_STATUSES)}"
        )
    spec = args.get("InferenceSpecification", {})
    containers = []
    for container in spec.get("Containers", []):
        data = container.get("ModelDataUrl")
        if data and not ctx.store.exists(data):
            raise ctx.store.missing(data, "ModelDataUrl")
        containers.append({**container, "ModelDataSha256": ctx.store.fingerprint(data) if data else ""})
    metrics: dict[str, Any] = {}
    for kind, sources in sorted(args.get("ModelMetrics", {}).items()):
        for name, source in sorted((sources or {}).items()):
            if isinstance(source, dict) and "S3Uri" in source:
                what = f"ModelMetrics.{kind}.{name} report"
                data = ctx.store.read_bytes(source["S3Uri"], what)
                if "json" in source.get("ContentType", "application/json"):
                    try:
                        metrics[f"{kind}.{name}"] = json.loads(data)
                    except ValueError as exc:
                        raise StepFailed(f"{what} {source['S3Uri']} is not valid JSON: {exc}") from None
                else:
                    metrics[f"{kind}.{name}"] = data.decode("utf-8", "replace")
    content = {
        "group": group,
        "approvalStatus": status,
        "description": args.get("ModelPackageDescription", ""),
        "containers": containers,
        "supportedContentTypes": spec.get("SupportedContentTypes", []),
        "supportedResponseMIMETypes": spec.get("SupportedResponseMIMETypes", []),
        "metrics": metrics,
        "customerMetadata": args.get("CustomerMetadataProperties", {}),
    }
    version, reused = ctx.registry.register(
        content, {"pipeline": ctx.pipeline, "execution": ctx.execution_id, "step": step.name}
    )
    arn = f"{ARN_PREFIX}:model-package/{group.lower()}/{version}"
    return {
        **args,
        "ModelPackageArn": arn,
        "ModelPackageVersion": version,
        "ModelPackageStatus": "Completed",
        "_reused": reused,
        "_registered": {
            "group": group,
            "version": version,
            "approvalStatus": status,
            "metrics": metrics.get("ModelQuality.Statistics", next(iter(metrics.values()), None)),
            "reused": reused,
        },
    }


def run_condition(step: Step, args: dict, ctx: RunContext, scope: Scope) -> dict:
    outcome = all(scope.condition(c) for c in step.arguments.get("Conditions", []))
    return {"Outcome": outcome}


def run_fail(step: Step, args: dict, ctx: RunContext) -> dict:
    message = args.get("ErrorMessage", "")
    raise StepFailed(str(message) if message != "" else f"Fail step '{step.name}' reached")


EXECUTORS: dict[str, Callable[..., dict]] = {
    "Processing": run_processing,
    "Training": run_training,
    "Tuning": run_tuning,
    "Model": run_model,
    "Transform": run_transform,
    "RegisterModel": run_register,
    "Fail": run_fail,
}
