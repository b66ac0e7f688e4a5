"""A YAML loader that remembers where every key and value came from.

PyYAML's composer already knows the line and column of each node; we walk the node tree ourselves to build
plain Python data plus a map ``key path -> (line, col)`` so that any later check can point at the offending
key. Duplicate keys (which PyYAML silently lets win) are reported, as are anchors/merge keys done right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from constructs_lib.errors import Problem, join_path

try:  # libyaml is ~10x faster when present; both report the same marks.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceDoc:
    """One parsed YAML file: its data and the position of every key path (1-based line/col)."""

    path: str
    data: Any
    marks: Mapping[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, key_path: Path_) -> tuple[int, int]:
        """Position of ``key_path``, or of its closest existing ancestor (a missing key points at its parent)."""
        parts = tuple(key_path)
        while parts:
            if parts in self.marks:
                return self.marks[parts]
            parts = parts[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, key_path: Path_, message: str, hint: str = "") -> Problem:
        line, col = self.locate(key_path)
        return Problem(self.path, line, col, join_path(key_path), message, hint)


class _Builder:
    def __init__(self, path: str):
        self.path = path
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, at: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            self._scalars.flatten_mapping(node)  # resolves "<<: *anchor" merge keys
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, at) if isinstance(key_node, yaml.ScalarNode) else None
                pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if isinstance(key, (dict, list)):
                    self.problems.append(Problem(self.path, *pos, join_path(at), "a key must be a plain scalar"))
                    continue
                # A key is a name: YAML 1.1 would read `on:`/`yes:` as booleans, keep the text as written.
                key = key_node.value if isinstance(key, bool) or key is None else str(key)
                if key in out:
                    first = self.marks[at + (key,)]
                    self.problems.append(
                        Problem(self.path, *pos, join_path(at + (key,)), "duplicate key",
                                f"first defined at line {first[0]}; YAML keeps only one, remove the other")
                    )
                    continue
                self.marks[at + (key,)] = pos
                out[key] = self.build(value_node, at + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.marks[at + (index,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.build(item, at + (index,)))
            return items
        return self._scalars.construct_object(node)


def parse_yaml(text: str, path: str) -> tuple[SourceDoc | None, list[Problem]]:
    """Parse one YAML document. Returns the doc (None on syntax error) and the problems found."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return None, [Problem(path, line, col, "", f"YAML syntax error: {what}",
                              "check the indentation and the ':' after each key on this line and the one above")]
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        return None, [Problem(path, 1, 1, "", f"YAML error: {exc}", "the file must be UTF-8 YAML text")]
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        return None, [Problem(path, line, 1, "", "more than one YAML document in the file",
                              "keep one document per file (remove the extra '---')")]
    if not nodes or nodes[0] is None:
        return SourceDoc(path, None, {(): (1, 1)}), []
    builder = _Builder(path)
    builder.marks[()] = (nodes[0].start_mark.line + 1, nodes[0].start_mark.column + 1)
    data = builder.build(nodes[0], ())
    return SourceDoc(path, data, builder.marks), builder.problems


def read_yaml(file: Path, display: str) -> tuple[SourceDoc | None, list[Problem]]:
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 1, 1, "", f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(display, 0, 0, "", f"cannot read file: {exc.strerror}")]
    return parse_yaml(text, display)
