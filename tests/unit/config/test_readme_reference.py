"""The README's configuration reference is exactly what the schema generates (it cannot drift)."""

from __future__ import annotations

from constructs_lib.config.reference import render_reference
from constructs_lib.config.schema import ConfigFile
from tests.conftest import ROOT

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def test_readme_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    body = readme.split(START, 1)[1].split(END, 1)[0]
    assert body.strip() == render_reference().strip(), (
        "run: PYTHONPATH=. .venv/bin/python tests/unit/config/test_readme_reference.py"
    )


def test_reference_covers_every_model() -> None:
    """Every pydantic model reachable from a config file has a section in the reference."""
    from constructs_lib.config.reference import SECTIONS

    seen, todo = set(), [ConfigFile]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        from constructs_lib.config.validation import _unwrap

        for field in cls.model_fields.values():
            for t in _unwrap(field.annotation):
                inner = t[1] if isinstance(t, tuple) else t
                if isinstance(inner, type) and hasattr(inner, "model_fields"):
                    todo.append(inner)
    assert seen == {model for _, model, _ in SECTIONS}


if __name__ == "__main__":  # rewrite the README section
    readme = (ROOT / "README.md").read_text()
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    (ROOT / "README.md").write_text(f"{head}{START}\n{render_reference().strip()}\n{END}{tail}")
