"""The compiler's front door: a checked graph in, a pipeline definition and its asset manifest out.

No AWS account, credentials or network: see :mod:`constructs_lib.compiler.session`. Deterministic: the
same configs and bindings give byte-identical output.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from constructs_lib.compiler.session import offline_session, sdk_noise_silenced  # first: offline SDK
from constructs_lib.compiler.assets import AssetCollector
from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.compiler.context import CompileContext, make_parameters
from constructs_lib.compiler.result import CompiledPipeline
from constructs_lib.compiler.checks import run_time_checks
from constructs_lib.compiler.steps import BUILDERS
from constructs_lib.compiler.naming import model_package_groups
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.errors import ConfigError
from constructs_lib.graph.model import PipelineGraph
from sagemaker.mlops.workflow.pipeline import Pipeline

#: SageMaker's limit on a pipeline definition (CreatePipeline/UpdatePipeline ``PipelineDefinition``).
DEFINITION_LIMIT = 1_048_576


def compile_pipeline(project: ProjectConfig, graph: PipelineGraph, bindings: InfraBindings | None = None) -> CompiledPipeline:
    """Compile the graph into a SageMaker pipeline definition; :class:`ConfigError` on any problem."""
    bindings = bindings or InfraBindings.from_settings(project.settings)
    session = offline_session(bindings.sdk_region, bindings.bucket)
    ctx = CompileContext(project=project, graph=graph, bindings=bindings, session=session,
                         assets=AssetCollector(project.root, bindings.bucket), parameters=make_parameters(project))
    steps: list[Any] = []
    with sdk_noise_silenced():
        for node in graph.topological_order():
            steps += BUILDERS[node.step_class](ctx, node)
        run_time_checks(ctx)
        if ctx.problems:
            raise ConfigError(ctx.problems)
        # No SageMaker Experiments trial per execution: it needs extra permissions and nothing uses it.
        pipeline = Pipeline(name=project.pipeline.pipelineName, parameters=list(ctx.parameters.values()),
                            steps=steps, sagemaker_session=session, pipeline_experiment_config=None)
        definition = pipeline.definition()
    if len(definition) > DEFINITION_LIMIT:
        raise ConfigError([project.pipeline_problem(
            ("pipelineName",), f"the compiled definition has {len(definition):,} characters, over SageMaker's "
            f"limit of {DEFINITION_LIMIT:,}", "split the modeling units into several pipelines (one anchor file each)")])
    groups = model_package_groups(project, graph)
    return CompiledPipeline(name=project.pipeline.pipelineName, definition=definition, assets=ctx.assets.entries(),
                            bindings=bindings, model_package_groups=groups, step_count=len(graph.nodes),
                            warnings=tuple(sorted(ctx.warnings)))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(compiled: CompiledPipeline) -> tuple[str, str]:
    """(pretty definition JSON, manifest JSON): stable text for files and golden tests."""
    definition = json.dumps(json.loads(compiled.definition), indent=2) + "\n"
    manifest = json.dumps(compiled.manifest(), indent=2) + "\n"
    return definition, manifest


def check_pipeline(project: ProjectConfig, graph: PipelineGraph, regions: tuple[str, ...] = ()) -> CompiledPipeline:
    """The ``validate`` command's check: compile as ``definition`` does and, for each region the project deploys
    to (``regions``: the cdk.json environments' when SMP_REGION is unset), as the CDK app does there (images are
    resolved for and checked against the region). :class:`ConfigError` with every problem of every region."""
    base = InfraBindings.from_settings(project.settings)
    runs = [base] + [base.with_(image_region=r, sdk_region=r) for r in regions if r != base.image_region]
    problems, warnings, first = [], set(), None
    for index, bindings in enumerate(runs):
        try:
            compiled = compile_pipeline(project, graph, bindings)
        except ConfigError as error:
            problems += error.problems
            continue
        first = first or compiled
        if index or len(runs) == 1:  # with deployment regions, the region-less run's warnings say nothing new
            warnings |= set(compiled.warnings)
    if problems:
        raise ConfigError(problems)
    return replace(first, warnings=tuple(sorted(warnings)))


def print_warnings(compiled: CompiledPipeline) -> None:
    import sys

    for warning in compiled.warnings:
        print(warning.format(), file=sys.stderr)


def write_definition(project: ProjectConfig, graph: PipelineGraph, out: Path | None) -> int:
    """The ``definition`` command: to ``out`` (+ ``<out>.assets.json``), or a wrapper on stdout."""
    import sys

    compiled = compile_pipeline(project, graph)
    print_warnings(compiled)
    definition, manifest = render(compiled)
    if out is None:
        wrapper = {"definition": json.loads(compiled.definition), "manifest": compiled.manifest()}
        sys.stdout.write(json.dumps(wrapper, indent=2) + "\n")
        return 0
    manifest_path = out.with_name(out.name + ".assets.json")
    _write_atomically(out, definition)
    _write_atomically(manifest_path, manifest)
    print(f"wrote {out} ({len(compiled.definition):,} characters, {compiled.step_count} steps) and {manifest_path} "
          f"({len(compiled.assets)} assets)", file=sys.stderr)
    return 0
