"""One module per step class; :data:`BUILDERS` is the registry the compiler dispatches through.

Adding a step class touches one new module here and one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs_lib.config.schema import StepClass
from constructs_lib.compiler.steps import create_model, metrics, processing, register_model, training, transform

#: step class -> builder(ctx, node) returning the top-level SDK steps it produced.
BUILDERS: dict[StepClass, Callable[..., list[Any]]] = {
    StepClass.PROCESSING: processing.build,
    StepClass.TRAINING: training.build,
    StepClass.CREATE_MODEL: create_model.build,
    StepClass.TRANSFORM: transform.build,
    StepClass.METRICS: metrics.build,
    StepClass.REGISTER_MODEL: register_model.build,
}
