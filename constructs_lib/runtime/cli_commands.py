"""``start`` and ``status``: run and watch the deployed SageMaker pipeline.

``add_parsers(subparsers)`` adds both commands to the CLI's argparse subparsers; ``COMMANDS`` maps their names
to functions that take the parsed namespace and return the exit code. User errors (credentials, region,
unknown pipeline or parameter, bad values, unreachable endpoint) print one line ``COMMAND: what (hint)`` on
stderr and return 2, never a traceback. botocore is imported only when a command runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
import urllib.parse
from collections.abc import Callable, Sequence

from constructs_lib.errors import ConfigError, did_you_mean
from constructs_lib.runtime.model import (
    DeployedPipeline,
    ExecutionNotFound,
    PipelineNotFound,
    PipelinesClient,
    RuntimeUserError,
    Unsupported,
    pipeline_of_execution,
    region_of_arn,
)
from constructs_lib.runtime.params import ConfigParameters, parse_assignments, resolve_parameters
from constructs_lib.runtime.progress import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USER_ERROR,
    LiveRenderer,
    PlainRenderer,
    Poller,
    duration,
    failure_lines,
    follow,
    status_report,
    utc_now,
)

PROG = "python -m constructs_lib"
DEFAULT_POLL_SECONDS = 10.0
DEFAULT_TIMEOUT_SECONDS = 24 * 3600.0
_PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_NO_CONFIG_FILE = "no config file matches this path or glob"

EXIT_CODES = f"""exit codes:
  {EXIT_OK}    started (without --wait) / the execution Succeeded (with --wait)
  {EXIT_FAILED}    the execution Failed or was Stopped (its failure reason is printed)
  {EXIT_USER_ERROR}    usage or AWS problem: credentials, region, unknown pipeline/parameter, bad value, endpoint
  {EXIT_TIMEOUT}  --timeout passed while the execution was still running (it keeps running)
  {EXIT_INTERRUPTED}  Ctrl-C: stopped following (the execution keeps running)"""


# ----------------------------------------------------------------------------------------------------------
# Parsers
# ----------------------------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {text!r})")
    return value


def _endpoint(text: str) -> str:
    if not re.match(r"^https?://[^\s/]+", text):
        raise argparse.ArgumentTypeError(f"expected http(s)://host[:port] (got {text!r})")
    # Plain http sends the signed requests (and the response) in clear text: only to this machine (a local
    # emulator); anything else must be https.
    if text.lower().startswith("http://") and not _loopback(urllib.parse.urlsplit(text).hostname or ""):
        raise argparse.ArgumentTypeError(
            f"plain http only to a loopback address (localhost, 127.0.0.1, [::1]); use https:// (got {text!r})"
        )
    return text


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pipeline",
        metavar="NAME",
        help="deployed pipeline name; with several pipelines in the config files, also the one whose "
        "parameter types are used. Default: sagemakerPipeline.pipelineName of the config",
    )
    parser.add_argument(
        "--config",
        action="append",
        metavar="GLOB",
        help="model config files (repeatable), for the default pipeline name and parameter types. "
        "Default: $SMP_MODEL_CONFIGPATH, else cdk.json context modelConfigPath, "
        "else model_repos/*/conf/conf.yaml",
    )
    parser.add_argument(
        "--region", metavar="REGION", help="AWS region. Default: AWS_REGION / AWS_DEFAULT_REGION / the profile's region"
    )
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        type=_endpoint,
        help="SageMaker API endpoint override (e.g. a local moto server)",
    )


def _add_wait(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help=f"follow {what} until it ends: a live view of step states on a terminal, one line "
        "per change otherwise; exit 0 on Succeeded, 1 on Failed/Stopped",
    )
    parser.add_argument(
        "--poll-seconds",
        type=_positive,
        default=DEFAULT_POLL_SECONDS,
        metavar="S",
        help=f"with --wait: seconds between polls (default {DEFAULT_POLL_SECONDS:g})",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="S",
        help=f"with --wait: stop following after S seconds (default {DEFAULT_TIMEOUT_SECONDS:g}, "
        f"24 h); exit {EXIT_TIMEOUT}",
    )


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``start`` and ``status`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "start",
        help="start an execution of the deployed pipeline",
        description="Start an execution of the deployed SageMaker pipeline and print its ARN (on stdout).\n"
        "Parameters are checked against the deployed pipeline's definition and the config\n"
        "before anything starts.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_target(p)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (repeatable); names and types as declared in sagemakerPipeline.parameters",
    )
    _add_wait(p, "the execution")

    p = subparsers.add_parser(
        "status",
        help="show the latest (or given) execution of the deployed pipeline and its steps",
        description="Show an execution of the deployed SageMaker pipeline: the latest one, or --execution ARN.",
        epilog=EXIT_CODES.replace("started (without --wait)", "shown (without --wait)").replace(
            "the execution Failed", "with --wait: the execution Failed"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_target(p)
    p.add_argument("--execution", metavar="ARN", help="execution ARN (as printed by start). Default: the latest")
    _add_wait(p, "the execution")


# ----------------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    return _guarded("start", _start, args)


def cmd_status(args: argparse.Namespace) -> int:
    return _guarded("status", _status, args)


COMMANDS = {"start": cmd_start, "status": cmd_status}


def _start(args: argparse.Namespace) -> int:
    given = parse_assignments(args.param)
    name, config_params, source = _target(args, "start")
    from constructs_lib.runtime.client import make_client

    client = make_client(args.region, args.endpoint_url)
    deployed = _describe(client, name, source)
    if deployed.parameters is None:
        _say(
            "start",
            "note: the deployed pipeline's definition could not be read; parameters are checked "
            "against the config only",
        )
    values, warnings = resolve_parameters(given, name, deployed.parameters, config_params)
    for warning in warnings:
        _say("start", f"warning: {warning}")
    arn = client.start_execution(name, values)
    print(arn, flush=True)
    shown = ", ".join(f"{k}={v}" for k, v in values.items()) or "default parameters"
    _say("start", f"started pipeline '{name}' in {client.region} with {shown}")
    if not args.wait:
        _say("start", f"follow it with: {_resume_command(arn, args)}")
        return EXIT_OK
    return _follow("start", client, arn, args)


def _status(args: argparse.Namespace) -> int:
    from constructs_lib.runtime.client import make_client

    if args.execution:
        arn = args.execution.strip()
        owner = pipeline_of_execution(arn)
        if owner is None:
            raise RuntimeUserError(
                f"--execution {arn!r} is not a pipeline execution ARN",
                "expected arn:aws:sagemaker:REGION:ACCOUNT:pipeline/NAME/execution/ID, as printed by start",
            )
        if args.pipeline and args.pipeline != owner:
            raise RuntimeUserError(
                f"--execution belongs to pipeline '{owner}', not '{args.pipeline}'",
                "drop --pipeline or pass the matching execution",
            )
        arn_region = region_of_arn(arn)
        if args.region and arn_region and args.region != arn_region:
            raise RuntimeUserError(
                f"--execution is in {arn_region}, but --region is {args.region}",
                "drop --region: the ARN says where the execution is",
            )
        client = make_client(args.region or arn_region, args.endpoint_url)
        try:
            return _show(client, arn, args)
        except ExecutionNotFound as exc:
            raise RuntimeUserError(exc.message, f"show the latest with: {PROG} status --pipeline {owner}") from None
    name, _, source = _target(args, "status", with_parameters=False)
    client = make_client(args.region, args.endpoint_url)
    _describe(client, name, source)
    arn = client.latest_execution(name)
    if arn is None:
        print(
            f"pipeline '{name}' in {client.region} has no executions yet "
            f"(start one with: {PROG} start --pipeline {name})"
        )
        return EXIT_OK
    return _show(client, arn, args)


def _show(client: PipelinesClient, arn: str, args: argparse.Namespace) -> int:
    if args.wait:
        print(arn, flush=True)
        return _follow("status", client, arn, args)
    snapshot = Poller(client, arn).poll()
    try:
        parameters: list[tuple[str, str]] | None = client.execution_parameters(arn)
    except Unsupported:
        parameters = None
    for line in status_report(snapshot, parameters, utc_now()):
        print(line)
    return EXIT_OK


def _follow(command: str, client: PipelinesClient, arn: str, args: argparse.Namespace) -> int:
    out = sys.stdout
    live = out.isatty() and _term_ok()
    renderer = LiveRenderer(out) if live else PlainRenderer(out)
    resume = _resume_command(arn, args, wait=True)
    try:
        outcome = follow(Poller(client, arn), renderer, poll_seconds=args.poll_seconds, timeout=args.timeout)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        _say(command, f"stopped following; the execution keeps running. Resume with: {resume}")
        return EXIT_INTERRUPTED
    except RuntimeUserError as exc:
        raise RuntimeUserError(exc.message, "; ".join(h for h in (exc.hint, f"resume with: {resume}") if h)) from None
    execution = outcome.snapshot.execution
    if outcome.timed_out:
        _say(
            command,
            f"still {execution.status} after --timeout {duration(args.timeout)}; the execution keeps "
            f"running. Resume with: {resume}",
        )
        return EXIT_TIMEOUT
    if execution.status == "Succeeded":
        took = ""
        if execution.created is not None and execution.modified is not None:
            took = f" after {duration((execution.modified - execution.created).total_seconds())}"
        print(f"execution {execution.status}{took}", flush=True)
        return EXIT_OK
    for line in failure_lines(outcome.snapshot):
        print(line, file=sys.stderr)
    return EXIT_FAILED


# ----------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------


def _guarded(command: str, fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Every user error becomes one stderr line and exit 2."""
    try:
        return fn(args)
    except RuntimeUserError as exc:
        _say(command, f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        return EXIT_USER_ERROR
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(exc.problems)
        _say(
            command,
            f"{count} problem{'s' if count != 1 else ''} in the config, which names the pipeline; "
            f"nothing was done (fix the config, or pass --pipeline NAME)",
        )
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(file=sys.stderr)
        _say(command, "interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a botocore error the client wrapper did not expect: still one line
        if type(exc).__module__.split(".")[0] not in ("botocore", "boto3", "urllib3"):
            raise
        _say(command, f"AWS call failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return EXIT_USER_ERROR


def _say(command: str, text: str) -> None:
    print(f"{command}: {text}", file=sys.stderr, flush=True)


def _term_ok() -> bool:
    import os

    return os.environ.get("TERM", "") != "dumb"


def _target(
    args: argparse.Namespace, command: str, *, with_parameters: bool = True
) -> tuple[str, ConfigParameters | None, str]:
    """The pipeline name, the config's parameter types for it (when the config describes that pipeline), and
    where the name came from (for hints)."""
    from constructs_lib.config.loader import load_project, load_projects

    if args.pipeline:
        if not _PIPELINE_NAME.match(args.pipeline):
            raise RuntimeUserError(
                f"--pipeline {args.pipeline!r} is not a valid pipeline name",
                "letters, digits and single hyphens, at most 256 characters",
            )
        if not with_parameters:
            return args.pipeline, None, ""
        try:
            projects = load_projects(args.config)
        except ConfigError as exc:
            if args.config:
                raise
            if any(p.message != _NO_CONFIG_FILE for p in exc.problems):
                _say(
                    command,
                    f"note: the config has {len(exc.problems)} problem(s) and is not used to check parameters "
                    f"(see: {PROG} validate)",
                )
            return args.pipeline, None, ""
        if args.pipeline not in projects:
            return args.pipeline, None, ""
        project = projects[args.pipeline]
    else:
        project = load_project(args.config)
    source = project.anchor_file
    params = ConfigParameters({p.name: p.type for p in project.pipeline.parameters}, source=source)
    return project.pipeline.pipelineName, params, "" if args.pipeline else f"sagemakerPipeline.pipelineName in {source}"


def _describe(client: PipelinesClient, name: str, source: str) -> DeployedPipeline:
    """The deployed pipeline, or an error naming the closest existing pipelines."""
    try:
        return client.describe_pipeline(name)
    except PipelineNotFound as exc:
        try:
            names: list[str] | None = client.pipeline_names()
        except RuntimeUserError:
            names = None
        if names:
            hint = did_you_mean(name, names, what=f"pipelines in {client.region}")
        elif names == []:
            hint = f"there are no pipelines in {client.region}: deploy first (cdk deploy), or check --region"
        else:
            hint = "check --pipeline and --region"
        if source:
            hint += f"; the name comes from {source}, or pass --pipeline"
        raise RuntimeUserError(exc.message, hint) from None


def _resume_command(arn: str, args: argparse.Namespace, *, wait: bool = True) -> str:
    parts = [PROG, "status", "--execution", arn]
    if getattr(args, "endpoint_url", None):
        parts += ["--endpoint-url", args.endpoint_url]
    if wait:
        parts.append("--wait")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one of these commands without the main CLI (tests, or before the lead wires them in)."""
    parser = argparse.ArgumentParser(prog=PROG)
    add_parsers(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
