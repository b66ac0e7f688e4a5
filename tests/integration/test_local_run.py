"""``python -m constructs_lib run``: the bundled model_repos/ pipeline executed locally, end to end.

One session-scoped run of the real pipeline (real scripts, real sklearn, private /opt/ml per job) inside a
network namespace with no interface but loopback, when the tests run as root: that run proves "offline".
The other cases start from a copy of its work dir, so that their unchanged steps come from the step cache
and each takes a second or two: a config variant whose quality gate fails, a parameter override, a broken
script, a missing input, a bad parameter, a second run that reruns nothing, Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNSHARE_NET = os.geteuid() == 0 and shutil.which("unshare") is not None


def run_cli(args: list[str], cwd: Path, offline: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMP_")}
    env["PYTHONPATH"] = str(ROOT)
    prefix = ["unshare", "--net"] if offline else []
    return subprocess.run(
        prefix + [sys.executable, "-m", "constructs_lib", "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def project_copy(tmp_path: Path) -> Path:
    """A copy of the bundled project (model_repos/ only) to change a config or a script in."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "model_repos", project / "model_repos", ignore=shutil.ignore_patterns("__pycache__"))
    return project


def workdir_copy(bundled: dict, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(bundled["workdir"], work, symlinks=True)
    return work


def registry(work: Path) -> dict[str, list[str]]:
    root = work / "registry"
    if not root.is_dir():
        return {}
    return {group.name: sorted(p.name for p in group.iterdir()) for group in sorted(root.iterdir())}


def latest_log(work: Path, step: str) -> Path:
    return max(work.glob(f"executions/*/logs/{step}.log"), key=lambda p: p.stat().st_mtime)


@pytest.fixture(scope="session")
def bundled(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("localrun")
    work, report = base / "work", base / "report.json"
    began = time.monotonic()
    result = run_cli(["--workdir", str(work), "--report", str(report)], cwd=ROOT, offline=UNSHARE_NET)
    took = time.monotonic() - began
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        "workdir": work,
        "report": json.loads(report.read_text()),
        "result": result,
        "seconds": took,
        "offline": UNSHARE_NET,
    }


# ----------------------------------------------------------------------------------------------------------
# The bundled pipeline
# ----------------------------------------------------------------------------------------------------------


def test_bundled_pipeline_runs_end_to_end_and_registers_both_models(bundled) -> None:
    report = bundled["report"]
    assert set(report) == {"pipeline", "status", "steps", "modelPackages"}
    assert report["pipeline"] == "customer-churn-ltv" and report["status"] == "Succeeded"
    statuses = {s["name"]: s["status"] for s in report["steps"]}
    assert statuses.pop("churn-Register-QualityGateFailed") == "NotRun"  # the gate passed: the else branch is not taken
    assert set(statuses.values()) == {"Succeeded"} and len(statuses) == 13
    for step in report["steps"]:
        assert set(step) == {"name", "type", "status", "seconds", "cached"} and step["cached"] is False
    packages = {p["group"]: p for p in report["modelPackages"]}
    assert set(packages) == {"customer-churn-ltv-churn", "customer-churn-ltv-ltv"}
    assert all(p["version"] == 1 and p["approvalStatus"] == "PendingManualApproval" for p in packages.values())
    churn = packages["customer-churn-ltv-churn"]["metrics"]["binary_classification_metrics"]
    assert churn["accuracy"]["value"] >= 0.8  # what the quality gate checked
    assert "r2" in packages["customer-churn-ltv-ltv"]["metrics"]["regression_metrics"]


def test_registry_holds_what_the_run_produced(bundled) -> None:
    work = bundled["workdir"]
    assert registry(work) == {"customer-churn-ltv-churn": ["1"], "customer-churn-ltv-ltv": ["1"]}
    package = json.loads((work / "registry" / "customer-churn-ltv-churn" / "1" / "package.json").read_text())
    (container,) = package["content"]["containers"]
    model_uri = container["ModelDataUrl"]
    assert model_uri.startswith("s3://smp-placeholder-artifact-bucket/customer-churn-ltv/")
    assert model_uri.endswith("/output/model.tar.gz")
    # the model data is in the local store: a real tar.gz holding the training script's output
    import tarfile

    store_path = work / "s3" / model_uri[len("s3://") :]
    with tarfile.open(store_path) as tar:
        assert {"model.joblib", "code/inference.py", "model_info.json"} <= set(tar.getnames())
    # the metrics report registered is the Metrics step's own output, resolved
    metrics_files = list((work / "s3").rglob("churn-Metrics/evaluation/model_evaluation_metrics.json"))
    assert len(metrics_files) == 1
    assert package["content"]["metrics"]["ModelQuality.Statistics"] == json.loads(metrics_files[0].read_text())
    assert package["content"]["supportedContentTypes"] == ["text/csv"]


def test_transform_wrote_one_prediction_per_input_line(bundled) -> None:
    work = bundled["workdir"]
    (x_test,) = (work / "s3").rglob("churn-Preprocessing/train/test/x_test.csv")
    (out,) = (work / "s3").rglob("churn-Transform/x_test.csv.out")  # <input object>.out, as batch transform names it
    inputs = [line for line in x_test.read_text().splitlines() if line.strip()]
    outputs = out.read_text().splitlines()
    assert len(outputs) == len(inputs) > 100
    assert all(0.0 <= float(v) <= 1.0 for v in outputs)


def test_jobs_saw_a_private_opt_ml(bundled) -> None:
    """The scripts read and wrote /opt/ml/...: on the host there is no trace of them."""
    assert not Path("/opt/ml/processing").exists()
    assert not Path("/opt/ml/model/model.joblib").exists()


@pytest.mark.skipif(not UNSHARE_NET, reason="needs root and unshare to run the pipeline in a network namespace")
def test_the_bundled_run_was_offline(bundled) -> None:
    """The session run happened in `unshare --net`, where nothing but loopback exists: it succeeded."""
    assert bundled["offline"] and bundled["report"]["status"] == "Succeeded"
    probe = subprocess.run(
        [
            "unshare",
            "--net",
            sys.executable,
            "-c",
            "import socket; socket.create_connection(('198.51.100.1', 443), timeout=2)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()


def test_second_run_reruns_nothing(bundled, tmp_path) -> None:
    work = workdir_copy(bundled, tmp_path)
    report = tmp_path / "again.json"
    began = time.monotonic()
    result = run_cli(["--workdir", str(work), "--report", str(report)], cwd=ROOT)
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    steps = json.loads(report.read_text())["steps"]
    ran = [s for s in steps if s["status"] == "Succeeded" and not s["cached"] and s["type"] != "Condition"]
    assert ran == []
    assert registry(work) == {"customer-churn-ltv-churn": ["1"], "customer-churn-ltv-ltv": ["1"]}
    assert took < 10  # a generous bound for a shared CI machine; benchmarks/run_bench.py measures it


# ----------------------------------------------------------------------------------------------------------
# Branches, parameters
# ----------------------------------------------------------------------------------------------------------


def test_quality_gate_else_branch_fails_the_run_and_registers_nothing(bundled, tmp_path) -> None:
    project = project_copy(tmp_path)
    conf = project / "model_repos" / "churn" / "conf" / "conf.yaml"
    conf.write_text(conf.read_text().replace("threshold: 0.8", "threshold: 0.99"))
    work = workdir_copy(bundled, tmp_path)
    shutil.rmtree(work / "registry")
    report = tmp_path / "gate.json"
    result = run_cli(["--workdir", str(work), "--report", str(report), "--jobs", "1"], cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Model 'churn' not registered: binary_classification_metrics.accuracy.value = 0.88" in result.stderr
    assert "does not satisfy >= 0.99" in result.stderr
    steps = {s["name"]: s for s in json.loads(report.read_text())["steps"]}
    assert steps["churn-Register-QualityGateFailed"]["status"] == "Failed"
    assert steps["churn-Register"]["status"] == "NotRun"
    assert steps["churn-Preprocessing"]["cached"] and steps["churn-Metrics"]["cached"]  # unchanged steps reused
    assert "customer-churn-ltv-churn" not in registry(work)
    assert not list((work / "registry").rglob(".new-*"))  # nothing half-written


def test_param_override_reaches_the_registry(bundled, tmp_path) -> None:
    work = workdir_copy(bundled, tmp_path)
    report = tmp_path / "approved.json"
    result = run_cli(
        ["--workdir", str(work), "--report", str(report), "--param", "ModelApprovalStatus=Approved"], cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    packages = {p["group"]: p for p in json.loads(report.read_text())["modelPackages"]}
    # churn's approval_status is ${params.ModelApprovalStatus}: a new version next to the pending one
    assert (
        packages["customer-churn-ltv-churn"]["approvalStatus"],
        packages["customer-churn-ltv-churn"]["version"],
    ) == ("Approved", 2)
    # ltv's is a literal PendingManualApproval: unchanged, so its version 1 stands
    assert (packages["customer-churn-ltv-ltv"]["approvalStatus"], packages["customer-churn-ltv-ltv"]["version"]) == (
        "PendingManualApproval",
        1,
    )
    assert registry(work) == {"customer-churn-ltv-churn": ["1", "2"], "customer-churn-ltv-ltv": ["1"]}


def test_invalid_approval_status_fails_the_register_step_cleanly(bundled, tmp_path) -> None:
    work = workdir_copy(bundled, tmp_path)
    result = run_cli(["--workdir", str(work), "--param", "ModelApprovalStatus=Maybe", "--keep-going"], cwd=ROOT)
    assert result.returncode == 1
    assert "ValidationException: ModelApprovalStatus 'Maybe' is not one of" in result.stderr
    assert registry(work) == {"customer-churn-ltv-churn": ["1"], "customer-churn-ltv-ltv": ["1"]}
    assert not list((work / "registry").rglob(".new-*"))


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("Nope=1", "unknown parameter 'Nope' for pipeline 'customer-churn-ltv'"),
        ("TrainingInstanceType", "bad --param 'TrainingInstanceType': expected NAME=VALUE"),
    ],
)
def test_bad_parameter_is_exit_2_before_anything_runs(bundled, tmp_path, param, message) -> None:
    work = workdir_copy(bundled, tmp_path)
    before = sorted(p.name for p in (work / "executions").iterdir())
    result = run_cli(["--workdir", str(work), "--param", param], cwd=ROOT)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (work / "executions").iterdir()) == before


def test_from_reruns_a_step_and_what_follows_it(bundled, tmp_path) -> None:
    work = workdir_copy(bundled, tmp_path)
    report = tmp_path / "from.json"
    result = run_cli(
        ["--workdir", str(work), "--report", str(report), "--from", "churn-Metrics", "--no-cache"], cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    steps = {s["name"]: s["status"] for s in json.loads(report.read_text())["steps"]}
    # downstream of churn-Metrics: the gate, its branches, and ltv-Register (DependsOn the gate)
    assert steps == {
        "churn-Metrics": "Succeeded",
        "churn-Register-QualityGate": "Succeeded",
        "churn-Register": "Succeeded",
        "churn-Register-QualityGateFailed": "NotRun",
        "ltv-Register": "Succeeded",
    }
    result = run_cli(["--workdir", str(work), "--only", "churn-Metrix"], cwd=ROOT)
    assert (
        result.returncode == 2 and "unknown step 'churn-Metrix'" in result.stderr and "churn-Metrics" in result.stderr
    )


# ----------------------------------------------------------------------------------------------------------
# Failures
# ----------------------------------------------------------------------------------------------------------


def test_broken_script_fails_its_step_with_the_log_tail(tmp_path) -> None:
    project = project_copy(tmp_path)
    script = project / "model_repos" / "churn" / "scripts" / "preprocess.py"
    script.write_text(
        script.read_text().replace(
            "def main(argv=None):\n", "def main(argv=None):\n    raise RuntimeError('deliberately broken')\n"
        )
    )
    work, report = tmp_path / "work", tmp_path / "broken.json"
    result = run_cli(["--workdir", str(work), "--report", str(report)], cwd=project)
    assert result.returncode == 1
    # the reason: the command the definition gives (whatever its layout), its exit code, the script's last line
    failed = next(line for line in result.stderr.splitlines() if line.startswith("  step churn-Preprocessing Failed:"))
    assert failed.startswith("  step churn-Preprocessing Failed: AlgorithmError: ")
    assert failed.endswith("exited with code 1: RuntimeError: deliberately broken")
    assert "last " in result.stderr and "raise RuntimeError('deliberately broken')" in result.stderr
    log = next(work.glob("executions/*/logs/churn-Preprocessing.log"))
    assert "RuntimeError: deliberately broken" in log.read_text()
    steps = {s["name"]: s["status"] for s in json.loads(report.read_text())["steps"]}
    assert steps["churn-Preprocessing"] == "Failed" and steps["churn-Training"] == "NotRun"
    assert registry(work) == {}


def test_missing_input_names_the_uri_and_the_flag(tmp_path) -> None:
    project = project_copy(tmp_path)
    conf = project / "model_repos" / "churn" / "conf" / "conf.yaml"
    conf.write_text(
        conf.read_text().replace(
            "fileName: model_repos/churn/data/customers.csv", "fileName: s3://SMP_S3BUCKETNAME/raw/customers.csv"
        )
    )
    work = tmp_path / "work"
    result = run_cli(["--workdir", str(work), "--only", "churn-Preprocessing"], cwd=project)
    assert result.returncode == 2, result.stderr
    assert (
        "input 'raw' of step 'churn-Preprocessing': s3://smp-placeholder-artifact-bucket/raw/customers.csv is "
        "not available locally"
    ) in result.stderr
    assert "--data s3://smp-placeholder-artifact-bucket/raw=LOCAL_DIR" in result.stderr
    assert not (work / "executions").exists()  # nothing ran
    # the flag it names provides it (framework variables allowed in the prefix)
    result = run_cli(
        [
            "--workdir",
            str(work),
            "--only",
            "churn-Preprocessing",
            "--data",
            f"s3://SMP_S3BUCKETNAME/raw={project / 'model_repos' / 'churn' / 'data'}",
        ],
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert list((work / "s3").rglob("churn-Preprocessing/train/train/train.csv"))


@pytest.mark.parametrize(("requirement", "ok"), [("numpy", True), ("smp-no-such-package-xyz==1.0", False)])
def test_requirements_install_offline_into_the_cached_env(bundled, tmp_path, requirement, ok) -> None:
    """The training toolkit installs the source's requirements.txt: one already satisfied by the interpreter
    needs no index; one that is not fails the step with a clear reason (no index is reached)."""
    project = project_copy(tmp_path)
    (project / "model_repos" / "churn" / "scripts" / "requirements.txt").write_text(requirement + "\n")
    work = workdir_copy(bundled, tmp_path)
    result = run_cli(["--workdir", str(work), "--only", "churn-Training"], cwd=project)
    log = latest_log(work, "churn-Training").read_text()
    assert "pip install -r requirements.txt" in log
    if ok:
        assert result.returncode == 0, result.stderr
        assert "Requirement already satisfied: numpy" in log
    else:
        assert result.returncode == 1
        assert "InstallModuleError" in result.stderr and "--pip-index" in result.stderr
    assert not list((work / "envs").glob("*/lib/python*/site-packages/smp_no_such*"))


def tiny_wheel(folder: Path) -> Path:
    """A pure-Python wheel ``smp-tiny 1.0`` (a local package source: no network in tests)."""
    import zipfile

    files = {
        "smp_tiny/__init__.py": "VALUE = 42\n",
        "smp_tiny-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: smp-tiny\nVersion: 1.0\n",
        "smp_tiny-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files["smp_tiny-1.0.dist-info/RECORD"] = "".join(f"{k},,\n" for k in files) + "smp_tiny-1.0.dist-info/RECORD,,\n"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "smp_tiny-1.0-py3-none-any.whl", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return folder


def test_missing_requirement_installs_into_the_cached_env_never_the_users(tmp_path, monkeypatch) -> None:
    """With --pip-index, pip uses the user's own configuration (here: a local find-links folder); what it
    installs lands in the work dir's environment layer, and the next job finds it there."""
    project = project_copy(tmp_path)
    scripts = project / "model_repos" / "churn" / "scripts"
    (scripts / "requirements.txt").write_text("smp-tiny==1.0\n")
    train = scripts / "train.py"
    train.write_text(train.read_text().replace("import joblib\n", "import joblib\nimport smp_tiny\n", 1))
    work = tmp_path / "work"
    site_packages = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    env_before = sorted(os.listdir(site_packages))
    monkeypatch.setenv("PIP_FIND_LINKS", str(tiny_wheel(tmp_path / "wheels")))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    result = run_cli(
        ["--workdir", str(work), "--only", "churn-Preprocessing", "--only", "churn-Training", "--pip-index"],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    logs = "".join(p.read_text() for p in work.glob("executions/*/logs/*.log"))
    assert "Successfully installed smp-tiny-1.0" in logs and "Requirement already satisfied: smp-tiny==1.0" in logs
    assert list(work.glob("envs/*/lib/python*/site-packages/smp_tiny/__init__.py"))
    assert sorted(os.listdir(site_packages)) == env_before


def test_wheelhouse_requirements_install_offline(tmp_path) -> None:
    """A source directory that ships its wheels (wheelhouse/, for the secure network) installs them offline:
    the Processing bootstrap with --no-index --find-links, the training toolkit through PIP_FIND_LINKS."""
    project = project_copy(tmp_path)
    scripts = project / "model_repos" / "churn" / "scripts"
    tiny_wheel(scripts / "wheelhouse")
    (scripts / "requirements.txt").write_text("smp-tiny==1.0\n")
    train = scripts / "train.py"
    train.write_text(train.read_text().replace("import joblib\n", "import joblib\nimport smp_tiny\n", 1))
    work = tmp_path / "work"
    result = run_cli(["--workdir", str(work), "--only", "churn-Preprocessing", "--only", "churn-Training"], cwd=project)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Successfully installed smp-tiny-1.0" in latest_log(work, "churn-Preprocessing").read_text()
    assert "Requirement already satisfied: smp-tiny==1.0" in latest_log(work, "churn-Training").read_text()


def test_ctrl_c_stops_every_job_process(tmp_path) -> None:
    project = project_copy(tmp_path)
    marker = f"smp-local-run-test-{os.getpid()}"
    script = project / "model_repos" / "churn" / "scripts" / "preprocess.py"
    script.write_text(
        script.read_text().replace(
            "def main(argv=None):\n",
            f"def main(argv=None):\n    import subprocess, time\n    subprocess.Popen(['sh', '-c', 'sleep 300; : {marker}'])\n"
            "    time.sleep(300)\n",
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMP_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "constructs_lib", "run", "--workdir", str(tmp_path / "work")],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def marked() -> list[str]:
        found = []
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
        return found

    try:
        deadline = time.monotonic() + 60
        while not marked() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marked(), "the job never started"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted: every job was stopped" in err
    assert marked() == []


def test_isolated_training_finds_its_code_in_the_code_channel(bundled, tmp_path) -> None:
    """``train.network_isolation``: sagemaker_submit_directory is the archive in the ``code`` channel, not S3."""
    project = project_copy(tmp_path)
    conf = project / "model_repos" / "churn" / "conf" / "conf.yaml"
    text = conf.read_text()
    conf.write_text(text.replace("\n      train:\n", "\n      train:\n        network_isolation: true\n", 1))
    work = workdir_copy(bundled, tmp_path)
    report = tmp_path / "isolated.json"
    result = run_cli(["--workdir", str(work), "--report", str(report), "--jobs", "1"], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = {s["name"]: s for s in json.loads(report.read_text())["steps"]}
    assert steps["churn-Training"]["status"] == "Succeeded" and not steps["churn-Training"]["cached"]
