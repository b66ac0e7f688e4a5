"""The import layering the README and docs/ draw, locked (AST scan of every module, function-level imports too):

    config -> graph -> compiler -> constructs -> stacks -> app (app_wiring.py, cli.py)

Imports point downward only; only constructs/, stacks/ and the app wiring import the CDK; the compiler never
does; config and graph never import the SageMaker SDK (the compiler is its only user). Side packages:
runtime/ (starting deployed pipelines) sits on config, localrun/ (the local runner) on the compiler and runtime.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "constructs_lib"

#: package -> the constructs_lib packages it may import (besides itself).
ALLOWED = {
    "errors": set(),
    "config": {"errors"},
    "graph": {"config", "errors"},
    "compiler": {"config", "graph", "errors"},
    "runtime": {"config", "errors"},
    "localrun": {"config", "graph", "compiler", "runtime", "errors", "__init__"},
    "constructs": {"config", "graph", "compiler", "errors"},
    "stacks": {"config", "graph", "compiler", "constructs", "errors"},
    "summary": {"config", "graph", "compiler", "errors"},
}
APP = {"app_wiring", "cli", "__main__", "__init__"}  # the top: may import any package
CDK = {"aws_cdk", "constructs", "jsii", "cdk_nag"}
CDK_USERS = {"constructs", "stacks", "app_wiring"}
SAGEMAKER_FREE = {"errors", "config", "graph", "constructs", "stacks", "runtime", "summary", "app_wiring", "cli"}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import (the layer check reads absolute imports only)")
    return out


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_imports_point_downward(path: Path) -> None:
    layer = _layer(path)
    problems = []
    for module in sorted(_imports(path)):
        top, _, rest = module.partition(".")
        if top == "constructs_lib":
            target = rest.partition(".")[0] or "__init__"
            if layer not in APP and target != layer and target not in ALLOWED[layer]:
                problems.append(f"{layer} imports {module} ({target} is not below {layer})")
        elif top in CDK and layer not in CDK_USERS:
            problems.append(f"{layer} imports the CDK ({module}): only {', '.join(sorted(CDK_USERS))} may")
        elif top == "sagemaker" and layer in SAGEMAKER_FREE:
            problems.append(
                f"{layer} imports the SageMaker SDK ({module}): only the compiler (and the local runner through it) may"
            )
    assert problems == []


def test_the_check_sees_a_violation(tmp_path) -> None:
    """The scan reads function-level imports too (a lazy CDK import in the compiler would be caught)."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import aws_cdk\n    from sagemaker.core import image_uris\n")
    assert _imports(bad) == {"aws_cdk", "sagemaker.core"}


def test_every_package_has_a_place() -> None:
    layers = {_layer(p) for p in MODULES}
    assert layers <= set(ALLOWED) | APP, layers - set(ALLOWED) - APP
