"""SageMaker's limits on names, keys, lengths and ranges, checked on the config before anything is deployed.

The limits come from botocore's SageMaker service model (the request shapes of CreatePipeline,
CreateProcessingJob, CreateTrainingJob, CreateModel, CreateModelPackage(Group)...): each config value is
checked against the shape of the API member it becomes. ``sagemaker_limits.py`` holds the few shapes used,
so that ``validate`` needs no botocore import; ``python -m constructs_lib.config.limits`` rewrites it from the
installed botocore, and a unit test fails when the two disagree.

Messages are for people: "at most 63 characters, got 70", not the regular expression.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constructs_lib.config.kinds import KINDS
from constructs_lib.config.sagemaker_limits import SAGEMAKER_LIMITS
from constructs_lib.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from constructs_lib.config.loader import ProjectConfig

LIMITS_FILE = Path(__file__).with_name("sagemaker_limits.py")

#: The botocore shapes whose limits are checked (kept in ``sagemaker_limits.py``).
SHAPES = (
    "PipelineName",
    "PipelineDescription",
    "PipelineParameterName",
    "EntityName",
    "EntityDescription",
    "ProcessingEnvironmentKey",
    "ProcessingEnvironmentValue",
    "ProcessingEnvironmentMap",
    "TrainingEnvironmentKey",
    "TrainingEnvironmentValue",
    "TrainingEnvironmentMap",
    "EnvironmentKey",
    "EnvironmentValue",
    "EnvironmentMap",
    "HyperParameterKey",
    "HyperParameterValue",
    "HyperParameters",
    "TagKey",
    "TagValue",
    "TagList",
    "ProcessingMaxRuntimeInSeconds",
    "MaxRuntimeInSeconds",
    "InvocationsTimeoutInSeconds",
    "S3Uri",
    "Url",
    "ContentType",
    "ContainerImage",
    "JsonPath",
    "ProcessingInstanceType",
    "TrainingInstanceType",
    "TransformInstanceType",
    "ProductionVariantInstanceType",
)

#: What each pattern means, in words.
_PATTERN_WORDS = {
    "PipelineName": "letters, digits and hyphens, starting and ending with a letter or digit",
    "EntityName": "letters, digits and hyphens, starting and ending with a letter or digit",
    "PipelineParameterName": "letters, digits, '-' and '_'",
    "ProcessingEnvironmentKey": "letters, digits and '_', not starting with a digit",
    "TrainingEnvironmentKey": "letters, digits and '_', not starting with a digit",
    "EnvironmentKey": "letters, digits and '_', not starting with a digit",
    "TagKey": "letters, digits, spaces and _ . : / = + - @",
    "TagValue": "letters, digits, spaces and _ . : / = + - @",
    "EntityDescription": "printable characters",
    "S3Uri": "an s3://bucket/key URI",
    "Url": "an s3://bucket/key URI",
    "ContainerImage": "an image URI without spaces",
}

# S3 bucket naming rules (not in the SageMaker model):
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def limits() -> Mapping[str, Mapping[str, Any]]:
    """``{shape name: {"type", "min", "max", "pattern"}}`` as botocore gives them."""
    return SAGEMAKER_LIMITS


def limits_from_botocore() -> dict[str, dict[str, Any]]:
    """The same table, read from the installed botocore (the source of truth)."""
    import botocore.loaders

    shapes = botocore.loaders.create_loader().load_service_model("sagemaker", "service-2")["shapes"]
    return {
        name: {k: shapes[name][k] for k in ("type", "min", "max", "pattern", "enum") if k in shapes[name]}
        for name in SHAPES
    }


def render_limits_module(table: Mapping[str, Mapping[str, Any]]) -> str:
    body = json.dumps(table, indent=4, sort_keys=True)
    return (
        '"""SageMaker shape limits copied from botocore\'s service model by ``python -m constructs_lib.config.limits``.\n\n'
        'Do not edit: regenerate. tests/unit/config/test_limits.py checks it against the installed botocore.\n"""\n\n'
        "from typing import Any\n\n"
        f"SAGEMAKER_LIMITS: dict[str, dict[str, Any]] = {body}\n"
    )


def _char_class_match(pattern: str, value: str) -> bool | None:
    r"""Match a pattern of the form ``([...]*)`` holding ``\p{X}`` classes, which Python's ``re`` lacks."""
    found = re.fullmatch(r"\(?\[(.*)\]\*\)?", pattern)
    if not found:
        return None
    body = found.group(1)
    categories = re.findall(r"\\p\{(\w)\}", body)
    literal = re.sub(r"\\p\{\w\}", "", body).replace("\\-", "-").replace("\\", "")
    return all(unicodedata.category(c)[0] in categories or c in literal for c in value)


def matches(shape: str, value: str) -> bool:
    pattern = limits()[shape].get("pattern")
    if not pattern:
        return True
    if "\\p{" in pattern:
        result = _char_class_match(pattern, value)
        return True if result is None else result
    try:
        return re.fullmatch(pattern, value, re.S) is not None
    except re.error:  # pragma: no cover - a pattern Python cannot read is not checked
        return True


