"""One module per step class, each with ``build(ctx, node) -> [SDK steps]``.

Which module builds which class is declared once, in :mod:`constructs_lib.config.kinds` (``StepKind.builder``);
the compiler dispatches through ``node.kind.build()``.
"""
