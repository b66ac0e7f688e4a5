"""``python -m constructs_lib <command>``: validate, graph, schema, definition.

User errors print ``path:line:col: key.path: what is wrong (hint)`` lines on stderr and exit 2, with no
traceback and nothing written. Heavy imports (SageMaker SDK) happen only in the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from constructs_lib.errors import ConfigError

EXIT_USER_ERROR = 2


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append", metavar="GLOB",
                        help="model config files (repeatable). Default: $SMP_MODEL_CONFIGPATH, else cdk.json "
                             "context modelConfigPath, else model_repos/*/conf/conf.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib",
                                     description="YAML model configurations to SageMaker Pipelines.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("validate", help="check the config files and the step graph")
    _add_config(p)

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
    return parser


def _load(args):
    from constructs_lib.config.loader import load_project
    from constructs_lib.graph.builder import build_graph

    project = load_project(args.config)
    return project, build_graph(project)


def cmd_validate(args) -> int:
    project, graph = _load(args)
    print(f"ok: pipeline {graph.pipeline_name}: {len(project.files)} file(s), {len(graph.models)} model(s), "
          f"{len(graph.nodes)} step(s), {len(graph.edges)} edge(s)")
    return 0


def cmd_graph(args) -> int:
    from constructs_lib.graph.render import FORMATS

    _, graph = _load(args)
    sys.stdout.write(FORMATS[args.format](graph))
    return 0


def cmd_schema(args) -> int:
    from constructs_lib.config.json_schema import config_json_schema

    sys.stdout.write(json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n")
    return 0


def cmd_reference(args) -> int:
    from constructs_lib.config.reference import render_reference

    sys.stdout.write(render_reference())
    return 0


def cmd_definition(args) -> int:
    from constructs_lib.compiler.facade import write_definition

    project, graph = _load(args)
    return write_definition(project, graph, Path(args.out) if args.out else None)


def cmd_summary(args) -> int:
    from constructs_lib.summary import summarize

    path = Path(args.cdk_out)
    if not (path / "manifest.json").is_file():
        print(f"{path}: no cloud assembly here (run ./dev synth first)", file=sys.stderr)
        return EXIT_USER_ERROR
    sys.stdout.write(summarize(path))
    return 0


COMMANDS = {"validate": cmd_validate, "graph": cmd_graph, "schema": cmd_schema, "reference": cmd_reference,
            "definition": cmd_definition, "summary": cmd_summary}


def _commands() -> dict:
    from constructs_lib.runtime import cli_commands as runtime

    return {**COMMANDS, **runtime.COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _commands()[args.command](args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = _EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        extra = _EXTRA_OF_COMMAND.get(args.command, extra)
        print(f"smp {args.command}: needs the {exc.name} package, which this install lacks: "
              f"pip install 'constructs_lib[{extra}]'", file=sys.stderr)
        return EXIT_USER_ERROR


#: Optional dependency -> the pyproject extra that installs it (the base install has PyYAML and pydantic only).
_EXTRA_OF_MODULE = {"sagemaker": "compile", "aws_cdk": "cdk", "constructs": "cdk", "cdk_nag": "cdk", "jsii": "cdk",
                    "boto3": "runtime", "botocore": "runtime"}
#: A command's own extra wins (the compiler imports boto3 before the SageMaker SDK, yet needs `compile`).
_EXTRA_OF_COMMAND = {"definition": "compile", "start": "runtime", "status": "runtime"}
