"""Find the model config files, load them, resolve references, validate and merge them into one project.

``load_project()`` either returns a :class:`ProjectConfig` or raises :class:`ConfigError` with every problem
found in every file. It imports neither the CDK nor the SageMaker SDK, so it is fast.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from constructs_lib.config.limits import limit_problems
from constructs_lib.config.paths import local_path_problems
from constructs_lib.config.references import (
    FRAMEWORK_VARIABLES,
    ReferenceError_,
    parameter_names,
    resolve_string,
    walk_strings,
)
from constructs_lib.config.schema import ConfigFile, ModelConfig, PipelineConfig
from constructs_lib.config.settings import FrameworkSettings, resolve_settings
from constructs_lib.config.validation import problems_from
from constructs_lib.config.yaml_source import ReadBudget, SourceDoc, read_yaml
from constructs_lib.errors import ConfigError, Problem, did_you_mean

DEFAULT_CONFIG_GLOB = "model_repos/*/conf/conf.yaml"
#: Most config files one run reads.
MAX_CONFIG_FILES = 500


@dataclass(frozen=True)
class ProjectConfig:
    """All model config files merged: the models, the one pipeline section, and where each came from."""

    root: Path
    files: tuple[str, ...]
    models: Mapping[str, ModelConfig]
    pipeline: PipelineConfig
    settings: FrameworkSettings
    anchor_file: str
    model_files: Mapping[str, str] = field(default_factory=dict)
    docs: Mapping[str, SourceDoc] = field(default_factory=dict, repr=False)
    warnings: tuple[Problem, ...] = ()
    """Accepted, but worth a word to the user (printed as ``path:line:col: warning: ...``)."""

    def problem(self, file: str, key_path: tuple, message: str, hint: str = "") -> Problem:
        """A problem located at ``key_path`` of ``file`` (falls back to the closest existing parent key)."""
        return self.docs[file].problem(key_path, message, hint)

    def pipeline_problem(self, key_path: tuple, message: str, hint: str = "") -> Problem:
        return self.problem(self.anchor_file, ("conf", "sagemakerPipeline") + tuple(key_path), message, hint)

    def model_problem(self, model: str, key_path: tuple, message: str, hint: str = "") -> Problem:
        return self.problem(self.model_files[model], ("conf", "models", model) + tuple(key_path), message, hint)


def config_globs(cli_globs: Sequence[str] | None, environ: Mapping[str, str], cwd: Path) -> list[str]:
    """``--config`` flags, else ``SMP_MODEL_CONFIGPATH``, else cdk.json's ``modelConfigPath``, else the default."""
    if cli_globs:
        return list(cli_globs)
    if environ.get("SMP_MODEL_CONFIGPATH"):
        return [environ["SMP_MODEL_CONFIGPATH"]]
    context = cdk_context(cwd)
    if isinstance(context.get("modelConfigPath"), str):
        return [context["modelConfigPath"]]
    return [DEFAULT_CONFIG_GLOB]


def cdk_context(cwd: Path) -> dict[str, Any]:
    """The ``context`` of ``cwd/cdk.json`` ({} when there is none or it is not readable)."""
    cdk_json = cwd / "cdk.json"
    if not cdk_json.is_file():
        return {}
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    except (ValueError, OSError, AttributeError):
        return {}
    return context if isinstance(context, dict) else {}


def allowed_env_vars(cwd: Path, cli: Sequence[str] = ()) -> frozenset[str]:
    """Environment variables config files may reference besides ``SMP_VAR_*``: ``--allow-env`` and cdk.json's
    context ``allowedEnvironmentVariables`` (a list of names)."""
    listed = cdk_context(cwd).get("allowedEnvironmentVariables", [])
    names = [n for n in listed if isinstance(n, str)] if isinstance(listed, list) else []
    return frozenset(names) | frozenset(cli)


