"""``python -m constructs_lib run``: the command line of the local runner.

Everything the user can get wrong (definition constructs, parameters, missing inputs, step names, no mount
namespace) is checked before any step runs: one ``run: what (hint)`` line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from constructs_lib.errors import did_you_mean
from constructs_lib.localrun.expr import LocalRunError, Scope, StepFailed
from constructs_lib.runtime.model import RuntimeUserError, Snapshot
from constructs_lib.runtime.params import parse_assignments, resolve_parameters
from constructs_lib.runtime.progress import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    LiveRenderer,
    PlainRenderer,
    duration,
    failure_lines,
)

if TYPE_CHECKING:  # the runner's modules load when it runs
    from constructs_lib.config.loader import ProjectConfig
    from constructs_lib.localrun.engine import StepRecord
    from constructs_lib.localrun.plan import Plan, Step
    from constructs_lib.localrun.store import LocalStore

DEFAULT_WORKDIR = ".smp-run"
TAIL_LINES = 20

EPILOG = f"""exit codes:
  {EXIT_OK}    the execution Succeeded
  {EXIT_FAILED}    a step failed (or a Fail step was reached): the step, its reason and its log's tail are printed
  {EXIT_USER_ERROR}    bad input, nothing was run: config, definition construct the runner cannot execute,
       parameter, missing input (see --data), unknown step name, no mount namespace available
  {EXIT_INTERRUPTED}  Ctrl-C: every job was stopped

The work dir holds the local S3 store (s3/), the model registry (registry/), the step cache (cache/) and one
folder per execution (executions/<id>/ with logs/<step>.log and execution.json)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the compiled pipeline locally (no AWS, no Docker, no network)",
        description="Run the compiled pipeline definition on this machine: each step's job sees the paths, files\n"
        "and environment its SageMaker container would see (a private /opt/ml per job), with the\n"
        "project's own scripts and the chosen Python interpreter in place of the images.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--config",
        action="append",
        metavar="GLOB",
        help="model config files to compile (repeatable). Default: $SMP_MODEL_CONFIGPATH, else cdk.json "
        "context modelConfigPath, else model_repos/*/conf/conf.yaml",
    )
    p.add_argument(
        "--pipeline",
        metavar="NAME",
        help="the pipeline to run (its pipelineName), needed when the config files define several",
    )
    p.add_argument(
        "--definition",
        metavar="FILE",
        help="run this compiled definition (from `definition --out FILE`; its FILE.assets.json is read "
        "too) instead of compiling the config",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (repeatable); checked against the definition's parameters",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="S3_PREFIX=LOCAL_DIR",
        help="read the objects under S3_PREFIX from LOCAL_DIR (repeatable); SMP_S3BUCKETNAME may stand "
        "for the artifact bucket, as in the config",
    )
    p.add_argument(
        "--workdir",
        default=DEFAULT_WORKDIR,
        metavar="DIR",
        help=f"local S3 store, registry, cache and logs (default {DEFAULT_WORKDIR})",
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="independent steps run at once (default: the number of cores)",
    )
    p.add_argument("--report", metavar="FILE", help="write a JSON report of the execution here")
    p.add_argument(
        "--python",
        default=sys.executable,
        metavar="PATH",
        help="the interpreter that is `python`/`python3` in every job (default: this one)",
    )
    p.add_argument(
        "--from",
        dest="from_step",
        metavar="STEP",
        help="run STEP and every step downstream of it; the others' results come from the latest "
        "earlier execution in the work dir",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="STEP",
        help="run only these steps (repeatable); the others' results come from the latest earlier "
        "execution in the work dir",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="after a failure, still run the steps that do not depend on the failed one",
    )
    p.add_argument("--no-cache", action="store_true", help="ignore the step cache (results are still stored in it)")
    p.add_argument(
        "--pip-index",
        action="store_true",
        help="let pip reach the package index configured in the environment (default: offline, "
        "--no-index; requirements already installed in --python need none)",
    )
    p.add_argument(
        "--keep-job-dirs",
        action="store_true",
        help="keep each job's /opt/ml folder under executions/<id>/jobs/ (for debugging)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except RuntimeUserError as exc:
        _say(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        return EXIT_USER_ERROR


def _say(text: str) -> None:
    print(f"run: {text}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------
# Input: the definition, parameters, selection, inputs
# ----------------------------------------------------------------------------------------------------------


def load_definition(args: argparse.Namespace) -> tuple[dict, dict, Path]:
    """(definition, manifest, project root)."""
    if args.definition:
        path = Path(args.definition)
        manifest_path = path.with_name(path.name + ".assets.json")
        try:
            definition = json.loads(path.read_text())
            manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        except OSError as exc:
            raise LocalRunError(
                f"--definition {path}: {exc.strerror}", "write it with: python -m constructs_lib definition --out FILE"
            ) from None
        except ValueError as exc:
            raise LocalRunError(f"--definition {path} (or its .assets.json) is not JSON: {exc}") from None
        if not isinstance(definition, dict) or "Steps" not in definition:
            raise LocalRunError(f"--definition {path} is not a pipeline definition (no Steps)")
        if not manifest and "/smp-assets/" in json.dumps(definition):
            raise LocalRunError(
                f"{manifest_path} not found: the definition names local assets, which its manifest locates",
                "`definition --out FILE` writes both files; keep them together",
            )
        return definition, manifest, Path.cwd()
    from constructs_lib.config.loader import choose_pipeline, load_projects
    from constructs_lib.graph.builder import build_graph

    projects = load_projects(args.config)
    project = choose_pipeline(projects, getattr(args, "pipeline", None))
    graph = build_graph(project, name_pipeline=len(projects) > 1)
    cache = Path(args.workdir).resolve() / "compiled" / f"{_compile_key(project)}.json"
    if cache.is_file():
        try:
            saved = json.loads(cache.read_text())
            if _assets_unchanged(saved["manifest"], project.root):
                return saved["definition"], saved["manifest"], project.root
        except (ValueError, KeyError, OSError):
            pass
    from constructs_lib.compiler.facade import compile_pipeline

    compiled = compile_pipeline(project, graph)
    definition, manifest = json.loads(compiled.definition), compiled.manifest()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"definition": definition, "manifest": manifest}))
    os.replace(tmp, cache)
    return definition, manifest, project.root


