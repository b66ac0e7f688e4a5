"""Turn pydantic's validation errors into :class:`Problem` s that point at the user's file and key."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from constructs_lib.config.yaml_source import SourceDoc
from constructs_lib.errors import Problem, did_you_mean


def _unwrap(annotation: Any) -> list[Any]:
    """All classes a (possibly Optional/Annotated/list/dict) annotation can hold."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin in (list, tuple):
        return [("list", t) for arg in typing.get_args(annotation)[:1] for t in _unwrap(arg)]
    if origin is dict:
        return [("dict", t) for arg in typing.get_args(annotation)[1:] for t in _unwrap(arg)]
    return [annotation]


def model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``loc`` (a path of keys and indexes)."""
    current: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for cls in current:
            if isinstance(cls, tuple):  # ("list"|"dict", inner): an index or a key steps into inner
                kind, inner = cls
                if (kind == "list" and isinstance(part, int)) or (kind == "dict" and isinstance(part, str)):
                    nxt.append(inner)
            elif isinstance(cls, type) and issubclass(cls, BaseModel) and isinstance(part, str):
                field = _field_by_key(cls, part)
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
        current = nxt
    models = [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if models else None


def _field_by_key(cls: type[BaseModel], key: str) -> FieldInfo | None:
    for name, field in cls.model_fields.items():
        if key in (name, field.alias):
            return field
    if key == "processing" and "preprocess" in cls.model_fields:
        return cls.model_fields["preprocess"]
    return None


def allowed_keys(cls: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in cls.model_fields.items()]


def _clean_loc(data: Any, loc: tuple, error_type: str) -> tuple:
    """Drop the union/validator tags pydantic puts in ``loc`` so it is a path through the user's data."""
    out: list[Any] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            out.append(part)
            current = current[part]
        elif isinstance(current, dict) and part == "preprocess" and "processing" in current:
            out.append("processing")
            current = current["processing"]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
        elif last and error_type == "missing" and isinstance(part, str):
            out.append(part)
    return tuple(out)


#: What the schema's patterns mean, in words (messages are for people, not regex readers).
PATTERN_WORDS = {
    r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$": "letters, digits and hyphens, starting and ending with a letter or digit",
    r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$": "letters, digits and hyphens, starting and ending with a letter or digit",
    r"^[A-Za-z0-9\-_]{1,64}$": "1-64 letters, digits, '-' or '_'",
    r"^[A-Za-z][A-Za-z0-9_-]{0,255}$": "a letter followed by letters, digits, '-' or '_'",
    r"^(ml\.[a-z0-9]+\.[a-z0-9]+|\$\{params\.[A-Za-z][A-Za-z0-9_-]*\})$": "an instance type such as ml.m5.xlarge, or ${params.Name}",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_from(
    exc: ValidationError, doc: SourceDoc, root: type[BaseModel], data: Any, prefix: tuple = ()
) -> list[Problem]:
    """One problem per distinct faulty key; union alternatives are folded into the most telling message."""
    by_loc: dict[tuple, list[ErrorDetails]] = {}
    for err in exc.errors(include_url=False):
        loc = _clean_loc(data, tuple(err["loc"]), err["type"])
        by_loc.setdefault(loc, []).append(err)
    problems = []
    # "entry_pont: unknown key (did you mean 'entry_point'?)" already explains the missing 'entry_point'.
    typo_fixes = set()
    for loc, errs in by_loc.items():
        if any(e["type"] == "extra_forbidden" for e in errs):
            cls = model_at(root, loc[:-1])
            for guess in difflib.get_close_matches(str(loc[-1]), allowed_keys(cls) if cls else [], n=1, cutoff=0.6):
                typo_fixes.add(loc[:-1] + (guess,))
    for loc, errs in by_loc.items():
        if loc in typo_fixes and all(e["type"] == "missing" for e in errs):
            continue
        preferred = [e for e in errs if e["type"] not in ("none_required", "is_instance_of")] or errs
        rank = {"extra_forbidden": 0, "missing": 1, "value_error": 2, "literal_error": 3}
        err = sorted(preferred, key=lambda e: rank.get(e["type"], 9))[0]
        message, hint = _message(err, root, loc, errs)
        problems.append(doc.problem(prefix + loc, message, hint))
    return problems


def _message(err: ErrorDetails, root: type[BaseModel], loc: tuple, alternatives: list[ErrorDetails]) -> tuple[str, str]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        cls = model_at(root, loc[:-1])
        keys = allowed_keys(cls) if cls else []
        return "unknown key", did_you_mean(str(loc[-1]), keys, what="keys here")
    if kind == "missing":
        cls = model_at(root, loc)
        doc = ""
        if cls is None:
            parent = model_at(root, loc[:-1])
            field = _field_by_key(parent, str(loc[-1])) if parent else None
            doc = " ".join((field.description or "").split()).split(". ")[0] if field else ""
        return "required key is missing", ("add it: " + doc.rstrip(".").replace("``", "'")) if doc else "add it"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        patterns = [e for e in alternatives if e["type"] == "string_pattern_mismatch"]
        extra = " or a ${params.Name} reference" if patterns else ""
        return f"must be one of {expected}{extra} (got {_describe(value)})", did_you_mean(str(value), options)
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        return msg, ""
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        words = PATTERN_WORDS.get(pattern)
        if words:
            return f"must be {words} (got {_describe(value)})", ""
        return (f"invalid value {_describe(value)}", f"it must match the pattern {pattern}")
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters, got {len(value) if isinstance(value, str) else '?'}", ""
    if kind in ("too_short",):
        return "must not be empty", "add at least one item, or remove the key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping (got {_describe(value)})", "indent the keys below it"
    if kind == "list_type":
        return f"must be a list (got {_describe(value)})", "write one item per line, each starting with '- '"
    if kind in ("string_type",):
        return f"must be a string (got {_describe(value)})", ""
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (got {_describe(value)})", ""
    if kind == "too_long" and isinstance(value, str):
        return f"at most {ctx.get('max_length')} characters, got {len(value)}", ""
    if kind == "finite_number":
        return (
            f"must be a finite number (got {_describe(value)})",
            "JSON, and so a pipeline definition, has no NaN or Infinity",
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "too_long", "string_too_long"):
        return f"{err['msg'].lower()} (got {_describe(value)})", ""
    return f"{err['msg']} (got {_describe(value)})", ""