def _glob(pattern: str, cwd: Path) -> list[Path]:
    """Files matching ``pattern``. ``**`` does not follow symlinked folders (pathlib's rule), so a symlink
    loop cannot make the search endless."""
    path = Path(pattern)
    base, rest = (Path(path.anchor), str(path.relative_to(path.anchor))) if path.is_absolute() else (cwd, pattern)
    if not any(c in pattern for c in "*?["):
        return [base / rest]
    out = []
    for match in base.glob(rest):
        out.append(match)
        if len(out) > MAX_CONFIG_FILES:
            break
    return out


def discover(globs: Sequence[str], cwd: Path) -> tuple[list[Path], list[Problem]]:
    """Files matched by the globs (relative to ``cwd``), sorted and de-duplicated."""
    found: dict[str, Path] = {}
    problems = []
    for pattern in globs:
        try:
            candidates = _glob(pattern, cwd)
            matches = [m for m in candidates if m.is_file()]
        except (OSError, ValueError) as exc:  # an invalid pattern, a path too long, a symlink loop...
            problems.append(Problem(pattern, 0, 0, "", f"cannot search this path or glob: {exc}"))
            continue
        if len(candidates) == 1 and candidates[0].is_dir():
            problems.append(
                Problem(
                    pattern,
                    0,
                    0,
                    "",
                    "is a folder, not a config file",
                    f"give a file or a glob, e.g. --config '{pattern.rstrip('/')}/**/conf.yaml'",
                )
            )
            continue
        if len(candidates) == 1 and candidates[0].is_symlink() and not candidates[0].exists():
            problems.append(
                Problem(pattern, 0, 0, "", "is a broken symlink or a symlink loop", "give the path of a YAML file")
            )
            continue
        if len(candidates) == 1 and candidates[0].exists() and not matches:
            problems.append(Problem(pattern, 0, 0, "", "is not a regular file", "give the path of a YAML file"))
            continue
        if not matches:
            problems.append(
                Problem(
                    pattern,
                    0,
                    0,
                    "",
                    "no config file matches this path or glob",
                    f"paths are relative to {cwd}; set --config, SMP_MODEL_CONFIGPATH or "
                    "cdk.json context modelConfigPath",
                )
            )
        for match in matches:
            found[str(match.resolve())] = match.resolve()
    if len(found) > MAX_CONFIG_FILES:
        problems.append(
            Problem(
                globs[0],
                0,
                0,
                "",
                f"more than {MAX_CONFIG_FILES:,} files match",
                "narrow the glob to the model config files",
            )
        )
        return [], problems
    return [found[k] for k in sorted(found)], problems


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _substitute(doc: SourceDoc, environ: Mapping[str, str], allowed: frozenset[str]) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []

    def visit(value: str, at: tuple) -> str:
        try:
            return resolve_string(value, environ, allowed)
        except ReferenceError_ as exc:
            problems.append(doc.problem(at, str(exc), exc.hint))
            return value

    return walk_strings(doc.data, (), visit), problems


