"""``explain``: what a script author needs to know about each step, read from the compiled definition itself.

Per step: the image, the command the container runs, where its code comes from, where each input lands and
what it holds, where each output is taken from and where it goes, the training channels and environment
variables. Everything is read from the definition and the asset manifest (the same facts SageMaker gets).
"""

from __future__ import annotations

import json
import re
from typing import Any

from constructs_lib.compiler.result import CompiledPipeline

_OUTPUT = re.compile(
    r"^Steps\.(?P<step>[^.]+)\.ProcessingOutputConfig\.Outputs\['(?P<channel>[^']+)'\]\.S3Output\.S3Uri$"
)


def describe(value: Any, assets: dict[str, dict]) -> str:
    """A pipeline expression in words: ``output 'train' of Prep``, ``model of Train``, a local file..."""
    if isinstance(value, dict) and "Get" in value:
        ref = value["Get"]
        match = _OUTPUT.match(ref)
        if match:
            return f"output '{match['channel']}' of {match['step']}"
        if ref.endswith(".ModelArtifacts.S3ModelArtifacts"):
            return f"model.tar.gz of {ref.split('.')[1]}"
        if ref.endswith(".TransformOutput.S3OutputPath"):
            return f"output of {ref.split('.')[1]}"
        if ref.startswith("Parameters."):
            return f"${{params.{ref.split('.', 1)[1]}}}"
        if ref == "Execution.PipelineExecutionId":
            return "<execution id>"
        return ref
    if isinstance(value, dict) and "Std:Join" in value:
        return value["Std:Join"]["On"].join(describe(v, assets) for v in value["Std:Join"]["Values"])
    if isinstance(value, str) and value in assets:
        asset = assets[value]
        if asset["kind"] == "generated":
            return f"{asset['object']} (generated)"
        layout = f", {asset['entryDir']}/ at its root" if asset.get("entryDir") else ""
        return f"{asset['localPath']} ({asset['object']}{layout})"
    return str(value)


def _environment(env: dict[str, Any], assets: dict[str, dict]) -> list[str]:
    return [f"{k}={describe(v, assets)}" for k, v in sorted(env.items())]


def _bootstrap_command(uri: Any, assets: dict[str, dict]) -> str:
    asset = assets.get(uri) if isinstance(uri, str) else None
    if asset is None or asset["kind"] != "generated":
        return ""
    return asset["content"].rstrip("\n").rsplit("\n", 1)[-1]


