"""A YAML loader that remembers where every key and value came from, and survives hostile input.

PyYAML's composer already knows the line and column of each node; we walk the node tree ourselves to build
plain Python data plus a map ``key path -> (line, col)`` so that any later check can point at the offending
key. Duplicate keys (which PyYAML silently lets win) are reported, as are anchors/merge keys done right.

Everything that can go wrong while the values are built is a located :class:`Problem`, never a traceback:
tags this format does not have (``!Sub``, ``!!python/...``, ``!!binary``), a merge key on a scalar, an
integer too long to convert, an alias to an anchor that does not exist or that contains itself. Resources
are bounded so that a small file cannot take the machine: the file size (:data:`MAX_FILE_BYTES`), the
number of values after alias expansion (:data:`MAX_VALUES`, which stops an "anchor bomb" after a few
milliseconds) and the nesting depth (:data:`MAX_DEPTH`; libyaml itself stops at 1000 flow levels).
"""

from __future__ import annotations

import re
import stat
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

#: Largest config file read (the biggest real ones are a few KB).
MAX_FILE_BYTES = 1_048_576
#: Most values (scalars, mappings, lists) one file may hold once its aliases are expanded.
MAX_VALUES = 100_000
#: Deepest nesting of mappings and lists (the format itself needs about ten levels).
MAX_DEPTH = 64
#: What all the files of one run may hold together (bytes read, values after alias expansion).
MAX_TOTAL_BYTES = 8 * 1_048_576
MAX_TOTAL_VALUES = 500_000


@dataclass
class ReadBudget:
    """What is left to read in one run, shared by its files, so that many files cannot add up to a bomb."""

    bytes_left: int = MAX_TOTAL_BYTES
    values_left: int = MAX_TOTAL_VALUES


_YAML = "tag:yaml.org,2002:"
#: The standard tags a config value may carry; anything else (custom or Python-specific tags) is refused.
_ALLOWED_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp"))
_ALIAS = re.compile(r"\*([^\s,\[\]{}]+)")


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

    def problem(self, key_path: Path_, message: str, hint: str = "", severity: str = "error") -> Problem:
        line, col = self.locate(key_path)
        return Problem(self.path, line, col, join_path(key_path), message, hint, severity)


