"""Find the model config files, load them, resolve references, validate and merge them into one project.

``load_project()`` either returns a :class:`ProjectConfig` or raises :class:`ConfigError` with every problem
found in every file. It imports neither the CDK nor the SageMaker SDK, so it is fast.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from constructs_lib.config.references import (FRAMEWORK_VARIABLES, ReferenceError_, parameter_names,
                                              resolve_string, walk_strings)
from constructs_lib.config.schema import ConfigFile, ModelConfig, PipelineConfig
from constructs_lib.config.settings import FrameworkSettings, resolve_settings
from constructs_lib.config.validation import problems_from
from constructs_lib.config.yaml_source import SourceDoc, read_yaml
from constructs_lib.errors import ConfigError, Problem, did_you_mean

DEFAULT_CONFIG_GLOB = "model_repos/*/conf/conf.yaml"


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
    cdk_json = cwd / "cdk.json"
    if cdk_json.is_file():
        try:
            context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
        except (json.JSONDecodeError, OSError, AttributeError):
            context = {}
        if isinstance(context, dict) and isinstance(context.get("modelConfigPath"), str):
            return [context["modelConfigPath"]]
    return [DEFAULT_CONFIG_GLOB]


def discover(globs: Sequence[str], cwd: Path) -> tuple[list[Path], list[Problem]]:
    """Files matched by the globs (relative to ``cwd``), sorted and de-duplicated."""
    found: dict[str, Path] = {}
    problems = []
    for pattern in globs:
        absolute = pattern if os.path.isabs(pattern) else str(cwd / pattern)
        matches = [Path(m) for m in glob.glob(absolute, recursive=True) if Path(m).is_file()]
        if not matches:
            problems.append(Problem(pattern, 0, 0, "", "no config file matches this path or glob",
                                    f"paths are relative to {cwd}; set --config, SMP_MODEL_CONFIGPATH or "
                                    "cdk.json context modelConfigPath"))
        for match in matches:
            found[str(match.resolve())] = match.resolve()
    return [found[k] for k in sorted(found)], problems


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _substitute(doc: SourceDoc, environ: Mapping[str, str]) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []

    def visit(value: str, at: tuple) -> str:
        try:
            return resolve_string(value, environ)
        except ReferenceError_ as exc:
            problems.append(doc.problem(at, str(exc), exc.hint))
            return value

    return walk_strings(doc.data, (), visit), problems


def load_project(cli_globs: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> ProjectConfig:
    """Load, validate and merge every config file. Raises :class:`ConfigError` with all problems."""
    environ = os.environ if environ is None else environ
    cwd = (cwd or Path.cwd()).resolve()
    paths, problems = discover(config_globs(cli_globs, environ, cwd), cwd)

    docs: dict[str, SourceDoc] = {}
    parsed: dict[str, ConfigFile] = {}
    for path in paths:
        name = display_path(path, cwd)
        doc, found = read_yaml(path, name)
        problems += found
        if doc is None:
            continue
        docs[name] = doc
        config, found = _validate_file(doc, environ)
        problems += found
        if config is not None and not found:
            parsed[name] = config

    merged = _merge(parsed, docs, problems)
    file_settings = _framework_values(parsed, docs)
    settings, found = resolve_settings(environ, file_settings)
    problems += found
    if problems or merged is None:
        raise ConfigError(problems)
    models, model_files, anchor = merged
    project = ProjectConfig(root=cwd, files=tuple(docs), models=models, pipeline=parsed[anchor].conf.sagemakerPipeline,
                            settings=settings, anchor_file=anchor, model_files=model_files, docs=docs)
    problems += _check_parameter_refs(project)
    if problems:
        raise ConfigError(problems)
    return project


def _validate_file(doc: SourceDoc, environ: Mapping[str, str]) -> tuple[ConfigFile | None, list[Problem]]:
    if not isinstance(doc.data, dict) or "conf" not in doc.data:
        got = "an empty file" if doc.data is None else "no 'conf' key at the top"
        return None, [doc.problem((), f"not a model config file: {got}",
                                  "a model config file starts with 'conf:' and holds 'models:' and/or 'sagemakerPipeline:'")]
    data, problems = _substitute(doc, environ)
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        return None, problems + problems_from(exc, doc, ConfigFile, data)
    return config, problems


def _merge(parsed: Mapping[str, ConfigFile], docs: Mapping[str, SourceDoc], problems: list[Problem]):
    models: dict[str, ModelConfig] = {}
    model_files: dict[str, str] = {}
    for name, config in parsed.items():
        for model, model_config in config.conf.models.items():
            if model in models:
                first = model_files[model]
                line, _ = docs[first].locate(("conf", "models", model))
                problems.append(docs[name].problem(("conf", "models", model),
                                                   f"model '{model}' is defined twice: here and in {first}:{line}",
                                                   "model names must be unique across all config files; rename one"))
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
            problems.append(Problem(next(iter(parsed)), 1, 1, "conf.sagemakerPipeline",
                                    f"no file has a sagemakerPipeline section (looked in: {', '.join(parsed)})",
                                    "add conf.sagemakerPipeline (pipelineName, models, steps) to the anchor model's file"))
        return None
    anchor = anchors[0]
    for other in anchors[1:]:
        if parsed[other].conf.sagemakerPipeline != parsed[anchor].conf.sagemakerPipeline:
            line, _ = docs[anchor].locate(("conf", "sagemakerPipeline"))
            problems.append(docs[other].problem(("conf", "sagemakerPipeline"),
                                                f"a second, different sagemakerPipeline section (the first is in {anchor}:{line})",
                                                "exactly one file (the anchor model's) holds sagemakerPipeline; remove one"))
    return models, model_files, anchor


def _framework_values(parsed: Mapping[str, ConfigFile], docs: Mapping[str, SourceDoc]):
    """Framework settings written in config files (the original's framework/conf/conf.yaml form)."""
    out: dict[str, tuple[str | None, Problem | None]] = {}
    for name, config in parsed.items():
        conf = config.conf
        net = conf.sagemakerNetworkSecurity
        pairs = [("SMP_S3BUCKETNAME", ("s3Bucket",), conf.s3Bucket)]
        if net is not None:
            pairs += [("SMP_SUBNETS", ("sagemakerNetworkSecurity", "subnets"), net.subnets),
                      ("SMP_SECURITYGROUPS", ("sagemakerNetworkSecurity", "security_groups_id"), net.security_groups_id),
                      ("SMP_ROLE", ("sagemakerNetworkSecurity", "role"), net.role),
                      ("SMP_KMSKEY", ("sagemakerNetworkSecurity", "kms_key"), net.kms_key)]
        for var, key, value in pairs:
            if value is not None and var not in out:
                out[var] = (value, docs[name].problem(("conf",) + key, ""))
    return out


_INTEGER_FIELDS = {"instance_count", "max_payload", "max_parallel_execution_steps", "max_attempts", "interval_seconds"}


def _check_parameter_refs(project: ProjectConfig) -> list[Problem]:
    """Every ``${params.X}`` names a declared parameter of a fitting type; framework vars are known."""
    declared = {p.name: p.type for p in project.pipeline.parameters}
    problems: list[Problem] = []
    seen: set[str] = set()
    for p in project.pipeline.parameters:
        if p.name in seen:
            problems.append(project.pipeline_problem(("parameters",), f"parameter '{p.name}' is declared twice",
                                                     "parameter names must be unique"))
        seen.add(p.name)
    for file, doc in project.docs.items():
        def visit(value: str, at: tuple) -> str:
            for name in parameter_names(value):
                if name not in declared:
                    problems.append(doc.problem(at, f"unknown pipeline parameter '{name}'",
                                                did_you_mean(name, declared, what="parameters") or
                                                "declare it in sagemakerPipeline.parameters"))
                elif at and at[-1] in _INTEGER_FIELDS and declared[name] != "Integer":
                    problems.append(doc.problem(at, f"parameter '{name}' is a {declared[name]}, this key needs an Integer",
                                                "change the parameter's type to Integer"))
            return value

        walk_strings(doc.data, (), visit)
    schedule = project.pipeline.schedule
    if schedule is not None:
        for name in schedule.parameters:
            if name not in declared:
                problems.append(project.pipeline_problem(("schedule", "parameters", name),
                                                         f"unknown pipeline parameter '{name}'",
                                                         did_you_mean(name, declared, what="parameters")))
    return problems


__all__ = ["ProjectConfig", "load_project", "config_globs", "DEFAULT_CONFIG_GLOB", "FRAMEWORK_VARIABLES"]
