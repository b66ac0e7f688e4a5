"""The offline SDK session: no network, no host state, the version guard, and the patches doing their job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from constructs_lib.compiler import session as offline
from constructs_lib.compiler.contract import check_definition
from tests.conftest import ROOT
from tests.unit.compiler.offline_pipeline import BUCKET, REGION, build_pipeline

PROBE = Path(__file__).with_name("offline_probe.py")
POISON = "POISON"
_POISON_TAGS = [{"Key": "poisoned", "Value": POISON}]
# A valid SDK defaults config (checked below) that would leave marks in the definition if it were read.
POISONED_SAGEMAKER_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {
        "PythonSDK": {"Modules": {"TelemetryOptOut": False}},
        "ProcessingJob": {"Tags": _POISON_TAGS, "ProcessingOutputConfig": {"KmsKeyId": f"{POISON}-key"}},
        "TrainingJob": {"Tags": _POISON_TAGS, "EnableNetworkIsolation": True},
        "TransformJob": {"Tags": _POISON_TAGS, "DataCaptureConfig": {"KmsKeyId": f"{POISON}-key"}},
        "Model": {"Tags": _POISON_TAGS, "EnableNetworkIsolation": True},
    },
}


@pytest.fixture(scope="module")
def definition() -> str:
    with offline.sdk_noise_silenced():
        return build_pipeline(units=1).definition()


def _poisoned_host(root: Path) -> dict[str, str]:
    """Host files that would change the definition or reach AWS if read; the environment pointing at them."""
    home, admin, aws, work = root / "home", root / "xdg", root / "aws", root / "work"
    marker = root / "credential_process_ran"
    for path in (
        home / ".config" / "sagemaker" / "config.yaml",  # user config (platformdirs default)
        admin / "sagemaker" / "config.yaml",  # admin config (site_config_dir from XDG_CONFIG_DIRS)
        home / ".sagemaker" / "config.yaml",  # local-mode config
        root / "override" / "config.yaml",
    ):  # SAGEMAKER_USER_CONFIG_OVERRIDE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(POISONED_SAGEMAKER_CONFIG))
    aws.mkdir()
    credentials = json.dumps({"Version": 1, "AccessKeyId": POISON, "SecretAccessKey": POISON})
    (aws / "config").write_text(
        textwrap.dedent(f"""\
        [profile poisoned]
        region = eu-west-3
        credential_process = sh -c 'touch {marker}; echo {json.dumps(credentials)}'
        """)
    )
    (aws / "credentials").write_text("")
    work.mkdir()  # the compiler's working directory, inside a SageMaker Studio project
    (work / ".sagemaker-code-config").write_text(
        json.dumps({"sagemakerProjectId": f"{POISON}-id", "sagemakerProjectName": f"{POISON}-name"})
    )
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "SAGEMAKER_", "XDG_", "SMP_"))
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CONFIG_DIRS": str(admin),
            "SAGEMAKER_USER_CONFIG_OVERRIDE": str(root / "override" / "config.yaml"),
            "AWS_CONFIG_FILE": str(aws / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
            "AWS_PROFILE": "poisoned",
            "AWS_DEFAULT_REGION": "ap-southeast-2",  # not the compile region: it must not matter
            "AWS_EC2_METADATA_DISABLED": "false",  # session.py must force it
            "PYTHONPATH": str(ROOT),
            "OFFLINE_PROBE_WATCH": str(root),
        }
    )
    return env


def test_poisoned_config_would_apply_if_read() -> None:
    """The poison is a valid SDK config, so reading it would change the definition, not raise."""
    import jsonschema
    from sagemaker.core.config.config_schema import SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA

    jsonschema.validate(POISONED_SAGEMAKER_CONFIG, SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA)


def test_compiling_touches_no_network_and_no_host_state(tmp_path: Path, definition: str) -> None:
    env = _poisoned_host(tmp_path)
    done = subprocess.run(
        [sys.executable, str(PROBE)],
        cwd=tmp_path / "work",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    assert report["network"] == []
    assert report["opened"] == []  # no SageMaker config, ~/.aws file or Studio project file was read
    assert report["credential_resolutions"] == []
    assert not (tmp_path / "credential_process_ran").exists()
    assert POISON not in report["definition"]
    # Same bytes as in this process (other cwd, HOME, region variable, hash seed): nothing leaked in.
    assert report["definition"] == definition


def test_definition_is_stable_within_a_process(definition: str) -> None:
    with offline.sdk_noise_silenced():
        assert build_pipeline(units=1).definition() == definition


def test_aws_calls_fail_at_once_without_network() -> None:
    session = offline.offline_session(REGION, BUCKET)
    assert session.default_bucket() == BUCKET  # no S3 HeadBucket/CreateBucket
    started = time.perf_counter()
    with pytest.raises(offline.OfflineAwsCallError, match=r"s3:ListBuckets"):
        session.boto_session.client("s3").list_buckets()
    assert time.perf_counter() - started < 5  # no DNS, connection attempts or retries


def test_sessions_are_cached_per_region_and_bucket() -> None:
    assert offline.offline_session(REGION, BUCKET) is offline.offline_session(REGION, BUCKET)
    other = offline.offline_session("eu-west-1", BUCKET)
    assert other.boto_region_name == "eu-west-1"
    assert other is not offline.offline_session(REGION, BUCKET)
    with pytest.raises(ValueError, match="region and a bucket"):
        offline.offline_session("", BUCKET)


def test_installed_sdk_is_the_supported_one() -> None:
    assert offline.installed_sdk_versions() == dict(offline.SUPPORTED_SDK_VERSIONS)
    offline.check_sdk_versions()


@pytest.mark.parametrize(
    ("name", "version", "shown"),
    [
        ("sagemaker", "3.28.0", "sagemaker==3.28.0 (need 3.27.0)"),
        ("sagemaker-core", None, "sagemaker-core==(not installed) (need 2.27.0)"),
    ],
)
def test_version_guard_refuses_other_versions(name: str, version: str | None, shown: str) -> None:
    installed = {**offline.SUPPORTED_SDK_VERSIONS, name: version}
    with pytest.raises(offline.UnsupportedSdkVersionError) as caught:
        offline.check_sdk_versions(installed)
    assert shown in str(caught.value)
    assert "SUPPORTED_SDK_VERSIONS" in str(caught.value)  # says what to do


def test_version_guard_runs_before_the_sdk_is_imported() -> None:
    script = textwrap.dedent("""\
        import importlib.metadata, sys
        real = importlib.metadata.version
        importlib.metadata.version = lambda name: "3.99.0" if name == "sagemaker" else real(name)
        try:
            import constructs_lib.compiler.session
        except Exception as error:
            print(type(error).__name__, error)
        print("sdk imported:", any(name.startswith("sagemaker.") for name in sys.modules))
        """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "UnsupportedSdkVersionError" in done.stdout and "sagemaker==3.99.0" in done.stdout, done.stderr
    assert "sdk imported: False" in done.stdout


def test_patches_remove_the_slow_paths(monkeypatch: pytest.MonkeyPatch, definition: str) -> None:
    """Each patch, checked by what it prevents: schema re-validation and LocalSession construction."""
    import jsonschema
    from sagemaker.core.local.local_session import LocalSession

    validations: list[object] = []
    real_validate = jsonschema.validate
    monkeypatch.setattr(jsonschema, "validate", lambda *a, **k: validations.append(a) or real_validate(*a, **k))

    def no_local_session(*args, **kwargs):
        raise AssertionError("a LocalSession was built while compiling")

    monkeypatch.setattr(LocalSession, "__init__", no_local_session)
    started = time.process_time()
    with offline.sdk_noise_silenced():
        built = build_pipeline(units=3).definition()
    per_unit = (time.process_time() - started) / 3
    assert validations == []  # the session's config was validated once, earlier
    assert per_unit < 0.5, f"{per_unit:.2f} s of CPU per modeling unit (about 0.03 s expected, 10 s unpatched)"
    assert check_definition(built) == []


def test_config_validation_still_rejects_invalid_configs() -> None:
    from sagemaker.core.config.config_manager import SageMakerConfig

    invalid = {"SchemaVersion": "1.0", "SageMaker": {"NoSuchThing": {}}}
    for _ in range(2):  # a failure is not cached as a success
        with pytest.raises(Exception, match="NoSuchThing"):
            SageMakerConfig.validate_sagemaker_config(invalid)
