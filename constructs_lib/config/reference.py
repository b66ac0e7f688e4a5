"""The README's configuration reference, generated from the schema so that it can never drift.

``python -m constructs_lib reference`` prints it; a test checks the README holds exactly this text between
the ``<!-- config-reference:start -->`` and ``<!-- config-reference:end -->`` markers.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from typing import Any, cast

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from constructs_lib.config import schema as s
from constructs_lib.config.kinds import KINDS

#: (heading, model, YAML location) in reading order.
SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("File", s.ConfigFile, "(top level)"),
    ("conf", s.Conf, "conf"),
    ("Modeling unit", s.ModelConfig, "conf.models.<model>"),
    # the step-kind sections, in the declaration order of constructs_lib.config.kinds
    *(
        item
        for k in KINDS.values()
        if k.section and k.schema
        for item in (
            (" / ".join((k.section, *k.section_aliases)), k.schema, f"conf.models.<model>.{k.section}"),
            *(
                (f"{k.section}.{key}", model, f"conf.models.<model>.{k.section}.{where}")
                for key, model, where in k.nested
            ),
        )
    ),
    ("Image short form", s.ImageRef, "<section>.image_uri, registry.InferenceSpecification.image_uri"),
    ("Channel", s.Channel, "<section>.channels.<channel>"),
    ("Data file", s.DataFile, "<section>.channels.<channel>.dataFiles[]"),
    ("sagemakerPipeline", s.PipelineConfig, "conf.sagemakerPipeline"),
    ("Parameter", s.Parameter, "conf.sagemakerPipeline.parameters[]"),
    ("Schedule", s.Schedule, "conf.sagemakerPipeline.schedule"),
    ("Modeling unit steps", s.ModelSteps, "conf.sagemakerPipeline.models.<model>"),
    ("Step", s.StepConfig, "conf.sagemakerPipeline.models.<model>.steps[]"),
    ("Retry policy", s.RetryPolicy, "conf.sagemakerPipeline.retry, steps[].retry"),
    ("Framework settings", s.NetworkSecurity, "conf.sagemakerNetworkSecurity"),
]


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        # The schema's factories (dict, list, model classes) take no argument; none reads validated data.
        value: Any = cast("Callable[[], Any]", field.default_factory)()
    else:
        value = field.default
    if value is None or value == {} or value == [] or value is PydanticUndefined:
        return "—"
    return f"`{json.dumps(value) if not isinstance(value, str) else value}`"


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in args)
    if origin in (typing.Union, types.UnionType):
        parts = [_type(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is dict:
        return "mapping"
    if origin is list:
        return "list"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return names.get(annotation, "any")


def render_reference() -> str:
    lines: list[str] = []
    for heading, model, where in SECTIONS:
        lines += [
            f"#### {heading}",
            "",
            f"`{where}` — {' '.join((model.__doc__ or '').split()).replace('``', '`')}",
            "",
            "| key | type | default | meaning |",
            "|---|---|---|---|",
        ]
        for name, field in model.model_fields.items():
            key = field.alias or name
            meaning = " ".join((field.description or "").split()).replace("``", "`").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type(field.annotation)} | {_default(field)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