def check_string(shape: str, value: str, what: str = "") -> Iterator[str]:
    """Why ``value`` does not fit the string shape (nothing when it does); ``what`` prefixes the message."""
    limit = limits()[shape]
    prefix = f"{what} " if what else ""
    if len(value) > limit.get("max", math.inf):
        yield f"{prefix}at most {limit['max']:,} characters, got {len(value):,}"
    elif len(value) < limit.get("min", 0):
        yield f"{prefix}must not be empty"
    elif "${" not in value and not matches(shape, value):
        words = _PATTERN_WORDS.get(shape, f"match the pattern {limit.get('pattern')}")
        yield f"{prefix}must be {words} (got {_show(value)!r})"


def check_instance_type(shape: str, value: str, what: str) -> tuple[list[str], str]:
    """(messages, hint) when ``value`` is not one of the instance types SageMaker offers for ``what``."""
    known = limits()[shape].get("enum", [])
    if "${" in value or not known or value in known:
        return [], ""
    return [f"{value!r} is not an instance type for {what}"], did_you_mean(value, known, what="types")


def check_number(shape: str, value: Any, unit: str = "") -> Iterator[str]:
    limit = limits()[shape]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if value > limit.get("max", math.inf):
        yield f"at most {limit['max']:,}{unit} is allowed by SageMaker, got {value:,}"
    elif value < limit.get("min", -math.inf):
        yield f"at least {limit['min']:,}{unit}, got {value:,}"


def check_count(shape: str, count: int, what: str) -> Iterator[str]:
    limit = limits()[shape]
    if count > limit.get("max", math.inf):
        yield f"at most {limit['max']} {what}, got {count}"


def bucket_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name (None: it is, or it is a reference)."""
    if "${" in name:
        return None
    if not name:
        return "the s3:// URI has no bucket name"
    if not 3 <= len(name) <= 63:
        return f"bucket name '{_show(name)}' must be 3-63 characters, got {len(name)}"
    if not _BUCKET.match(name) or ".." in name or _IP.match(name):
        return (
            f"bucket name '{_show(name)}' must be lowercase letters, digits, '.' and '-', starting and ending "
            "with a letter or digit"
        )
    return None


def s3_uri_problems(uri: str) -> Iterator[str]:
    problem = bucket_problem(uri[len("s3://") :].split("/", 1)[0]) if uri.startswith("s3://") else None
    if problem:
        yield problem
    else:
        yield from check_string("S3Uri", uri)


def _show(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def default_group_name(pipeline_name: str, model: str) -> str:
    """The model package group of a model without ``registry.ModelPackageGroupName``: ``<pipeline>-<model>``,
    cut to SageMaker's 63 characters (the compiler uses the same rule)."""
    return f"{pipeline_name}-{model}"[:63].rstrip("-")


