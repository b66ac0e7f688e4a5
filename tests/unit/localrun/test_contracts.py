"""Container contracts the runner reproduces, checked piece by piece: the training toolkit's hyperparameter
handling and SM_* environment, the inference toolkit's handlers and batch transform semantics."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from constructs_lib.localrun.jobs import (
    cmd_arg,
    decode_hyperparameter,
    training_environment,
)
from constructs_lib.localrun.store import LocalStore, parse_data_mappings

_spec = importlib.util.spec_from_file_location(
    "serving_worker", Path(__file__).resolve().parents[3] / "constructs_lib" / "localrun" / "serving_worker.py"
)
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def test_hyperparameters_decode_as_the_toolkit_does() -> None:
    assert decode_hyperparameter('"train.py"') == "train.py"
    assert decode_hyperparameter("train.py") == "train.py"  # not JSON: the raw string
    assert decode_hyperparameter("100") == 100 and decode_hyperparameter("0.5") == 0.5
    assert decode_hyperparameter('{"a": 1}') == {"a": 1}
    assert cmd_arg({"b": 2, "a": 1}) == "a=1,b=2" and cmd_arg(True) == "True" and cmd_arg([1, 2]) == "[1, 2]"


def test_training_environment() -> None:
    env = training_environment(
        {},
        "job",
        "train.py",
        "s3://b/src.tar.gz",
        ["train", "churn-Preprocessing-train"],
        {"epochs": 3, "lr": "0.1"},
        {},
        ["--epochs", "3", "--lr", "0.1"],
    )
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert env["SM_CHANNEL_CHURN-PREPROCESSING-TRAIN"] == "/opt/ml/input/data/churn-Preprocessing-train"
    assert env["SM_MODEL_DIR"] == "/opt/ml/model" and env["SM_HP_EPOCHS"] == "3" and env["SM_HP_LR"] == "0.1"
    assert json.loads(env["SM_HPS"]) == {"epochs": 3, "lr": "0.1"}
    assert json.loads(env["SM_CHANNELS"]) == ["churn-Preprocessing-train", "train"]
    assert json.loads(env["SM_USER_ARGS"]) == ["--epochs", "3", "--lr", "0.1"]
    assert json.loads(env["SM_TRAINING_ENV"])["module_dir"] == "s3://b/src.tar.gz"


def test_store_prefix_semantics_and_data_mappings(tmp_path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("1\n")
    (data / "sub" / "b.csv").write_text("2\n")
    mappings = parse_data_mappings([f"s3://SMP_S3BUCKETNAME/raw={data}"], {"SMP_S3BUCKETNAME": "bkt"}, tmp_path)
    store = LocalStore(tmp_path / "s3", mappings)
    assert [rel for rel, _ in store.objects("s3://bkt/raw")] == ["a.csv", "sub/b.csv"]
    assert [rel for rel, _ in store.objects("s3://bkt/raw/sub/b.csv")] == ["b.csv"]  # an object keeps its name
    store.put_bytes("s3://bkt/raw/a.csv", b"store wins\n")
    assert store.read_bytes("s3://bkt/raw/a.csv") == b"store wins\n"
    assert store.fingerprint("s3://bkt/none") == ""
    with pytest.raises(Exception, match="'.' and '..'"):
        store.path("s3://bkt/raw/../../etc")


def test_manifest_file_inputs_copy_exactly_the_listed_objects(tmp_path) -> None:
    store = LocalStore(tmp_path / "s3")
    for key in ("data/a.csv", "data/sub/b.csv", "data/c.csv"):
        store.put_bytes(f"s3://bkt/{key}", key.encode())
    store.put_bytes("s3://bkt/m.manifest", json.dumps([{"prefix": "s3://bkt/data/"}, "a.csv", "sub/b.csv"]).encode())
    dest = tmp_path / "in"
    assert store.copy_to("s3://bkt/m.manifest", dest, "input", manifest=True) == 2
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == ["a.csv", "sub/b.csv"]
    store.put_bytes("s3://bkt/bad.manifest", json.dumps([{"prefix": "s3://bkt/data/"}, "zzz.csv"]).encode())
    with pytest.raises(Exception, match="s3://bkt/data/zzz.csv is not available locally"):
        store.copy_to("s3://bkt/bad.manifest", tmp_path / "in2", "input", manifest=True)


def _job(tmp_path, module_text: str, payload: bytes, **spec) -> tuple[int, Path]:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "handler_mod.py").write_text(module_text)
    (tmp_path / "in.csv").write_bytes(payload)
    out = tmp_path / "out"
    full = {
        "code_dir": str(code),
        "program": "handler_mod.py",
        "model_dir": str(tmp_path),
        "inputs": [["in.csv", str(tmp_path / "in.csv")]],
        "out_dir": str(out),
        "split": "Line",
        "strategy": "MultiRecord",
        "max_bytes": 6 << 20,
        "assemble": "None",
        "content_type": "text/csv",
        "accept": "text/csv",
        "join_source": "None",
        "failure_file": str(tmp_path / "failure"),
        **spec,
    }
    (tmp_path / "spec.json").write_text(json.dumps(full))
    import sys

    sys.modules.pop("handler_mod", None)
    try:
        return worker.main(str(tmp_path / "spec.json")), out / "in.csv.out"
    finally:
        sys.path.remove(str(code))


DEFAULTS = (
    "import numpy as np\nclass M:\n    def predict(self, x):\n        return np.atleast_2d(x).sum(axis=1)\n"
    "def model_fn(model_dir):\n    return M()\n"
)


def test_default_csv_codecs_multirecord(tmp_path) -> None:
    code, out = _job(tmp_path, DEFAULTS, b"1,2\n3,4\n\n5,6\n")
    assert code == 0 and out.read_text().split() == ["3", "7", "11"]


def test_single_record_assemble_line_and_join_source(tmp_path) -> None:
    module = DEFAULTS + "def output_fn(prediction, accept):\n    return '%g' % prediction[0], accept\n"
    code, out = _job(tmp_path, module, b"1,2\n3,4\n", strategy="SingleRecord", assemble="Line")
    assert code == 0 and out.read_text() == "3\n7\n"
    module = DEFAULTS + "def output_fn(prediction, accept):\n    return ''.join('%g\\n' % p for p in prediction)\n"
    code, out = _job(tmp_path, module, b"1,2\n3,4\n", join_source="Input")
    assert code == 0 and out.read_text() == "1,2,3\n3,4,7\n"


def test_max_payload_splits_mini_batches(tmp_path) -> None:
    module = (
        "def model_fn(d):\n    return None\n"
        "def transform_fn(model, body, content_type, accept):\n    return '%d\\n' % len(body.split(b'\\n'))\n"
    )
    code, out = _job(tmp_path, module, b"".join(b"%03d\n" % i for i in range(10)), max_bytes=12)
    assert code == 0 and out.read_text().split() == ["3", "3", "3", "1"]  # 4 bytes a record, at most 12 a request


def test_handler_mix_and_missing_model_fn_fail_the_job(tmp_path) -> None:
    code, out = _job(
        tmp_path, DEFAULTS + "def transform_fn(m, b, c, a):\n    return b\ndef input_fn(b, c):\n    return b\n", b"1\n"
    )
    assert code == 1 and not out.exists()
    assert "use one form, not both" in (tmp_path / "failure").read_text()
    code, out = _job(tmp_path, "x = 1\n", b"1\n")
    assert code == 1 and "defines no model_fn" in (tmp_path / "failure").read_text()
    code, out = _job(tmp_path, "def input_handler(data, context):\n    return data\n", b"1\n")
    assert code == 1 and "TensorFlow Serving handlers" in (tmp_path / "failure").read_text()


def test_a_failing_object_writes_no_out_file(tmp_path) -> None:
    module = DEFAULTS + "def input_fn(body, content_type):\n    raise ValueError('bad row')\n"
    code, out = _job(tmp_path, module, b"1,2\n")
    assert code == 1 and not out.exists() and not out.with_name("in.csv.out.part").exists()
    assert (tmp_path / "failure").read_text() == "ClientError: ValueError: bad row"