def _compile_key(project: ProjectConfig) -> str:
    """What a compiled definition depends on: the config files, the framework settings, the compiler's own
    code and the SageMaker SDK version (the assets' content is checked against the manifest on reuse)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    import constructs_lib

    digest = hashlib.sha256()
    for name in sorted(project.files):
        path = project.root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    digest.update(repr(project.settings).encode())
    digest.update(json.dumps(sorted((k, v) for k, v in os.environ.items() if k.startswith("SMP_"))).encode())
    package = Path(constructs_lib.__file__).parent
    for folder in ("compiler", "config", "graph"):
        for path in sorted((package / folder).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        digest.update(version("sagemaker").encode())
    except PackageNotFoundError:
        pass
    return digest.hexdigest()[:32]


def _assets_unchanged(manifest: dict, root: Path) -> bool:
    from constructs_lib.compiler.assets import content_hash

    for asset in manifest.get("assets", ()):
        if asset["kind"] == "generated":
            continue  # its text is in the manifest
        path = root / asset["localPath"]
        extra = (asset["entryDir"],) if asset.get("entryDir") else ()
        if not path.exists() or content_hash(path, asset["kind"], *extra) != asset["sha256"]:
            return False
    return True


def typed_parameters(plan: Plan, given: dict[str, str]) -> dict[str, Any]:
    values, _ = resolve_parameters(given, plan.name, plan.parameters, None)
    out: dict[str, Any] = {}
    for param in plan.parameters:
        if param.name in values:
            text = values[param.name]
            value: Any = (
                {"Integer": int, "Float": float}.get(param.type, str)(text)
                if param.type != "Boolean"
                else text == "true"
            )
        elif param.default is not None:
            value = param.default
        else:
            raise LocalRunError(f"parameter '{param.name}' has no default value", f"give --param {param.name}=VALUE")
        out[param.name] = value
    return out


def select(plan: Plan, args: argparse.Namespace) -> list[str]:
    order = plan.order()
    names = list(plan.steps)
    for name in ([args.from_step] if args.from_step else []) + list(args.only):
        if name not in plan.steps:
            raise LocalRunError(
                f"unknown step '{name}'", did_you_mean(name, names, what="steps") or f"steps: {', '.join(names)}"
            )
    if args.from_step and args.only:
        raise LocalRunError("--from and --only exclude each other", "give one of them")
    if args.from_step:
        chosen = plan.downstream({args.from_step})
    elif args.only:
        chosen = set(args.only)
        # a step in a Condition branch runs with its condition
        chosen |= {branch[0] for n in args.only if (branch := plan.steps[n].branch)}
    else:
        return order
    return [n for n in order if n in chosen]


def input_uris(step: Step, args: dict) -> list[tuple[str, Any]]:
    """(what, raw value) of every input a step reads, before resolution."""
    out: list[tuple[str, Any]] = []
    if step.type == "Processing":
        for item in args.get("ProcessingInputs", []):
            if "S3Input" in item:
                out.append((f"input '{item.get('InputName')}'", item["S3Input"].get("S3Uri")))
    elif step.type in ("Training", "Tuning"):
        if step.type == "Tuning":
            from constructs_lib.localrun.plan import training_request

            args = training_request(args)
        for channel in args.get("InputDataConfig", []):
            out.append(
                (
                    f"channel '{channel.get('ChannelName')}'",
                    channel.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri"),
                )
            )
        out.append(("sagemaker_submit_directory", args.get("HyperParameters", {}).get("sagemaker_submit_directory")))
    elif step.type == "Transform":
        out.append(("input", args.get("TransformInput", {}).get("DataSource", {}).get("S3DataSource", {}).get("S3Uri")))
    elif step.type == "Model":
        container = args.get("PrimaryContainer") or (args.get("Containers") or [{}])[0]
        out.append(("ModelDataUrl", container.get("ModelDataUrl")))
        out.append(("SAGEMAKER_SUBMIT_DIRECTORY", container.get("Environment", {}).get("SAGEMAKER_SUBMIT_DIRECTORY")))
    return out


def preflight_inputs(plan: Plan, selected: list[str], scope: Scope, store: LocalStore) -> None:
    """Every input whose URI does not depend on a step's result must exist before anything runs."""
    problems = []
    for name in selected:
        step = plan.steps[name]
        for what, raw in input_uris(step, step.arguments):
            if raw is None:
                continue
            try:
                uri = scope.evaluate(raw)
            except StepFailed:
                continue  # produced by a step of this execution
            if isinstance(uri, str) and uri.startswith('"') and uri.endswith('"'):
                uri = json.loads(uri)
            if not isinstance(uri, str) or not uri.startswith("s3://"):
                continue
            try:
                if not store.exists(uri):
                    problems.append(store.missing(uri, f"{what} of step '{name}':").reason)
            except StepFailed as exc:
                problems.append(f"{what} of step '{name}': {exc.reason}")
    if problems:
        raise LocalRunError("; ".join(problems), "nothing was run")