def limit_problems(project: ProjectConfig) -> list[Problem]:
    """Every config value that SageMaker would refuse at deploy or run time, located at its key."""
    problems: list[Problem] = []
    pipeline = project.pipeline

    def at_pipeline(key: tuple, messages: Iterator[str], hint: str = "") -> None:
        problems.extend(project.pipeline_problem(key, m, hint) for m in messages)

    at_pipeline(("pipelineName",), check_string("PipelineName", pipeline.pipelineName))
    if pipeline.description is not None:
        at_pipeline(("description",), check_string("PipelineDescription", pipeline.description))
    for index, parameter in enumerate(pipeline.parameters):
        at_pipeline(("parameters", index, "name"), check_string("PipelineParameterName", parameter.name))
    at_pipeline(("tags",), check_count("TagList", len(pipeline.tags), "tags"))
    for key, value in pipeline.tags.items():
        at_pipeline(("tags", key), check_string("TagKey", key, "tag key:"))
        at_pipeline(("tags", key), check_string("TagValue", value, "tag value:"))

    groups: dict[str, str] = {}
    for model, config in project.models.items():
        raw = project.docs[project.model_files[model]].data["conf"]["models"][model]

        def at(key: tuple, messages: Iterator[str], hint: str = "", model: str = model) -> None:
            problems.extend(project.model_problem(model, key, m, hint) for m in messages)

        for kind in KINDS.values():
            section = kind.section_of(config)
            if section is None or kind.limits is None:
                continue
            attr, shapes = kind.section, kind.limits
            env_shape, runtime_key, runtime_shape, type_shape, jobs = (
                shapes.env,
                shapes.runtime_key,
                shapes.runtime,
                shapes.instance_type,
                shapes.jobs,
            )
            name = "processing" if attr == "preprocess" and isinstance(raw, dict) and "processing" in raw else attr
            at((name, "env"), check_count(env_shape + "Map", len(section.env), "environment variables"))
            for key, value in section.env.items():
                at((name, "env", key), check_string(env_shape + "Key", key, "variable name:"))
                at((name, "env", key), check_string(env_shape + "Value", value, "value:"))
            unit = " seconds" + (" (9 days)" if runtime_shape == "ProcessingMaxRuntimeInSeconds" else "")
            at((name, runtime_key), check_number(runtime_shape, getattr(section, runtime_key), unit))
            if isinstance(section.image_uri, str):  # a short form resolves to a URI from the SDK's own tables
                at((name, "image_uri"), check_string("ContainerImage", section.image_uri))
            messages, hint = check_instance_type(type_shape, section.instance_type, jobs)
            at((name, "instance_type"), iter(messages), hint)
            if hasattr(section, "content_type"):
                at((name, "content_type"), check_string("ContentType", section.content_type))
            if section.tags:  # the pipeline's own tags are checked above
                at(
                    (name, "tags"),
                    check_count("TagList", len({**pipeline.tags, **section.tags}), "tags (with the pipeline's)"),
                )
            for key, value in section.tags.items():
                at((name, "tags", key), check_string("TagKey", key, "tag key:"))
                at((name, "tags", key), check_string("TagValue", value, "tag value:"))
            for key in ("input_filter", "output_filter"):
                if getattr(section, key, None):
                    at((name, key), check_string("JsonPath", getattr(section, key)))
            for channel, body in section.channels.items():
                if body.s3BucketName:
                    bad = bucket_problem(body.s3BucketName)
                    if bad:
                        at((name, "channels", channel, "s3BucketName"), iter([bad]))
                for index, data_file in enumerate(body.dataFiles or []):
                    if "://" in data_file.fileName:
                        at(
                            (name, "channels", channel, "dataFiles", index, "fileName"),
                            s3_uri_problems(data_file.fileName),
                            "write s3://<bucket>/<key>",
                        )
        if config.train is not None:
            at(
                ("train", "hyperparams"),
                check_count("HyperParameters", len(config.train.hyperparams), "hyperparameters"),
            )
            for key, value in config.train.hyperparams.items():
                at(("train", "hyperparams", key), check_string("HyperParameterKey", key, "name:"))
                at(("train", "hyperparams", key), check_string("HyperParameterValue", value, "value:"))
            if config.train.model_data_uri:
                at(("train", "model_data_uri"), s3_uri_problems(config.train.model_data_uri))
        registry = config.registry
        if registry is not None:
            spec = registry.InferenceSpecification
            if isinstance(spec.image_uri, str):
                at(("registry", "InferenceSpecification", "image_uri"), check_string("ContainerImage", spec.image_uri))
            for key in ("supported_content_types", "supported_response_MIME_types"):
                for index, value in enumerate(getattr(spec, key)):
                    at(("registry", "InferenceSpecification", key, index), check_string("ContentType", value))
            for key, type_shape, jobs in (
                ("supported_transform_instance_types", "TransformInstanceType", "Transform jobs"),
                ("supported_realtime_inference_instance_types", "ProductionVariantInstanceType", "real-time endpoints"),
            ):
                for index, value in enumerate(getattr(spec, key)):
                    messages, hint = check_instance_type(type_shape, value, jobs)
                    at(("registry", "InferenceSpecification", key, index), iter(messages), hint)
            serving_env = getattr(registry, "env", None) or {}  # the serving container's (CreateModelPackage)
            at(("registry", "env"), check_count("EnvironmentMap", len(serving_env), "environment variables"))
            for key, value in serving_env.items():
                at(("registry", "env", key), check_string("EnvironmentKey", key, "variable name:"))
                at(("registry", "env", key), check_string("EnvironmentValue", value, "value:"))
            if registry.ModelPackageDescription is not None:
                at(
                    ("registry", "ModelPackageDescription"),
                    check_string("EntityDescription", registry.ModelPackageDescription),
                )
            group_key: tuple = ("registry", "ModelPackageGroupName")
            if registry.ModelPackageGroupName:
                group = registry.ModelPackageGroupName
                at(group_key, check_string("EntityName", group))
            else:
                group, group_key = default_group_name(pipeline.pipelineName, model), ("registry",)
                at(
                    group_key,
                    check_string("EntityName", group, "the default model package group name <pipelineName>-<model>"),
                    "set registry.ModelPackageGroupName",
                )
            if group in groups and _registers(pipeline, model) and _registers(pipeline, groups[group]):
                at(
                    group_key,
                    iter([f"model package group '{group}' is also the group of model '{groups[group]}'"]),
                    "each model registers into its own group: set registry.ModelPackageGroupName "
                    "(the default <pipelineName>-<model> is cut to 63 characters)",
                )
            groups.setdefault(group, model)
    return problems


def _registers(pipeline: Any, model: str) -> bool:
    """``model`` has a RegisterModel step in ``pipeline`` (a model shared with another pipeline may only be
    preprocessed in this one)."""
    unit = pipeline.models.get(model)
    return unit is not None and any(step.step_class == "RegisterModel" for step in unit.steps)


def main() -> None:  # pragma: no cover - maintenance command
    """Rewrite ``sagemaker_limits.py`` from the installed botocore."""
    LIMITS_FILE.write_text(render_limits_module(limits_from_botocore()), encoding="utf-8")
    print(f"wrote {LIMITS_FILE}")


if __name__ == "__main__":  # pragma: no cover
    main()
