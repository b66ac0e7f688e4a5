"""``--param NAME=VALUE`` parsing and checking, against the config and the deployed pipeline's definition.

The deployed definition is what SageMaker enforces, so it decides: a name it does not declare is an error
("did you mean"), and a value must fit its type. The config (``sagemakerPipeline.parameters``) is checked too:
a name it does not declare, or a different type, means the deployed pipeline and the config have drifted
apart; that is reported as a warning, since starting the deployed pipeline is still well defined. When the
definition cannot be read, the config alone decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs_lib.errors import did_you_mean
from constructs_lib.runtime.model import DeployedParameter, RuntimeUserError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,255}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_BOOLEANS = {"true": "true", "false": "false"}


@dataclass(frozen=True)
class ConfigParameters:
    """The config's view of the pipeline's parameters: ``{name: type}`` and where they are declared."""

    types: Mapping[str, str]
    source: str = "the config"


def parse_assignments(items: Sequence[str] | None) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}`` (split at the first ``=``; values may be empty)."""
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RuntimeUserError(
                f"bad --param {item!r}: expected NAME=VALUE",
                "e.g. --param ProcessingInstanceCount=2; quote values with spaces",
            )
        if not _NAME.match(name):
            raise RuntimeUserError(
                f"bad --param {item!r}: {name!r} is not a parameter name",
                "names start with a letter and hold letters, digits, '-' and '_'",
            )
        if name in out:
            raise RuntimeUserError(f"--param {name} is given twice ({out[name]!r} and {value!r})", "give it once")
        out[name] = value
    return out


def check_value(name: str, type_: str, value: str, enum_values: Sequence[str] = ()) -> str:
    """The value to send for a parameter of ``type_`` (``String``/``Integer``/``Float``/``Boolean``)."""
    text = value.strip()
    if type_ == "Integer":
        if not _INTEGER.match(text):
            raise RuntimeUserError(
                f"--param {name}={value!r}: {name} is an Integer parameter", "give a whole number such as 2"
            )
        normalized = str(int(text))
    elif type_ == "Float":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise RuntimeUserError(
                f"--param {name}={value!r}: {name} is a Float parameter", "give a finite number such as 0.25"
            )
        normalized = text
    elif type_ == "Boolean":
        if text.lower() not in _BOOLEANS:
            raise RuntimeUserError(f"--param {name}={value!r}: {name} is a Boolean parameter", "give true or false")
        normalized = _BOOLEANS[text.lower()]
    else:
        normalized = value
    if enum_values and normalized not in enum_values:
        raise RuntimeUserError(
            f"--param {name}={value!r}: not one of the allowed values",
            did_you_mean(normalized, enum_values, what="values"),
        )
    return normalized


def resolve_parameters(
    given: Mapping[str, str],
    pipeline: str,
    deployed: Sequence[DeployedParameter] | None,
    config: ConfigParameters | None,
) -> tuple[dict[str, str], list[str]]:
    """Checked values to send, and warnings. Raises :class:`RuntimeUserError` on the first bad one."""
    warnings: list[str] = []
    out: dict[str, str] = {}
    deployed_by_name = {p.name: p for p in deployed} if deployed is not None else None
    config_types = dict(config.types) if config is not None else None
    config_source = config.source if config is not None else ""  # used only when config_types is set
    for name, value in given.items():
        if deployed_by_name is not None:
            param = deployed_by_name.get(name)
            if param is None:
                if config_types is not None and name in config_types:
                    raise RuntimeUserError(
                        f"unknown parameter '{name}': {config_source} declares it, but the deployed pipeline "
                        f"'{pipeline}' does not",
                        "deploy the current config first (cdk deploy), or drop this --param",
                    )
                hint = did_you_mean(name, deployed_by_name, what=f"parameters of '{pipeline}'")
                raise RuntimeUserError(
                    f"unknown parameter '{name}' for pipeline '{pipeline}'",
                    hint or f"pipeline '{pipeline}' declares no parameters",
                )
            out[name] = check_value(name, param.type, value, param.enum_values)
            if config_types is not None:
                if name not in config_types:
                    warnings.append(
                        f"parameter '{name}' is in the deployed pipeline but not in {config_source} "
                        "(the deployment is older than the config?)"
                    )
                elif config_types[name] != param.type:
                    warnings.append(
                        f"parameter '{name}' is a {param.type} in the deployed pipeline but a "
                        f"{config_types[name]} in {config_source}; the deployed type was checked"
                    )
        elif config_types is not None:
            if name not in config_types:
                hint = did_you_mean(name, config_types, what=f"parameters in {config_source}")
                raise RuntimeUserError(
                    f"unknown parameter '{name}' for pipeline '{pipeline}'",
                    hint or f"{config_source} declares no parameters",
                )
            out[name] = check_value(name, config_types[name], value)
        else:
            out[name] = value
    return out, warnings
