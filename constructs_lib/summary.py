"""``summary --cdk-out DIR``: what a synth produced, for humans (no CDK import: reads the cloud assembly)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def _templates(cdk_out: Path) -> list[tuple[str, Path]]:
    """(stack name, template path) of every stack, nested assemblies (delivery stages) included."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    out = []
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") == "aws:cloudformation:stack":
            template = cdk_out / artifact["properties"]["templateFile"]
            out.append((artifact.get("displayName", artifact_id), template))
        elif artifact.get("type") == "cdk:cloud-assembly":
            out += _templates(cdk_out / artifact["properties"]["directoryName"])
    return out


def _steps(definition: object) -> list[str]:
    if isinstance(definition, dict) and "Fn::Sub" in definition:
        definition = definition["Fn::Sub"][0]
    if not isinstance(definition, str):
        return []
    data = json.loads(definition.replace("${!", "${"))
    names = []
    for step in data.get("Steps", []):
        names.append(f"{step['Name']} ({step['Type']})")
        for nested in step.get("Arguments", {}).get("IfSteps", []) + step.get("Arguments", {}).get("ElseSteps", []):
            names.append(f"{nested['Name']} ({nested['Type']}, in {step['Name']})")
    return names


def summarize(cdk_out: Path) -> str:
    lines = []
    for stack, template_path in _templates(cdk_out):
        template = json.loads(template_path.read_text())
        resources = template.get("Resources", {})
        kinds = Counter(r["Type"] for r in resources.values())
        lines.append(
            f"stack {stack}: {template_path} ({len(resources)} resources, {template_path.stat().st_size:,} bytes)"
        )
        for resource in resources.values():
            if resource["Type"] == "AWS::SageMaker::Pipeline":
                props = resource["Properties"]
                steps = _steps(props["PipelineDefinition"].get("PipelineDefinitionBody"))
                lines.append(f"  pipeline {props['PipelineName']}: {len(steps)} steps")
                lines += [f"    - {s}" for s in steps]
        lines.append("  resources: " + ", ".join(f"{n} {k.removeprefix('AWS::')}" for k, n in sorted(kinds.items())))
    return "\n".join(lines) + "\n"