def load_projects(
    cli_globs: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    allow_env: Sequence[str] = (),
) -> dict[str, ProjectConfig]:
    """One :class:`ProjectConfig` per pipeline, by pipeline name (sorted). Every file with a
    ``sagemakerPipeline`` section (an anchor) defines one pipeline with the models it lists; the models'
    definitions may come from any matched file, and a model may be used by several pipelines.

    Raises :class:`ConfigError` with every problem of every pipeline; with several pipelines, a problem found
    while checking one of them starts ``pipeline NAME:``.
    """
    environ = os.environ if environ is None else environ
    cwd = Path(cwd or Path.cwd()).resolve()
    allowed = allowed_env_vars(cwd, allow_env)
    paths, problems = discover(config_globs(cli_globs, environ, cwd), cwd)

    docs: dict[str, SourceDoc] = {}
    parsed: dict[str, ConfigFile] = {}
    budget = ReadBudget()
    for path in paths:
        name = display_path(path, cwd)
        doc, found = read_yaml(path, name, budget)
        problems += found
        if doc is None:
            continue
        docs[name] = doc
        config, found = _validate_file(doc, environ, allowed)
        problems += _not_repeating(found, problems)
        if config is not None and not any(not p.is_warning for p in found):
            parsed[name] = config

    merged = _merge(parsed, docs, problems)
    file_settings = _framework_values(parsed, docs, environ, problems)
    settings, found = resolve_settings(environ, file_settings)
    problems += found
    if _errors(problems) or merged is None:
        raise ConfigError(problems)
    models, model_files, anchors = merged
    several = len(anchors) > 1
    if several:
        problems += _unused_models(models, model_files, anchors, parsed, docs)
    projects: dict[str, ProjectConfig] = {}
    for pipeline_name, anchor in sorted(anchors.items()):
        pipeline = parsed[anchor].conf.sagemakerPipeline
        assert pipeline is not None  # _merge picks as anchors files that have a sagemakerPipeline section
        # With one pipeline every model is kept (as before); with several, each holds the models it lists.
        used = models if not several else {m: c for m, c in models.items() if m in pipeline.models}
        project = ProjectConfig(
            root=cwd,
            files=tuple(docs),
            models=used,
            pipeline=pipeline,
            settings=settings,
            anchor_file=anchor,
            model_files={m: f for m, f in model_files.items() if m in used},
            docs=docs,
        )
        found = _check_parameter_refs(project, whole_files=not several)
        found += local_path_problems(project)
        found += limit_problems(project)
        problems += [name_pipeline(p, pipeline_name) for p in found] if several else found
        projects[pipeline_name] = project
    if several:
        problems += _shared_group_names(projects)
    if _errors(problems):
        raise ConfigError(problems)
    warnings = tuple(sorted(set(problems)))
    return {name: dataclasses.replace(project, warnings=warnings) for name, project in projects.items()}


def load_project(
    cli_globs: Sequence[str] | None = None,
    *,
    pipeline: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    allow_env: Sequence[str] = (),
) -> ProjectConfig:
    """Load, validate and merge every config file into the project of one pipeline. Raises
    :class:`ConfigError` with all problems (and the warnings found so far); on success the warnings are in
    :attr:`ProjectConfig.warnings`.

    ``pipeline``: the pipeline's name; needed when the files define several pipelines (see
    :func:`load_projects`). ``allow_env``: environment variables config files may reference (besides
    ``SMP_VAR_*`` and cdk.json's ``allowedEnvironmentVariables``).
    """
    projects = load_projects(cli_globs, environ=environ, cwd=cwd, allow_env=allow_env)
    return choose_pipeline(projects, pipeline)


def choose_pipeline(projects: Mapping[str, ProjectConfig], pipeline: str | None) -> ProjectConfig:
    """The project of ``pipeline`` (``None``: the only one). ``ConfigError`` naming the pipelines when the
    name is unknown, or when there are several and none is named."""
    if pipeline is None and len(projects) == 1:
        return next(iter(projects.values()))
    if pipeline is not None and pipeline in projects:
        return projects[pipeline]
    names = ", ".join(projects)
    first = next(iter(projects.values()))
    if pipeline is None:
        message = f"{len(projects)} pipelines here: {names}"
        hint = "choose one with --pipeline NAME"
    else:
        message = f"no pipeline named {pipeline!r} (pipelines here: {names})"
        hint = did_you_mean(pipeline, projects, what="pipelines") or "choose one with --pipeline NAME"
    raise ConfigError([*first.warnings, Problem("", 0, 0, "--pipeline", message, hint)])


def name_pipeline(problem: Problem, pipeline: str) -> Problem:
    """``problem`` with its message starting ``pipeline NAME:`` (a model shared by two pipelines that breaks
    one of them says which)."""
    if problem.message.startswith(f"pipeline {pipeline}: "):
        return problem
    return dataclasses.replace(problem, message=f"pipeline {pipeline}: {problem.message}")


def _unused_models(
    models: Mapping[str, ModelConfig],
    model_files: Mapping[str, str],
    anchors: Mapping[str, str],
    parsed: Mapping[str, ConfigFile],
    docs: Mapping[str, SourceDoc],
) -> list[Problem]:
    """With several pipelines, a model no pipeline lists is an error: it would be silently left out."""
    used = {m for anchor in anchors.values() for m in parsed[anchor].conf.sagemakerPipeline.models}  # type: ignore[union-attr]
    return [
        docs[model_files[model]].problem(
            ("conf", "models", model),
            f"model '{model}' is used by no pipeline (pipelines here: {', '.join(sorted(anchors))})",
            "list it in the models of a sagemakerPipeline section, or remove it",
        )
        for model in models
        if model not in used
    ]