class _Abort(Exception):
    """A problem after which building the rest of the document makes no sense (bomb, recursion, depth)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML) :] if tag.startswith(_YAML) else tag


class _Builder:
    def __init__(self, path: str, budget: ReadBudget):
        self.path = path
        self.budget = budget
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._scalars = yaml.constructor.SafeConstructor()
        self._count = 0
        self._open: set[int] = set()  # ids of the collection nodes being built (an alias back to one is a loop)

    def _at(self, node: yaml.Node, at: Path_, message: str, hint: str = "") -> Problem:
        return Problem(self.path, node.start_mark.line + 1, node.start_mark.column + 1, join_path(at), message, hint)

    def build(self, node: yaml.Node, at: Path_, depth: int = 0) -> Any:
        self._count += 1
        self.budget.values_left -= 1
        if self._count > MAX_VALUES:
            raise _Abort(
                self._at(
                    node,
                    at,
                    f"the file expands to more than {MAX_VALUES:,} values",
                    "each alias (*name) copies its anchor's whole value; a config file needs far "
                    "fewer values, so look for aliases of aliases",
                )
            )
        if self.budget.values_left < 0:
            raise _Abort(
                self._at(
                    node,
                    at,
                    f"the config files together expand to more than {MAX_TOTAL_VALUES:,} values",
                    "look for aliases of aliases, or narrow --config to the model config files",
                )
            )
        if depth > MAX_DEPTH:
            raise _Abort(
                self._at(
                    node,
                    at,
                    f"nested more than {MAX_DEPTH} levels deep",
                    "a model config file needs about ten levels; flatten the structure",
                )
            )
        if node.tag not in _ALLOWED_TAGS:
            self.problems.append(
                self._at(
                    node,
                    at,
                    f"unsupported YAML tag {_tag_name(node.tag)}",
                    "this format has no tags (CloudFormation's !Sub, !Ref... do not apply): "
                    "write the plain value, with ${ENV_VAR} or ${params.Name} references",
                )
            )
            return None
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self._open:
                raise _Abort(
                    self._at(
                        node,
                        at,
                        "an alias refers to a value that contains it (a recursive anchor)",
                        "an alias (*name) must not appear inside the anchored value (&name) itself",
                    )
                )
            self._open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, at, depth)
                return self._sequence(node, at, depth)
            finally:
                self._open.discard(id(node))
        try:
            return self._scalars.construct_object(node)
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, yaml.YAMLError) as exc:
            # int('1' * 5000), a date such as 2024-13-45, an explicit tag that does not fit (!!timestamp abc)
            text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            if node.tag == _YAML + "int" and isinstance(exc, ValueError) and "digits" in str(exc):
                reason = "an integer with more digits than Python converts"
            elif isinstance(exc, ValueError) and node.tag == _YAML + "timestamp" and str(exc):
                reason = str(exc)
            else:
                reason = f"it is not a {_tag_name(node.tag)}"
            self.problems.append(
                self._at(node, at, f"cannot read the value {text!r}: {reason}", "quote it to keep it as text")
            )
            return None

    def _mapping(self, node: yaml.MappingNode, at: Path_, depth: int) -> dict[str, Any]:
        merge_tag = _YAML + "merge"
        out = self._merged([v for k, v in node.value if k.tag == merge_tag], at, depth)
        own: set[str] = set()  # keys written here: they override merged ones, but not each other
        for key_node, value_node in node.value:
            if key_node.tag == merge_tag:
                continue
            pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Problem(
                        self.path,
                        *pos,
                        join_path(at),
                        "a key must be a plain scalar",
                        "a '?' complex key or a list/mapping used as a key has no meaning here",
                    )
                )
                continue
            if key_node.tag not in _ALLOWED_TAGS:
                self.problems.append(
                    Problem(
                        self.path,
                        *pos,
                        join_path(at),
                        f"unsupported YAML tag {_tag_name(key_node.tag)} on a key",
                        "write the key as plain text",
                    )
                )
                continue
            try:
                key = self._scalars.construct_object(key_node)
            except (ValueError, yaml.YAMLError):
                key = key_node.value
            # A key is a name: YAML 1.1 would read `on:`/`yes:` as booleans, keep the text as written.
            key = key_node.value if isinstance(key, (bool, int, float)) or key is None else str(key)
            if key in own:
                first = self.marks[at + (key,)]
                self.problems.append(
                    Problem(
                        self.path,
                        *pos,
                        join_path(at + (key,)),
                        "duplicate key",
                        f"first defined at line {first[0]}; YAML keeps only one, remove the other",
                    )
                )
                continue
            own.add(key)
            self.marks[at + (key,)] = pos
            out[key] = self.build(value_node, at + (key,), depth + 1)
        return out

    def _merged(self, values: list[yaml.Node], at: Path_, depth: int) -> dict[str, Any]:
        """The keys ``<<: *a`` / ``<<: [*a, *b]`` bring in (YAML's merge key: the first mapping named wins, the
        mapping's own keys win over all). Each merged value is built, and counted, like any other."""
        sources: list[yaml.Node] = []
        for value in values:
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in items:
                if isinstance(item, yaml.MappingNode):
                    sources.append(item)
                else:
                    kind = "a list" if isinstance(item, yaml.SequenceNode) else "a scalar"
                    self.problems.append(
                        self._at(
                            item,
                            at,
                            f"a merge key '<<' needs a mapping or a list of mappings (found {kind})",
                            "write '<<: *anchor' where &anchor names a mapping",
                        )
                    )
        out: dict[str, Any] = {}
        for source in reversed(sources):  # built last to first, so that the first one's values and marks stay
            built = self.build(source, at, depth)
            if isinstance(built, dict):
                out.update(built)
        return out

    def _sequence(self, node: yaml.SequenceNode, at: Path_, depth: int) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.marks[at + (index,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(self.build(item, at + (index,), depth + 1))
        return items


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, path: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    # An unclosed quote or bracket is only noticed at the end of the file: point at where it was opened.
    if exc.context_mark is not None and (mark is None or mark.index >= len(text.rstrip())):
        mark = exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if isinstance(exc, yaml.composer.ComposerError) and "undefined alias" in str(exc.problem):
        name = _ALIAS.match(text, mark.index) if mark else None
        alias = f"*{name.group(1)}" if name else "an alias"
        anchor = f"&{name.group(1)}" if name else "&name"
        return Problem(
            path,
            line,
            col,
            "",
            f"{alias} refers to an anchor that is not defined",
            f"define {anchor} on a value above this line (an anchor is only visible below it)",
        )
    what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
    if "maximum nesting depth" in what:
        return Problem(
            path,
            line,
            col,
            "",
            f"nested more than {MAX_DEPTH} levels deep",
            "a model config file needs about ten levels; flatten the structure",
        )
    return Problem(
        path,
        line,
        col,
        "",
        f"YAML syntax error: {what}",
        "check the indentation, quotes and brackets, and the ':' after each key on this line and the one above",
    )


def parse_yaml(text: str, path: str, budget: ReadBudget | None = None) -> tuple[SourceDoc | None, list[Problem]]:
    """Parse one YAML document. Returns the doc (None on syntax error) and the problems found."""
    text = text.removeprefix("\ufeff")
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.reader.ReaderError as exc:  # a control character (libyaml gives its character index)
        line, col = _line_col(text, exc.position)
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [
            Problem(
                path,
                line,
                col,
                "",
                f"character {char} is not allowed in YAML ({exc.reason})",
                "remove it: YAML text may hold tabs, line breaks and printable characters",
            )
        ]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, path)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, 1, "", f"YAML error: {exc}", "the file must be UTF-8 YAML text")]
    except RecursionError:  # the pure-Python composer recurses once per level
        return None, [
            Problem(
                path,
                1,
                1,
                "",
                "nested too deeply to read",
                "a model config file needs about ten levels; flatten the structure",
            )
        ]
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        return None, [
            Problem(
                path,
                line,
                1,
                "",
                "more than one YAML document in the file",
                "keep one document per file (remove the extra '---')",
            )
        ]
    if not nodes or nodes[0] is None:
        return SourceDoc(path, None, {(): (1, 1)}), []
    builder = _Builder(path, budget or ReadBudget())
    builder.marks[()] = (nodes[0].start_mark.line + 1, nodes[0].start_mark.column + 1)
    try:
        data = builder.build(nodes[0], ())
    except _Abort as abort:
        return None, builder.problems + [abort.problem]
    return SourceDoc(path, data, builder.marks), builder.problems


def read_yaml(file: Path, display: str, budget: ReadBudget | None = None) -> tuple[SourceDoc | None, list[Problem]]:
    """Read and parse one config file: a regular file of UTF-8 text, at most :data:`MAX_FILE_BYTES` (and what
    is left of ``budget``, shared by the files of one run)."""
    budget = budget or ReadBudget()
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(display, 0, 0, "", "not a regular file", "give the path of a YAML file")]
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [Problem(display, 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [
            Problem(
                display,
                0,
                0,
                "",
                f"the file is larger than {MAX_FILE_BYTES:,} bytes",
                "a model config file is a few KB; is this the right file?",
            )
        ]
    budget.bytes_left -= len(raw)
    if budget.bytes_left < 0:
        return None, [
            Problem(
                display,
                0,
                0,
                "",
                f"the config files together are larger than {MAX_TOTAL_BYTES:,} bytes",
                "narrow --config to the model config files",
            )
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        return None, [
            Problem(display, line, col, "", f"not UTF-8 text: byte 0x{byte} ({exc.reason})", "save the file as UTF-8")
        ]
    return parse_yaml(text, display, budget)
