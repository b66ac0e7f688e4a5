"""Packaging metadata agrees with itself: declared dependencies, exact pins, license, public API, changelog."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import constructs_lib
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SELF = canonicalize_name(PYPROJECT["name"])


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{name}: {line} is not an exact pin"
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _declared() -> list[Requirement]:
    groups = [PYPROJECT["dependencies"], *PYPROJECT["optional-dependencies"].values()]
    return [Requirement(r) for group in groups for r in group if canonicalize_name(Requirement(r).name) != SELF]


def test_extras_are_the_documented_ones() -> None:
    assert sorted(PYPROJECT["optional-dependencies"]) == ["all", "cdk", "compile", "runtime"]
    assert [canonicalize_name(Requirement(r).name) for r in PYPROJECT["dependencies"]] == ["pyyaml", "pydantic"]
    assert PYPROJECT["scripts"] == {"smp": "constructs_lib.cli:main"}


def test_every_declared_dependency_is_pinned_to_a_version_it_allows() -> None:
    pins = _pins("requirements.txt")
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is declared in pyproject.toml but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), f"requirements.txt pins {name}=={pins[name]}: {requirement}"
    assert set(pins) == {canonicalize_name(r.name) for r in _declared()}, "requirements.txt pins an undeclared package"


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_constraints_agree_with_the_pins(name: str) -> None:
    constraints = _pins("constraints.txt")
    for package, version in _pins(name).items():
        assert constraints.get(package) == version, f"{name} pins {package}=={version}, constraints.txt does not"


def test_license_file_matches_the_declared_license() -> None:
    assert PYPROJECT["license"] == "MIT-0"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT No Attribution\n")
    assert "to permit persons to whom the Software is furnished to do so." in " ".join(text.split())
    assert "subject to the following conditions" not in text  # that clause is MIT's, not MIT-0's


def test_changelog_names_the_current_version() -> None:
    assert re.search(rf"^## \[{re.escape(constructs_lib.__version__)}\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert (ROOT / "constructs_lib" / "py.typed").is_file()


def test_every_public_name_resolves() -> None:
    assert constructs_lib.__all__ == ["__version__", *sorted(constructs_lib._EXPORTS)]
    for name in constructs_lib.__all__:
        value = getattr(constructs_lib, name)
        assert value is not None
        if name != "__version__":
            assert value.__module__.startswith("constructs_lib."), name
    assert set(constructs_lib.__all__) <= set(dir(constructs_lib))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        constructs_lib.Nope  # noqa: B018


def test_import_is_cheap_and_config_names_load_no_sdk() -> None:
    probe = (
        "import sys, constructs_lib\n"
        "first = sorted(m for m in sys.modules if m.startswith('constructs_lib.'))\n"
        "from constructs_lib import load_project, build_graph, ConfigError\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'sagemaker', 'boto3', 'botocore'})\n"
        "print(first, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    ).stdout
    assert out.strip() == "[] []"


def test_a_missing_extra_is_named_not_a_traceback(monkeypatch, capsys) -> None:
    from constructs_lib import cli

    def needs_sdk(args) -> int:
        raise ModuleNotFoundError("No module named 'sagemaker'", name="sagemaker")

    monkeypatch.setitem(cli.COMMANDS, "schema", needs_sdk)
    assert cli.main(["schema"]) == 2
    assert capsys.readouterr().err == (
        "smp schema: needs the sagemaker package, which this install lacks: pip install 'constructs_lib[compile]'\n"
    )


def test_a_command_names_its_own_extra_and_other_import_errors_propagate(monkeypatch, capsys) -> None:
    from constructs_lib import cli

    def definition_needs_boto3(args) -> int:  # the compiler imports boto3 before the SDK
        raise ModuleNotFoundError("No module named 'boto3'", name="boto3")

    def broken(args) -> int:
        raise ModuleNotFoundError("No module named 'constructs_lib.nope'", name="constructs_lib.nope")

    monkeypatch.setitem(cli.COMMANDS, "definition", definition_needs_boto3)
    assert cli.main(["definition"]) == 2
    assert "pip install 'constructs_lib[compile]'" in capsys.readouterr().err
    monkeypatch.setitem(cli.COMMANDS, "schema", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["schema"])
