"""``python -m constructs_lib <command>``: validate, explain, graph, schema, definition, run.

User errors print ``path:line:col: key.path: what is wrong (hint)`` lines on stderr and exit 2, with no
traceback and nothing written. Heavy imports (SageMaker SDK) happen only in the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from constructs_lib.errors import ConfigError, Problem

if TYPE_CHECKING:  # the commands import these lazily (start-up cost)
    from constructs_lib.config.loader import ProjectConfig
    from constructs_lib.graph.model import PipelineGraph

EXIT_USER_ERROR = 2


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        action="append",
        metavar="GLOB",
        help="model config files (repeatable). Default: $SMP_MODEL_CONFIGPATH, else cdk.json "
        "context modelConfigPath, else model_repos/*/conf/conf.yaml",
    )
    parser.add_argument(
        "--allow-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an environment variable config files may reference as ${NAME} (repeatable; "
        "SMP_VAR_* and cdk.json context allowedEnvironmentVariables are always allowed)",
    )
    parser.add_argument(
        "--pipeline",
        metavar="NAME",
        help="the pipeline (its pipelineName), needed when the config files define several; "
        "validate checks every pipeline without it",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m constructs_lib", description="YAML model configurations to SageMaker Pipelines."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "validate", help="check everything definition and synth check (compiles offline); print warnings"
    )
    _add_config(p)
    p.add_argument(
        "--quick",
        action="store_true",
        help="config files and step graph only (no SageMaker SDK import: ~0.3 s instead of ~3 s; "
        "misses missing scripts, images and run-time checks)",
    )

    p = commands.add_parser(
        "explain",
        help="per step: where inputs land, where outputs are taken from, code, command, channels, environment",
    )
    _add_config(p)
    p.add_argument("--step", action="append", metavar="NAME", help="only these steps (repeatable)")

    p = commands.add_parser("graph", help="print the step graph (mermaid, dot or text)")
    _add_config(p)
    p.add_argument("--format", choices=("mermaid", "dot", "text"), default="mermaid")

    commands.add_parser("schema", help="print the JSON Schema of a model config file")
    commands.add_parser("reference", help="print the configuration reference (Markdown, as in the README)")

    p = commands.add_parser("definition", help="compile the SageMaker pipeline definition (offline)")
    _add_config(p)
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout (the asset manifest goes beside it)")

    p = commands.add_parser("summary", help="summarize a synthesized cloud assembly (stacks, pipeline, resources)")
    p.add_argument("--cdk-out", default="cdk.out", metavar="DIR")

    from constructs_lib.runtime import cli_commands as runtime  # cheap: boto imports happen per command

    runtime.add_parsers(commands)
    from constructs_lib.localrun import command as localrun  # cheap: the runner's modules load when it runs

    localrun.add_parser(commands)
    return parser


def _load(args: argparse.Namespace) -> tuple[ProjectConfig, PipelineGraph]:
    from constructs_lib.config.loader import choose_pipeline, load_projects
    from constructs_lib.graph.builder import build_graph

    projects = load_projects(args.config, allow_env=args.allow_env)
    project = choose_pipeline(projects, args.pipeline)
    _print_warnings(project)
    return project, build_graph(project, name_pipeline=len(projects) > 1)


def _print_warnings(project: ProjectConfig) -> None:
    for warning in project.warnings:
        print(warning.format(), file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from constructs_lib.config.loader import choose_pipeline, load_projects
    from constructs_lib.graph.builder import build_graph

    projects = load_projects(args.config, allow_env=args.allow_env)
    chosen = [choose_pipeline(projects, args.pipeline)] if args.pipeline else list(projects.values())
    _print_warnings(chosen[0])
    # Every pipeline is checked before any problem is reported, so one run lists them all.
    graphs: list[PipelineGraph] = []
    problems: list[Problem] = []
    for project in chosen:
        try:
            graphs.append(build_graph(project, name_pipeline=len(projects) > 1))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    if args.quick:
        for project, graph in zip(chosen, graphs, strict=True):
            print(
                f"ok (config and graph only): pipeline {graph.pipeline_name}: {len(project.files)} file(s), "
                f"{len(graph.models)} model(s), {len(graph.nodes)} step(s), {len(graph.edges)} edge(s)"
            )
        return 0
    from constructs_lib.compiler.facade import check_pipeline, print_warnings

    for project, graph in zip(chosen, graphs, strict=True):
        # Compiling is the complete check: what `definition` (and the CDK app's compile) refuses, validate refuses.
        try:
            compiled = check_pipeline(project, graph, () if project.settings.region else _deployment_regions())
        except ConfigError as exc:
            if len(projects) == 1:
                raise
            from constructs_lib.config.loader import name_pipeline

            raise ConfigError(name_pipeline(p, graph.pipeline_name) for p in exc.problems) from None
        print_warnings(compiled)
        warnings = f", {len(compiled.warnings)} warning(s)" if compiled.warnings else ""
        print(
            f"ok: pipeline {graph.pipeline_name}: {len(project.files)} file(s), {len(graph.models)} model(s), "
            f"{len(graph.nodes)} step(s), {len(graph.edges)} edge(s){warnings}"
        )
    return 0


def _deployment_regions() -> tuple[str, ...]:
    """The regions of the cdk.json environments (where the CDK app compiles the pipeline), if any."""
    path = Path("cdk.json")
    try:
        environments = json.loads(path.read_text(encoding="utf-8")).get("context", {}).get("environments", [])
    except (OSError, ValueError, AttributeError):
        return ()  # synth reports a broken cdk.json
    if not isinstance(environments, list):
        return ()
    return tuple(
        sorted({e["region"] for e in environments if isinstance(e, dict) and isinstance(e.get("region"), str)})
    )


def cmd_explain(args: argparse.Namespace) -> int:
    from constructs_lib.compiler.explain import explain
    from constructs_lib.compiler.facade import compile_pipeline, print_warnings

    project, graph = _load(args)
    compiled = compile_pipeline(project, graph)
    print_warnings(compiled)
    sys.stdout.write(explain(compiled, args.step))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from constructs_lib.graph.render import FORMATS

    _, graph = _load(args)
    sys.stdout.write(FORMATS[args.format](graph))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from constructs_lib.config.json_schema import config_json_schema

    sys.stdout.write(json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    from constructs_lib.config.reference import render_reference

    sys.stdout.write(render_reference())
    return 0


def cmd_definition(args: argparse.Namespace) -> int:
    from constructs_lib.compiler.facade import write_definition

    project, graph = _load(args)
    return write_definition(project, graph, Path(args.out) if args.out else None)


def cmd_summary(args: argparse.Namespace) -> int:
    from constructs_lib.summary import summarize

    path = Path(args.cdk_out)
    if not (path / "manifest.json").is_file():
        print(f"{path}: no cloud assembly here (run ./dev synth first)", file=sys.stderr)
        return EXIT_USER_ERROR
    sys.stdout.write(summarize(path))
    return 0


COMMANDS = {
    "validate": cmd_validate,
    "explain": cmd_explain,
    "graph": cmd_graph,
    "schema": cmd_schema,
    "reference": cmd_reference,
    "definition": cmd_definition,
    "summary": cmd_summary,
}


def _commands() -> dict:
    from constructs_lib.localrun.command import cmd_run
    from constructs_lib.runtime import cli_commands as runtime

    return {**COMMANDS, **runtime.COMMANDS, "run": cmd_run}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _commands()[args.command](args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(exc.errors)
        print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = _EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        extra = _EXTRA_OF_COMMAND.get(args.command, extra)
        print(
            f"smp {args.command}: needs the {exc.name} package, which this install lacks: "
            f"pip install 'constructs_lib[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR


#: Optional dependency -> the pyproject extra that installs it (the base install has PyYAML and pydantic only).
_EXTRA_OF_MODULE = {
    "sagemaker": "compile",
    "aws_cdk": "cdk",
    "constructs": "cdk",
    "cdk_nag": "cdk",
    "jsii": "cdk",
    "boto3": "runtime",
    "botocore": "runtime",
}
#: A command's own extra wins (the compiler imports boto3 before the SageMaker SDK, yet needs `compile`;
#: `validate` compiles unless --quick).
_EXTRA_OF_COMMAND = {
    "validate": "compile",
    "explain": "compile",
    "definition": "compile",
    "run": "compile",
    "start": "runtime",
    "status": "runtime",
}
