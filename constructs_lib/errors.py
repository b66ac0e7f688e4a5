"""User-facing problems: one place that turns "what is wrong, where" into a message.

Every check in the config and graph layers reports a :class:`Problem` (file, position, key path, message,
hint) instead of raising on the first fault; the caller collects them and raises :class:`ConfigError` once.
The CLI prints each problem on its own line as ``path:line:col: key.path: what is wrong (hint)`` and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the user's input."""

    file: str = ""
    line: int = 0
    col: int = 0
    key_path: str = ""
    message: str = ""
    hint: str = ""
    severity: str = "error"
    """``"error"`` (the input is refused) or ``"warning"`` (accepted, but the user should know)."""

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def format(self) -> str:
        where = self.file or "<config>"
        if self.line:
            where = f"{where}:{self.line}:{self.col or 1}"
        if self.is_warning:
            where += ": warning"
        text = f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_warning(self) -> Problem:
        return replace(self, severity="warning")


class ConfigError(Exception):
    """Raised once with every problem found; the CLI prints them and exits 2."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        self.errors: tuple[Problem, ...] = tuple(p for p in self.problems if not p.is_warning)
        super().__init__("\n".join(p.format() for p in self.problems))

    # Survives pickling (compiling in a worker process raises it in the caller).
    def __reduce__(self) -> tuple[type[ConfigError], tuple[tuple[Problem, ...]]]:
        return (ConfigError, (self.problems,))


def did_you_mean(word: str, candidates: Iterable[str], *, what: str = "") -> str:
    """A hint naming the closest candidates, or listing the valid ones when none is close."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    if not close:
        # Case-only and prefix typos ("training" for "Training") are common in hand-written YAML.
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not options:
        return ""
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"valid {what or 'values'}: {shown}"


def join_path(parts: Sequence[object]) -> str:
    """``("conf", "models", "a", "channels", 0)`` -> ``conf.models.a.channels[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isprintable() and str(part) and not any(c in str(part) for c in ".[] "):
            out += ("." if out else "") + str(part)
        else:  # keys that would make the path ambiguous or unreadable are quoted
            out += f"[{str(part)!r}]"
    return out