# ----------------------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from constructs_lib.errors import ConfigError
    from constructs_lib.localrun.engine import (
        Engine,
        StepCache,
        reference_properties,
        save_execution,
    )
    from constructs_lib.localrun.jobs import RunContext
    from constructs_lib.localrun.plan import load_plan
    from constructs_lib.localrun.registry import LocalRegistry
    from constructs_lib.localrun.sandbox import (
        ProcessTable,
        base_environment,
        detect_isolation,
        make_overlay_env,
        make_shim,
        tail,
    )
    from constructs_lib.localrun.store import (
        LocalStore,
        install_assets,
        parse_data_mappings,
    )

    began = time.monotonic()
    given = parse_assignments(args.param)
    interpreter = Path(args.python)
    if not (interpreter.is_file() and os.access(interpreter, os.X_OK)):
        raise LocalRunError(f"--python {args.python}: not an executable file", "give the path of a Python interpreter")
    try:
        definition, manifest, root = load_definition(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        count = len(exc.problems)
        _say(f"{count} problem{'s' if count != 1 else ''} found in the config; nothing was run")
        return EXIT_USER_ERROR
    plan = load_plan(definition, manifest)
    parameters = typed_parameters(plan, given)
    selected = select(plan, args)

    workdir = Path(args.workdir).resolve()
    lock = _lock_workdir(workdir)  # noqa: F841 - held (open) until the process ends
    framework = {"SMP_S3BUCKETNAME": _bucket_of(manifest)}
    store = LocalStore(workdir / "s3", parse_data_mappings(args.data, framework, Path.cwd()))
    install_assets(store, manifest, root)

    execution_id = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(3)
    arn = f"arn:aws:sagemaker:local:000000000000:pipeline/{plan.name}/execution/{execution_id}"
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    execution = {
        "PipelineExecutionId": execution_id,
        "PipelineExecutionArn": arn,
        "StartDateTime": started,
        "CurrentDateTime": started,
        "PipelineName": plan.name,
        "PipelineArn": f"arn:aws:sagemaker:local:000000000000:pipeline/{plan.name}",
    }
    scope = Scope(parameters, execution, read_json=store.read_json)
    needed = {d for n in selected for d in plan.steps[n].depends_on if d not in selected}
    if needed:
        reference = reference_properties(workdir / "executions", plan.name, needed)
        lacking = sorted(needed - set(reference))
        if lacking:
            raise LocalRunError(
                f"the selected steps need results of {', '.join(lacking)}, which no earlier execution "
                f"in {workdir} produced",
                "run the whole pipeline once first, or select those steps too",
            )
        scope.properties.update(reference)
    preflight_inputs(plan, selected, scope, store)

    isolation = detect_isolation()
    job_python, user_site = make_overlay_env(workdir / "envs" / _slug(str(interpreter)), str(interpreter))
    shim = make_shim(Path(job_python).parent)
    exec_dir = workdir / "executions" / execution_id
    processes = ProcessTable()
    ctx = RunContext(
        store=store,
        registry=LocalRegistry(workdir / "registry"),
        isolation=isolation,
        processes=processes,
        interpreter=str(interpreter),
        base_env=base_environment(shim, args.pip_index),
        execution_id=execution_id,
        pipeline=plan.name,
        exec_dir=exec_dir,
        models_dir=workdir / "models",
        keep_job_dirs=args.keep_job_dirs,
        readonly=tuple(user_site),
    )
    symbolic = Scope(parameters, {k: f"${{Execution.{k}}}" for k in execution}, scope.properties, store.read_json)
    cache = None if args.no_cache else StepCache(workdir / "cache", ctx, symbolic)
    live = sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"
    renderer = LocalLiveRenderer(sys.stdout) if live else PlainRenderer(sys.stdout)
    engine = Engine(plan, ctx, scope, cache, selected, args.jobs, args.keep_going, renderer.update, arn)

    def record(status: str) -> dict:
        document = {
            "pipeline": plan.name,
            "executionId": execution_id,
            "status": status,
            "parameters": parameters,
            "steps": {
                r.name: {
                    "type": r.type,
                    "status": r.status,
                    "seconds": r.seconds,
                    "cached": r.cached,
                    "reason": r.reason,
                    "processSeconds": round(ctx.process_seconds.get(r.name, 0.0), 3),
                    "properties": r.properties,
                }
                for r in engine.records.values()
            },
        }
        save_execution(exec_dir, document)
        return document

    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _interrupt)
    try:
        outcome = engine.run()
    except KeyboardInterrupt:
        record("Stopped")
        print(file=sys.stderr)
        _say(f"interrupted: every job was stopped (logs in {exec_dir / 'logs'})")
        _write_report(args.report, plan.name, "Stopped", engine.records, [])
        return EXIT_INTERRUPTED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    record(outcome.status)
    _write_report(args.report, plan.name, outcome.status, outcome.records, outcome.registered)
    took = duration(time.monotonic() - began) if time.monotonic() - began >= 1 else f"{time.monotonic() - began:.1f}s"
    if outcome.status == "Succeeded":
        ran = [r for r in outcome.records.values() if r.status == "Succeeded"]
        cached = sum(1 for r in ran if r.cached)
        print(f"execution Succeeded after {took}: {len(ran)} step(s), {cached} from the cache; work dir {workdir}")
        for package in outcome.registered:
            print(
                f"  registered {package['group']} version {package['version']} ({package['approvalStatus']})"
                + (" (unchanged, already registered)" if package["reused"] else "")
            )
        return EXIT_OK
    for line in failure_lines(engine.snapshot()):
        print(line, file=sys.stderr)
    for record_ in outcome.records.values():
        if record_.status == "Failed":
            log = exec_dir / "logs" / f"{record_.name}.log"
            lines = tail(log, TAIL_LINES)
            if lines:
                print(f"--- last {len(lines)} lines of {log}:", file=sys.stderr)
                for line in lines:
                    print(f"  {line}", file=sys.stderr)
    return EXIT_FAILED


