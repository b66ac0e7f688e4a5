"""The compiler's front door: a checked graph in, a pipeline definition and its asset manifest out.

No AWS account, credentials or network: see :mod:`constructs_lib.compiler.session`. Deterministic: the
same configs and bindings give byte-identical output.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from constructs_lib.compiler.session import offline_session, sdk_noise_silenced  # first: offline SDK

# isort: split
from sagemaker.mlops.workflow.pipeline import Pipeline

from constructs_lib.compiler.assets import AssetCollector
from constructs_lib.compiler.bindings import InfraBindings
from constructs_lib.compiler.context import CompileContext, make_parameters
from constructs_lib.compiler.contract import check_definition
from constructs_lib.compiler.naming import model_package_groups
from constructs_lib.compiler.result import CompiledPipeline
from constructs_lib.compiler.rules import run_time_checks
from constructs_lib.config.loader import ProjectConfig
from constructs_lib.errors import ConfigError, Problem
from constructs_lib.graph.model import PipelineGraph

#: SageMaker's limit on a pipeline definition (CreatePipeline/UpdatePipeline ``PipelineDefinition``).
DEFINITION_LIMIT = 1_048_576


def compile_pipeline(
    project: ProjectConfig, graph: PipelineGraph, bindings: InfraBindings | None = None
) -> CompiledPipeline:
    """Compile the graph into a SageMaker pipeline definition; :class:`ConfigError` on any problem."""
    bindings = bindings or InfraBindings.from_settings(project.settings)
    session = offline_session(bindings.sdk_region, bindings.bucket)
    ctx = CompileContext(
        project=project,
        graph=graph,
        bindings=bindings,
        session=session,
        assets=AssetCollector(project.root, bindings.bucket),
        parameters=make_parameters(project),
    )
    steps: list[Any] = []
    with sdk_noise_silenced():
        for node in graph.topological_order():
            steps += node.kind.build()(ctx, node)
        run_time_checks(ctx)
        if ctx.problems:
            raise ConfigError(ctx.problems)
        _raise_name_problems(project, graph, _sdk_step_names(steps))  # the SDK only says "duplicate names"
        # No SageMaker Experiments trial per execution: it needs extra permissions and nothing uses it.
        pipeline = Pipeline(
            name=project.pipeline.pipelineName,
            parameters=list(ctx.parameters.values()),
            steps=steps,
            sagemaker_session=session,
            pipeline_experiment_config=None,
        )
        definition = pipeline.definition()
    if len(definition) > DEFINITION_LIMIT:
        raise ConfigError(
            [
                project.pipeline_problem(
                    ("pipelineName",),
                    f"the compiled definition has {len(definition):,} characters, over SageMaker's "
                    f"limit of {DEFINITION_LIMIT:,}",
                    "split the modeling units into several pipelines (one anchor file each)",
                )
            ]
        )
    _raise_contract_problems(project, graph, definition)
    groups = model_package_groups(project, graph)
    return CompiledPipeline(
        name=project.pipeline.pipelineName,
        definition=definition,
        assets=ctx.assets.entries(),
        bindings=bindings,
        model_package_groups=groups,
        step_count=len(graph.nodes),
        warnings=tuple(sorted(ctx.warnings)),
    )


#: Step names in a definition: SageMaker Pipelines' JSON schema (``Name``: ``^[A-Za-z0-9\-_]*$``, 1-64).
_STEP_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _sdk_step_names(steps: list) -> list[str]:
    """Names of the SDK steps, with those inside step collections and Condition steps."""
    names = []
    for step in steps:
        inner = getattr(step, "steps", None)
        if isinstance(inner, list):  # a StepCollection (ModelStep)
            names += _sdk_step_names(inner)
            continue
        names.append(step.name)
        names += _sdk_step_names(
            list(getattr(step, "if_steps", None) or []) + list(getattr(step, "else_steps", None) or [])
        )
    return names


def _raise_name_problems(project: ProjectConfig, graph: PipelineGraph, names: list[str]) -> None:
    """Step names, including those the compiler generates (a quality gate's Condition and Fail steps), are
    1-64 letters, digits, '-' or '_' and unique once cut to 64 characters."""
    problems, seen = [], set()
    for name in names:
        if not _STEP_NAME.match(name):
            problems.append(
                _at_step(
                    project,
                    graph,
                    name,
                    f"the generated step name '{name}' is not 1-64 letters, digits, '-' or '_'",
                    "shorten step_name",
                )
            )
        elif name in seen:
            problems.append(
                _at_step(
                    project,
                    graph,
                    name,
                    f"two steps of the pipeline would be named '{name}' "
                    "(generated names are cut to SageMaker's 64 characters)",
                    "shorten step_name so that '<step_name>-QualityGateFailed' fits in 64 characters",
                )
            )
        seen.add(name)
    if problems:
        raise ConfigError(problems)


def _raise_contract_problems(project: ProjectConfig, graph: PipelineGraph, definition: str) -> None:
    """The definition checked against SageMaker's API contract (botocore's shapes), each problem located at
    the config step it comes from."""
    parsed = json.loads(definition)
    problems = []
    for problem in check_definition(parsed):
        problems.append(
            _at_step(
                project,
                graph,
                problem.step,
                f"SageMaker would refuse it: {problem.message}"
                + (f" ({problem.operation})" if problem.operation else ""),
            )
        )
    if problems:
        raise ConfigError(problems)


def _at_step(project: ProjectConfig, graph: PipelineGraph, step_name: str, message: str, hint: str = "") -> Problem:
    """A problem at the ``step_name`` key of the config step a definition step comes from (longest prefix)."""
    owners = [n for n in graph.nodes if step_name.startswith(n.name)]
    if not owners:
        return project.pipeline_problem(("pipelineName",), f"step '{step_name}': {message}", hint)
    node = max(owners, key=lambda n: len(n.name))
    return project.pipeline_problem(("models", node.model, "steps", node.index, "step_name"), message, hint)


def _check_outputs(*paths: Path) -> None:
    """Both outputs can be written: neither is a folder, each folder exists or can be made."""
    problems = []
    for path in paths:
        if path.is_dir():
            problems.append(
                Problem(str(path), 0, 0, "", "is a folder", "give --out a file path, e.g. out/definition.json")
            )
        elif path.parent.exists() and not path.parent.is_dir():
            problems.append(Problem(str(path.parent), 0, 0, "", "is not a folder", "give --out a path in a folder"))
    if problems:
        raise ConfigError(problems)


def _write_all(files: list[tuple[Path, str]]) -> None:
    """Write every file or none: each goes to a temporary file beside it first, then all are renamed."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        for tmp, path in temps:
            os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(
            [
                Problem(
                    str(exc.filename or files[0][0]),
                    0,
                    0,
                    "",
                    f"cannot write: {exc.strerror or exc}",
                    "nothing was written",
                )
            ]
        ) from None
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


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
    problems: list[Problem] = []
    warnings: set[Problem] = set()
    first: CompiledPipeline | None = None
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
    assert first is not None  # each run either compiled or added its problems, and there is at least one run
    return replace(first, warnings=tuple(sorted(warnings)))


def print_warnings(compiled: CompiledPipeline) -> None:
    import sys

    for warning in compiled.warnings:
        print(warning.format(), file=sys.stderr)


def write_definition(project: ProjectConfig, graph: PipelineGraph, out: Path | None) -> int:
    """The ``definition`` command: to ``out`` (+ ``<out>.assets.json``), or a wrapper on stdout."""
    import sys

    manifest_path = out.with_name(out.name + ".assets.json") if out is not None else Path()
    if out is not None:
        _check_outputs(out, manifest_path)
    compiled = compile_pipeline(project, graph)
    print_warnings(compiled)
    definition, manifest = render(compiled)
    if out is None:
        wrapper = {"definition": json.loads(compiled.definition), "manifest": compiled.manifest()}
        sys.stdout.write(json.dumps(wrapper, indent=2) + "\n")
        return 0
    _write_all([(out, definition), (manifest_path, manifest)])
    print(
        f"wrote {out} ({len(compiled.definition):,} characters, {compiled.step_count} steps) and {manifest_path} "
        f"({len(compiled.assets)} assets)",
        file=sys.stderr,
    )
    return 0
