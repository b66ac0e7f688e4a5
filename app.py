#!/usr/bin/env python3
"""The CDK app: wiring only. Reads the model config files at synth time and emits the pipeline stack(s).

Context keys (cdk.json or `cdk synth -c key=value`), all optional:
  modelConfigPath   glob of the model config files (default model_repos/*/conf/conf.yaml; SMP_MODEL_CONFIGPATH wins)
  stackName         name of the sandbox stack (default <pipelineName>-stack; one pipeline only)
  stackNames        with several pipelines: {pipelineName: stackName} (one stack per pipeline)
  account, region   pin the sandbox stack to an environment (default: environment-agnostic)
  environments      per-environment stages of the delivery pipeline (see README "Delivery")
  delivery          the delivery pipeline's source (see README "Delivery")
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib.compiler.background import prewarm

prewarm()  # the compile worker imports the SageMaker SDK while this process imports the CDK

import aws_cdk as cdk

from constructs_lib.app_wiring import build_app
from constructs_lib.errors import ConfigError

app = cdk.App()
try:
    build_app(app)
except ConfigError as exc:
    for problem in exc.problems:
        print(problem.format(), file=sys.stderr)
    print(f"{len(exc.problems)} problem(s) found; nothing was synthesized.", file=sys.stderr)
    sys.exit(2)
app.synth()