def _step(step: dict, assets: dict[str, dict]) -> list[str]:
    args, kind = step.get("Arguments", {}), step["Type"]
    lines = [f"{step['Name']}  ({kind})"]

    def row(label: str, values: list[str]) -> None:
        for i, value in enumerate(values):
            lines.append(f"  {label if i == 0 else '':<9} {value}")

    if kind == "Processing":
        app = args["AppSpecification"]
        inputs = args.get("ProcessingInputs", [])
        row("image", [app["ImageUri"]])
        command = " ".join(app.get("ContainerEntrypoint", []) + app.get("ContainerArguments", []))
        boot = next((i["S3Input"]["S3Uri"] for i in inputs if i["InputName"] == "entrypoint"), None)
        then = _bootstrap_command(boot, assets)
        detail = f"-> cd /opt/ml/processing/input/code; untar sourcedir.tar.gz; install requirements.txt if any; {then}"
        row("command", [command] + ([detail] if then else []))
        row("inputs", [f"{i['S3Input']['LocalPath']}  <- {describe(i['S3Input']['S3Uri'], assets)}" for i in inputs])
        row(
            "outputs",
            [
                f"{o['S3Output']['LocalPath']}  -> {describe(o['S3Output']['S3Uri'], assets)}  "
                f"(output '{o['OutputName']}')"
                for o in args["ProcessingOutputConfig"]["Outputs"]
            ],
        )
        row("env", _environment(args.get("Environment", {}), assets))
    elif kind in ("Training", "Tuning"):
        if kind == "Tuning":  # each training job of the tuning job: its definition plus the trial's values
            config = args["HyperParameterTuningJobConfig"]
            objective = config.get("HyperParameterTuningJobObjective", {})
            limits = config.get("ResourceLimits", {})
            row(
                "tuning",
                [
                    f"{config['Strategy']}: {limits.get('MaxNumberOfTrainingJobs', '?')} training jobs, "
                    f"{limits.get('MaxParallelTrainingJobs', 1)} at once; {objective.get('Type')} "
                    f"{objective.get('MetricName')}"
                ],
            )
            ranges = config.get("ParameterRanges", {})
            row(
                "ranges",
                [
                    f"--{r['Name']} {r['MinValue']}..{r['MaxValue']} ({kind_name.removesuffix('ParameterRanges')})"
                    for kind_name in ("IntegerParameterRanges", "ContinuousParameterRanges")
                    for r in ranges.get(kind_name, [])
                ]
                + [
                    f"--{r['Name']} one of {', '.join(r['Values'])}"
                    for r in ranges.get("CategoricalParameterRanges", [])
                ],
            )
            definition = args["TrainingJobDefinition"]
            args = {**definition, "HyperParameters": definition.get("StaticHyperParameters", {})}
        hps = dict(args.get("HyperParameters", {}))
        program, code = hps.pop("sagemaker_program", None), hps.pop("sagemaker_submit_directory", None)
        row("image", [describe(args["AlgorithmSpecification"]["TrainingImage"], assets)])
        arguments = " ".join(f"--{k} {describe(v, assets)}" for k, v in sorted(hps.items()))
        row(
            "command",
            [
                f"python {program} {arguments}".rstrip() + "   (in /opt/ml/code; requirements.txt "
                "installed first if present)"
            ],
        )
        row("code", [f"/opt/ml/code  <- {describe(code, assets)}"])
        row(
            "channels",
            [
                f"/opt/ml/input/data/{c['ChannelName']}  (SM_CHANNEL_{c['ChannelName'].upper()})  <- "
                f"{describe(c['DataSource']['S3DataSource']['S3Uri'], assets)}"
                for c in args["InputDataConfig"]
            ],
        )
        model_uri = describe(args["OutputDataConfig"]["S3OutputPath"], assets)
        row("outputs", [f"/opt/ml/model  -> {model_uri}/<job>/output/model.tar.gz"])
        row("env", _environment(args.get("Environment", {}), assets))
    elif kind in ("Model", "RegisterModel"):
        container = args["PrimaryContainer"] if kind == "Model" else args["InferenceSpecification"]["Containers"][0]
        row("image", [describe(container["Image"], assets)])
        row("model", [f"/opt/ml/model  <- {describe(container.get('ModelDataUrl'), assets)}"])
        row("env", _environment(container.get("Environment", {}), assets))
        metrics = args.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics")
        if metrics:
            row("metrics", [describe(metrics["S3Uri"], assets)])
    elif kind == "Transform":
        row("model", [describe(args["ModelName"], assets)])
        row("input", [describe(args["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"], assets)])
        row("output", [describe(args["TransformOutput"]["S3OutputPath"], assets) + "/<input object>.out"])
        row("env", _environment(args.get("Environment", {}), assets))
    elif kind in ("Condition", "Fail"):
        for nested in args.get("IfSteps", []) + args.get("ElseSteps", []):
            lines += [""] + _step(nested, assets)
    return lines


def explain(compiled: CompiledPipeline, only: list[str] | None = None) -> str:
    definition = json.loads(compiled.definition)
    assets = {
        a["placeholderUri"]: {**a, "object": a["placeholderUri"].rsplit("/", 1)[-1]}
        for a in compiled.manifest()["assets"]
    }
    blocks = []
    for step in definition["Steps"]:
        nested = [n["Name"] for n in step.get("Arguments", {}).get("IfSteps", [])]
        if only and step["Name"] not in only and not set(nested) & set(only):
            continue
        blocks.append("\n".join(_step(step, assets)))
    return "\n\n".join(blocks) + "\n"