def _shared_group_names(projects: Mapping[str, ProjectConfig]) -> list[Problem]:
    """Two pipelines registering into one explicitly named model package group: each pipeline's stack would
    create that group."""
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for name, project in projects.items():
        for model, unit in project.pipeline.models.items():
            if not any(step.step_class == "RegisterModel" for step in unit.steps):
                continue  # a pipeline that only preprocesses a shared model registers nothing for it
            config = project.models.get(model)
            registry = getattr(config, "registry", None) if config is not None else None
            group = getattr(registry, "ModelPackageGroupName", None)
            if not isinstance(group, str):
                continue
            if group in owner and owner[group] != name:
                problems.append(
                    project.model_problem(
                        model,
                        ("registry", "ModelPackageGroupName"),
                        f"pipeline {name}: model package group '{group}' is also used by pipeline {owner[group]}",
                        "each pipeline's stack creates its groups: leave ModelPackageGroupName unset "
                        "(the default is <pipelineName>-<model>) or give each pipeline its own name",
                    )
                )
            owner.setdefault(group, name)
    return problems


def _not_repeating(found: list[Problem], earlier: list[Problem]) -> list[Problem]:
    """``found`` without the problems at (or above) a key the YAML reader already reported: a value it could not
    read is left out, so "required key is missing" there would only repeat it."""
    read = [(p.file, p.key_path) for p in earlier if p.key_path]

    def repeats(p: Problem) -> bool:
        return any(
            p.file == file
            and (key == p.key_path or key.startswith(p.key_path + ".") or key.startswith(p.key_path + "["))
            for file, key in read
        )

    return [p for p in found if not repeats(p)]


def _errors(problems: Sequence[Problem]) -> bool:
    return any(not p.is_warning for p in problems)


def _validate_file(
    doc: SourceDoc, environ: Mapping[str, str], allowed: frozenset[str]
) -> tuple[ConfigFile | None, list[Problem]]:
    if not isinstance(doc.data, dict) or "conf" not in doc.data:
        got = "an empty file" if doc.data is None else "no 'conf' key at the top"
        return None, [
            doc.problem(
                (),
                f"not a model config file: {got}",
                "a model config file starts with 'conf:' and holds 'models:' and/or 'sagemakerPipeline:'",
            )
        ]
    data, problems = _substitute(doc, environ, allowed)
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        return None, problems + problems_from(exc, doc, ConfigFile, data)
    except RecursionError:  # pragma: no cover - yaml_source bounds the depth well below the limit
        return None, problems + [doc.problem((), "nested too deeply to validate")]
    return config, problems + secret_warnings(doc)


def _merge(
    parsed: Mapping[str, ConfigFile], docs: Mapping[str, SourceDoc], problems: list[Problem]
) -> tuple[dict[str, ModelConfig], dict[str, str], dict[str, str]] | None:
    """All models (each defined once) and, by pipeline name, the file of each pipeline's section."""
    models: dict[str, ModelConfig] = {}
    model_files: dict[str, str] = {}
    for name, config in parsed.items():
        for model, model_config in config.conf.models.items():
            if model in models:
                first = model_files[model]
                line, _ = docs[first].locate(("conf", "models", model))
                problems.append(
                    docs[name].problem(
                        ("conf", "models", model),
                        f"model '{model}' is defined twice: here and in {first}:{line}",
                        "model names must be unique across all config files; rename one",
                    )
                )
                continue
            models[model] = model_config
            model_files[model] = name
    anchors = [name for name, config in parsed.items() if config.conf.sagemakerPipeline is not None]
    if not parsed:
        if not problems:
            problems.append(Problem("", 0, 0, "", "no model config file found"))
        return None
    if not anchors:
        if len(parsed) == len(docs):  # don't pile on when a file already failed to validate
            problems.append(
                Problem(
                    next(iter(parsed)),
                    1,
                    1,
                    "conf.sagemakerPipeline",
                    f"no file has a sagemakerPipeline section (looked in: {', '.join(parsed)})",
                    "add conf.sagemakerPipeline (pipelineName, models, steps) to the anchor model's file",
                )
            )
        return None
    by_name: dict[str, str] = {}
    for other in anchors:
        two = parsed[other].conf.sagemakerPipeline
        assert two is not None
        anchor = by_name.setdefault(two.pipelineName, other)
        one = parsed[anchor].conf.sagemakerPipeline
        # Two sections of one pipeline: identical ones count once (the original's multi-file examples).
        if one is not None and two != one:
            key = _first_difference(one.model_dump(), two.model_dump())
            line, _ = docs[anchor].locate(("conf", "sagemakerPipeline") + key)
            problems.append(
                docs[other].problem(
                    ("conf", "sagemakerPipeline") + key,
                    f"a second sagemakerPipeline section differs from the first one "
                    f"here (the first is in {anchor}:{line})",
                    "exactly one file (the anchor model's) holds sagemakerPipeline; remove one",
                )
            )
    return models, model_files, by_name


