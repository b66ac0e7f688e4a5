"""validate --quick, graph and schema import neither the CDK nor the SageMaker SDK (they take seconds to import)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import OWN_EXAMPLES, ROOT

PROBE = """
import sys
from constructs_lib.cli import main
code = main(["validate", "--quick", "--config", "examples/two-models/*/conf/*.yaml"])
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("aws_cdk", "sagemaker", "jsii", "boto3", "botocore")})
print("HEAVY", heavy, "CODE", code)
"""


def test_validate_imports_no_heavy_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=OWN_EXAMPLES,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout
    assert out.strip().endswith("HEAVY [] CODE 0")
