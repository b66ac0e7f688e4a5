"""Container images in the deployment's region.

SageMaker pulls a job's or model's image from ECR in its own region only: "the Docker image for inference
container in Amazon EC2 Container Registry must be in the same region as the model or endpoint you are
creating" (CreateModel API reference, ``ContainerDefinition``); the framework images of AWS are published
per region, often under another account per region (``sagemaker-scikit-learn`` is 683313688378 in us-east-1,
141502667606 in eu-west-1). So:

* an ECR image URI naming another region than the deployment's (when it is known) is an error, and the hint
  gives the same image in the right region when it is one of the SageMaker SDK's image tables;
* a short form ``image_uri: {framework: sklearn, version: "1.2-1"}`` is resolved for the region, offline,
  by the SageMaker SDK's own tables (``image_uris.retrieve`` reads JSON files shipped with the SDK).

The table look-ups here read the SDK's JSON files directly (no SDK import: the CDK app's main process uses
:func:`ecr_repository` and importing the SDK costs ~2 s); :func:`resolve` imports the SDK's ``retrieve``,
and runs only inside the compiler, which has imported the SDK already.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from constructs_lib.config.schema import ImageRef

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12}|\$\{SMP_ACCOUNTID\})\.dkr\.ecr\.(?P<region>[a-z0-9-]+|\$\{SMP_REGION\})"
    r"\.amazonaws\.com(\.cn)?/(?P<repository>[a-z0-9][a-z0-9._/-]*)(?P<tag>:[\w.-]+|@sha256:[0-9a-f]+)?$"
)
#: What a real region name looks like (placeholders and ``${SMP_REGION}`` are not regions).
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
GPU_FAMILIES = ("ml.p", "ml.g")


@functools.cache
def _config_dir() -> Path:
    spec = importlib.util.find_spec("sagemaker")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the SageMaker SDK is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "core" / "image_uri_config"


@functools.cache
def _table(framework: str) -> dict[str, Any]:
    if not re.fullmatch(r"[a-z0-9-]+", framework):
        raise ValueError(f"unknown framework '{framework}'")
    path = _config_dir() / f"{framework}.json"
    if not path.is_file():
        known = sorted(p.stem for p in _config_dir().glob("*.json"))
        raise ValueError(f"unknown framework '{framework}' (the SageMaker SDK knows: {', '.join(known)})")
    return json.loads(path.read_text())


def _version_entry(ref: ImageRef, scope: str) -> dict[str, Any]:
    table = _table(ref.framework)
    section = table.get(scope, table if "versions" in table else None)
    if section is None:
        raise ValueError(f"'{ref.framework}' has no {scope} images (scopes: {', '.join(sorted(table))})")
    version = section.get("version_aliases", {}).get(ref.version, ref.version)
    entry = section["versions"].get(version)
    if entry is None:
        raise ValueError(
            f"'{ref.framework}' has no {scope} image version '{ref.version}' "
            f"(versions: {', '.join(section['versions'])})"
        )
    return entry


def ecr_repository(ref: ImageRef, region: str, scope: str) -> tuple[str, str, str]:
    """(account, region, repository) of a short-form image in ``region``; ValueError if it does not exist there."""
    entry = _version_entry(ref, scope)
    account = entry.get("registries", {}).get(region)
    if account is None:
        raise ValueError(f"'{ref.framework}' {ref.version} {scope} images are not published in {region}")
    return account, region, entry["repository"]


def resolve(ref: ImageRef, region: str, scope: str, instance_type: str | None) -> str:
    """The full image URI of ``ref`` in ``region`` (ValueError with the SDK's reason when there is none)."""
    ecr_repository(ref, region, scope)  # clear messages for the common mistakes
    from sagemaker.core import (
        image_uris,  # the compiler has imported the SDK already (see the module docstring)
    )

    if ref.processor is not None or not instance_type or not instance_type.startswith("ml."):
        instance_type = "ml.g5.xlarge" if ref.processor == "gpu" else "ml.m5.large"
    try:
        return image_uris.retrieve(
            framework=ref.framework,
            region=region,
            version=ref.version,
            py_version=ref.py_version,
            instance_type=instance_type,
            image_scope=ref.image_scope or scope,
        )
    except (ValueError, KeyError) as error:
        raise ValueError(str(error).strip() or repr(error)) from None


@functools.cache
def _repositories() -> dict[str, dict[str, str]]:
    """ECR repository -> {region: account}, over every image table of the SDK."""
    out: dict[str, dict[str, str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("repository"), str) and isinstance(node.get("registries"), dict):
                out.setdefault(node["repository"], {}).update(node["registries"])
            for value in node.values():
                walk(value)

    for path in sorted(_config_dir().glob("*.json")):
        walk(json.loads(path.read_text()))
    return out


def region_problem(image: str, region: str | None) -> tuple[str, str] | None:
    """(message, hint) when ``image`` is an ECR image of another region than ``region``."""
    match = ECR_IMAGE.match(image)
    if region is None or not REGION.match(region) or match is None or not REGION.match(match["region"]):
        return None
    if match["region"] == region:
        return None
    message = (
        f"image '{image}' is in {match['region']} but the pipeline runs in {region}: SageMaker pulls "
        "images from its own region only"
    )
    accounts = _repositories().get(match["repository"], {})
    if region in accounts:
        same = f"{accounts[region]}.dkr.ecr.{region}.amazonaws.com/{match['repository']}{match['tag'] or ''}"
        return message, f"use '{same}', or the short form image_uri: {{framework: ..., version: ...}}"
    return message, f"push the image to ECR in {region} and use that URI"
