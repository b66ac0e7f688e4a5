"""The compiler's run-time checks, one rule per module (cdk-nag style, like :mod:`constructs_lib.graph.rules`):
things that compile but would fail, or do nothing, at run time. Each module has an ``ID``, a docstring and
``check(ctx)``; errors go to ``ctx.problems`` (the input is refused), warnings to ``ctx.warnings`` (printed by
``validate`` and ``definition``). The container contract they protect is described in
:mod:`constructs_lib.compiler.steps.processing`.

Checks that need a step's compiled inputs (duplicate channel or input names, a Transform ``instance_count``
parameter) stay in the step builders, where those names are made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.graph.rules import Rule, load_rules

if TYPE_CHECKING:
    from constructs_lib.compiler.context import CompileContext

RULE_MODULES = (
    "unused_model",
    "transform_volume_size_ignored",
    "requirements_need_wheels",
    "isolated_jobs_need_wheels",
    "processing_subfolder_imports",
    "unused_tune_section",
)

RULES: tuple[Rule[CompileContext], ...] = load_rules(__name__, RULE_MODULES)


def run_time_checks(ctx: CompileContext) -> None:
    for rule in RULES:
        rule.check(ctx)