class LocalLiveRenderer(LiveRenderer):
    """``start --wait``'s live view; here Ctrl-C stops the run itself, and the view says so."""

    def lines(self, snapshot: Snapshot) -> list[str]:
        return [
            line.replace("Ctrl-C stops following, not the execution", "Ctrl-C stops the run")
            for line in super().lines(snapshot)
        ]


def _lock_workdir(workdir: Path) -> TextIO:
    """One run per work dir at a time (its store, registry and cache are not shared between processes)."""
    import fcntl

    workdir.mkdir(parents=True, exist_ok=True)
    handle = open(workdir / ".lock", "a+")  # noqa: SIM115 - kept open: the lock lasts as long as the run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise LocalRunError(
            f"the work dir {workdir} is in use by another run", "wait for it to end, or give another --workdir"
        ) from None
    return handle


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP stop a run as Ctrl-C does: every job's process group is ended first."""
    raise KeyboardInterrupt


def _bucket_of(manifest: dict) -> str:
    for value, name in manifest.get("placeholders", {}).items():
        if name == "ArtifactBucket":
            return value
    from constructs_lib.compiler.bindings import PLACEHOLDER_BUCKET

    return PLACEHOLDER_BUCKET


def _slug(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _write_report(
    path: str | None, pipeline: str, status: str, records: Mapping[str, StepRecord], registered: list[dict]
) -> None:
    if not path:
        return
    report = {
        "pipeline": pipeline,
        "status": status,
        "steps": [
            {"name": r.name, "type": r.type, "status": r.status, "seconds": r.seconds, "cached": r.cached}
            for r in records.values()
        ],
        "modelPackages": [
            {
                "group": p["group"],
                "version": p["version"],
                "approvalStatus": p["approvalStatus"],
                "metrics": p["metrics"],
            }
            for p in registered
        ],
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, target)
