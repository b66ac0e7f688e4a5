"""Fixtures and import set-up for the construct tests.

jsii prints a Node end-of-life banner unless this is set before aws_cdk is imported. The shared
gates live in tests/security.py; a top-level ``tests`` package shipped by a dependency
(smdebug-rulesconfig) shadows ``import tests.security``, so tests/ is put on sys.path and the
helpers are imported as ``security``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

_TESTS_DIR = str(Path(__file__).resolve().parents[2])
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)