def _first_difference(a: Any, b: Any, at: tuple = ()) -> tuple:
    """The key path of the first place where ``a`` and ``b`` differ (``()``: they differ as a whole)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), at + (key,)) if key in a and key in b else at + (key,)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, at + (index,))
    return at


_SETTING_WORDS = {
    "SMP_S3BUCKETNAME": "artifact bucket",
    "SMP_SUBNETS": "subnets",
    "SMP_SECURITYGROUPS": "security groups",
    "SMP_ROLE": "execution role",
    "SMP_KMSKEY": "KMS key",
}


def _framework_values(
    parsed: Mapping[str, ConfigFile], docs: Mapping[str, SourceDoc], environ: Mapping[str, str], problems: list[Problem]
) -> dict[str, tuple[str | None, Problem | None]]:
    """Framework settings written in config files (the original's framework/conf/conf.yaml form).

    A file that also defines models or the pipeline redirects the deployment's infrastructure from a
    model's own config: that gets a warning, and a bucket without a key (outputs not encrypted with a key
    the deployment controls) is an error.
    """
    out: dict[str, tuple[str | None, Problem | None]] = {}
    for name, config in parsed.items():
        conf = config.conf
        net = conf.sagemakerNetworkSecurity
        pairs: list[tuple[str, tuple[str, ...], str | None]] = [("SMP_S3BUCKETNAME", ("s3Bucket",), conf.s3Bucket)]
        if net is not None:
            pairs += [
                ("SMP_SUBNETS", ("sagemakerNetworkSecurity", "subnets"), net.subnets),
                ("SMP_SECURITYGROUPS", ("sagemakerNetworkSecurity", "security_groups_id"), net.security_groups_id),
                ("SMP_ROLE", ("sagemakerNetworkSecurity", "role"), net.role),
                ("SMP_KMSKEY", ("sagemakerNetworkSecurity", "kms_key"), net.kms_key),
            ]
        model_file = bool(conf.models) or conf.sagemakerPipeline is not None
        for var, key, value in pairs:
            if value is None or value == "${" + var + "}":
                continue
            if model_file and not environ.get(var, "").strip():
                problems.append(
                    docs[name].problem(
                        ("conf",) + key,
                        f"a model config file sets the pipeline's {_SETTING_WORDS[var]}",
                        f"infrastructure comes from the deployment: set {var} in its environment, or move the "
                        "setting to a framework config file without models",
                        severity="warning",
                    )
                )
            if var not in out:
                out[var] = (value, docs[name].problem(("conf",) + key, ""))
        if (
            conf.s3Bucket
            and conf.s3Bucket != "${SMP_S3BUCKETNAME}"
            and not environ.get("SMP_S3BUCKETNAME", "").strip()
            and not (net is not None and net.kms_key)
            and not environ.get("SMP_KMSKEY", "").strip()
        ):
            problems.append(
                docs[name].problem(
                    ("conf", "s3Bucket"),
                    "an existing bucket is named without a KMS key",
                    "set sagemakerNetworkSecurity.kms_key (or SMP_KMSKEY) to the key that encrypts it, or remove "
                    "s3Bucket to let the stack create an encrypted bucket",
                )
            )
    return out


#: Environment variable names and values that look like credentials.
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_SECRET_VALUE = re.compile(
    r"(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|^(ghp|gho|github_pat|xox[bap]|sk)_[A-Za-z0-9_]{16,}"
)


def secret_warnings(doc: SourceDoc) -> list[Problem]:
    """A warning for each ``env:`` value that looks like a credential written in clear text: it would land in
    the pipeline definition, readable by anyone who can describe the pipeline."""
    out: list[Problem] = []
    models = doc.data.get("conf", {}).get("models") if isinstance(doc.data.get("conf"), dict) else None
    for model, body in models.items() if isinstance(models, dict) else ():
        for section, settings in body.items() if isinstance(body, dict) else ():
            env = settings.get("env") if isinstance(settings, dict) else None
            for key, value in env.items() if isinstance(env, dict) else ():
                text = str(value)
                if not text or text.startswith("${params."):
                    continue
                if _SECRET_VALUE.search(text) or (_SECRET_NAME.search(key) and len(text) >= 8):
                    out.append(
                        doc.problem(
                            ("conf", "models", model, section, "env", key),
                            "looks like a secret written in clear text",
                            "environment values are readable in the pipeline definition; read the "
                            "secret at run time (AWS Secrets Manager) and pass its name instead",
                            severity="warning",
                        )
                    )
    return out


_INTEGER_FIELDS = {"instance_count", "max_payload", "max_parallel_execution_steps", "max_attempts", "interval_seconds"}


def _check_parameter_refs(project: ProjectConfig, *, whole_files: bool = True) -> list[Problem]:
    """Every ``${params.X}`` names a declared parameter of a fitting type; framework vars are known.

    ``whole_files``: look at every string of every file (one pipeline); otherwise only at this pipeline's
    section and its models (several pipelines: another pipeline's parameters are not this one's).
    """
    declared = {p.name: p.type for p in project.pipeline.parameters}
    problems: list[Problem] = []
    seen: set[str] = set()
    for p in project.pipeline.parameters:
        if p.name in seen:
            problems.append(
                project.pipeline_problem(
                    ("parameters",), f"parameter '{p.name}' is declared twice", "parameter names must be unique"
                )
            )
        seen.add(p.name)
    for name_, doc in project.docs.items():

        def visit(value: str, at: tuple, doc: SourceDoc = doc) -> str:
            for name in parameter_names(value):
                if name not in declared:
                    problems.append(
                        doc.problem(
                            at,
                            f"unknown pipeline parameter '{name}'",
                            did_you_mean(name, declared, what="parameters")
                            or "declare it in sagemakerPipeline.parameters",
                        )
                    )
                elif at and at[-1] in _INTEGER_FIELDS and declared[name] != "Integer":
                    problems.append(
                        doc.problem(
                            at,
                            f"parameter '{name}' is a {declared[name]}, this key needs an Integer",
                            "change the parameter's type to Integer",
                        )
                    )
            return value

        if whole_files:
            walk_strings(doc.data, (), visit)
            continue
        conf = doc.data.get("conf", {}) if isinstance(doc.data, dict) else {}
        if name_ == project.anchor_file:
            walk_strings(conf.get("sagemakerPipeline"), ("conf", "sagemakerPipeline"), visit)
        for model, file in project.model_files.items():
            if file == name_:
                walk_strings(conf["models"][model], ("conf", "models", model), visit)
    schedule = project.pipeline.schedule
    if schedule is not None:
        for name in schedule.parameters:
            if name not in declared:
                problems.append(
                    project.pipeline_problem(
                        ("schedule", "parameters", name),
                        f"unknown pipeline parameter '{name}'",
                        did_you_mean(name, declared, what="parameters"),
                    )
                )
    return problems


__all__ = [
    "ProjectConfig",
    "load_project",
    "load_projects",
    "choose_pipeline",
    "name_pipeline",
    "config_globs",
    "DEFAULT_CONFIG_GLOB",
    "FRAMEWORK_VARIABLES",
]
