"""References inside config values: framework variables, environment variables, pipeline parameters.

Three forms are understood in any string value:

* ``SMP_S3BUCKETNAME`` (the original framework's form: a framework variable's bare name as a path or host
  segment, e.g. ``s3://SMP_S3BUCKETNAME/key`` or ``SMP_ACCOUNTID.dkr.ecr.SMP_REGION.amazonaws.com/img``) and
  ``${SMP_S3BUCKETNAME}``: a *framework variable*. It is kept as the canonical ``${SMP_...}`` placeholder and
  bound later, by the compiler, to the deployment's real value (the artifact bucket the stack creates, the
  stack's account and region, ...). It is never replaced by its own name when unset.
* ``${VAR}`` / ``${VAR:-default}``: an environment variable the user allowed, substituted at load time: its name
  starts with :data:`ENV_PREFIX` (``SMP_VAR_``), or it is listed in cdk.json's context
  ``allowedEnvironmentVariables`` or given with ``--allow-env``. Any other name is refused, so that a config
  file cannot copy the machine's secrets (``${AWS_SECRET_ACCESS_KEY}``) into a template. An unset variable
  without a default is an error, never an empty string or a literal name.
* ``${params.Name}``: a runtime pipeline parameter declared in ``sagemakerPipeline.parameters``; an execution
  can override it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

#: Framework variables and what they stand for. Values come from the environment or the deployment.
FRAMEWORK_VARIABLES: Mapping[str, str] = {
    "SMP_S3BUCKETNAME": "artifact bucket name",
    "SMP_ROLE": "SageMaker execution role ARN",
    "SMP_SUBNETS": "comma-separated subnet ids for the jobs",
    "SMP_SECURITYGROUPS": "comma-separated security group ids for the jobs",
    "SMP_ACCOUNTID": "AWS account id",
    "SMP_REGION": "AWS region",
    "SMP_MODEL_CONFIGPATH": "glob of the model config files",
    "SMP_KMSKEY": "KMS key id or ARN for job volumes and outputs",
}

#: Environment variables with this prefix may always be referenced from config files.
ENV_PREFIX = "SMP_VAR_"

_BARE = re.compile(
    r"(?<![A-Za-z0-9_{])(" + "|".join(sorted(FRAMEWORK_VARIABLES, key=len, reverse=True)) + r")(?![A-Za-z0-9_])"
)
_BRACED = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAM_REF = re.compile(r"^\$\{params\.([A-Za-z][A-Za-z0-9_-]*)\}$")
_PARAM_ANY = re.compile(r"\$\{params\.([A-Za-z][A-Za-z0-9_-]*)\}")


class ReferenceError_(ValueError):
    """A reference that cannot be resolved; carries a hint for the user."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


def resolve_string(value: str, environ: Mapping[str, str], allowed: Collection[str] = ()) -> str:
    """Canonicalise framework variables and substitute the allowed environment variables in one string value.

    ``allowed``: names the user allowed besides those starting with :data:`ENV_PREFIX`.
    """
    value = _BARE.sub(lambda m: "${" + m.group(1) + "}", value)

    def braced(match: re.Match[str]) -> str:
        body = match.group(1)
        name, sep, default = body.partition(":-")
        if name.startswith("params."):
            return match.group(0)
        if name in FRAMEWORK_VARIABLES:
            return "${" + name + "}"
        if not _ENV_NAME.match(name):
            raise ReferenceError_(
                f"'${{{body}}}' is not a valid reference", "use ${ENV_VAR}, ${ENV_VAR:-default} or ${params.Name}"
            )
        if not name.startswith(ENV_PREFIX) and name not in allowed:
            raise ReferenceError_(
                f"environment variable {name} is not allowed in config files",
                f"name it {ENV_PREFIX}{name}, or allow it in cdk.json "
                f'(context "allowedEnvironmentVariables": ["{name}"]) or with --allow-env {name}',
            )
        if name in environ:
            return environ[name]
        if sep:
            return default
        raise ReferenceError_(
            f"environment variable {name} is not set", f"export {name}=... or give a default: ${{{name}:-value}}"
        )

    return _BRACED.sub(braced, value)


def walk_strings(data: Any, at: tuple, visit: Callable[[str, tuple], str]) -> Any:
    """Rebuild ``data`` with ``visit(value, key_path)`` applied to every string leaf."""
    if isinstance(data, dict):
        return {k: walk_strings(v, at + (k,), visit) for k, v in data.items()}
    if isinstance(data, list):
        return [walk_strings(v, at + (i,), visit) for i, v in enumerate(data)]
    if isinstance(data, str):
        return visit(data, at)
    return data


def parameter_names(value: str) -> list[str]:
    """Names of the ``${params.X}`` references in a string."""
    return _PARAM_ANY.findall(value)


def framework_names(value: str) -> list[str]:
    """Names of the framework variables referenced in a (canonicalised) string."""
    return [m for m in _BRACED.findall(value) if m in FRAMEWORK_VARIABLES]
