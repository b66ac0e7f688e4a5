"""requirements.txt in the secure network: wheels shipped in ``wheelhouse/`` are installed without an index."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zipfile

from tests.conftest import FIXTURES
from tests.unit.compiler.conftest import compile_globs
from tests.unit.compiler.container_layout import LocalPipeline, steps_by_name

SEMANTICS = FIXTURES / "compile" / "semantics"
PACKAGE = "smp_offline_demo"


def _wheel(folder) -> None:
    """A minimal pure-Python wheel (what ``pip download``/``pip wheel`` put into a wheelhouse)."""
    name = f"{PACKAGE}-1.0"
    files = {
        f"{PACKAGE}.py": b"VALUE = 'installed from the wheelhouse'\n",
        f"{name}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 1.0\n".encode(),
        f"{name}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = (
        "".join(
            f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
            f"{len(data)}\n"
            for path, data in files.items()
        )
        + f"{name}.dist-info/RECORD,,\n"
    )
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"{name}-py3-none-any.whl", "w") as wheel:
        for path, data in {**files, f"{name}.dist-info/RECORD": record.encode()}.items():
            wheel.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)


def test_processing_installs_requirements_from_the_shipped_wheelhouse_without_an_index(tmp_path) -> None:
    root = tmp_path / "p"
    shutil.copytree(SEMANTICS, root)
    scripts = root / "scripts"
    (scripts / "requirements.txt").write_text(f"{PACKAGE}==1.0\n")
    _wheel(scripts / "wheelhouse")
    (scripts / "preprocess.py").write_text(
        f"import json, os\nfrom {PACKAGE} import VALUE\n"
        "os.makedirs('/opt/ml/processing/output/train', exist_ok=True)\n"
        "json.dump(VALUE, open('/opt/ml/processing/output/train/value.json', 'w'))\n"
    )
    compiled = compile_globs(["conf.yaml"], root)
    definition = json.loads(compiled.definition)
    steps = steps_by_name(definition)
    site = tmp_path / "site"
    # PIP_TARGET: pip installs into a folder of this test, not into the environment running it.
    run = LocalPipeline(
        definition,
        compiled.assets,
        root,
        tmp_path / "run",
        lambda uri, folder: None,
        extra_env={"PIP_TARGET": str(site), "PYTHONPATH": str(site), "PIP_INDEX_URL": "http://127.0.0.1:9/"},
    )
    run.processing(steps["Prep"])  # pip would fail on the dead index without the wheelhouse
    assert (site / f"{PACKAGE}.py").is_file()
    assert (
        json.loads(
            run.resolve({"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"})
            .joinpath("value.json")
            .read_text()
        )
        == "installed from the wheelhouse"
    )
    # Training: the toolkit's pip install reads PIP_* from the job's environment.
    environment = steps["Train"]["Arguments"]["Environment"]
    assert environment["PIP_NO_INDEX"] == "true" and environment["PIP_FIND_LINKS"] == "/opt/ml/code/wheelhouse"
