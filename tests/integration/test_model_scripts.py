"""Run the bundled example model repositories (model_repos/churn, model_repos/ltv) locally.

Each SageMaker job is imitated in its own temp directory laid out like the container
(processing input/output, training channel, model dir); data moves between jobs by
copying directories, the way S3 would carry it. The scripts run as subprocesses with the
paths given through their environment variables or options; the Transform step is
imitated by calling the inference handlers shipped inside the model artifact
(code/inference.py) on line-split mini-batches of x_test.csv.
"""

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REPOS = ROOT / "model_repos"
CHURN_CONF = REPOS / "churn" / "conf" / "conf.yaml"
LTV_CONF = REPOS / "ltv" / "conf" / "conf.yaml"

STEP_KINDS = {
    ("Processing", "preprocess"),
    ("Training", None),
    ("CreateModel", None),
    ("Transform", None),
    ("Metrics", None),
    ("RegisterModel", None),
}


def load_conf(path):
    with open(path) as fh:
        return yaml.safe_load(fh)["conf"]


def model_conf(name):
    return load_conf(REPOS / name / "conf" / "conf.yaml")["models"][name]


def steps_of(model):
    return load_conf(CHURN_CONF)["sagemakerPipeline"]["models"][model]["steps"]


def step(model, step_class):
    return next(s for s in steps_of(model) if s["step_class"] == step_class)


def script(model, kind):
    conf = model_conf(model)
    return ROOT / conf["source_directory"] / conf[kind]["entry_point"]


def _clean_env(env):
    full_env = dict(os.environ)
    # the scripts must find their paths from what we pass, never from the caller's env
    for key in list(full_env):
        if key.startswith(("SM_", "PREPROCESS_", "EVAL_", "LTV_")):
            del full_env[key]
    full_env.update(env or {})
    return full_env


def start(args, env=None):
    """Start a script in the background (jobs that SageMaker would run concurrently)."""
    args = [sys.executable] + [str(a) for a in args]
    proc = subprocess.Popen(args, env=_clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return args, proc


def finish(handle, check=True):
    args, proc = handle
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d)\nstdout:\n%s\nstderr:\n%s" % (args, proc.returncode, stdout, stderr))
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


def run(args, env=None, check=True):
    return finish(start(args, env), check=check)


def copy_dir(src, dst):
    shutil.copytree(src, dst)
    return dst


def hyperparam_args(model):
    args = []
    for key, value in model_conf(model)["train"].get("hyperparams", {}).items():
        args += ["--%s" % key, str(value)]
    return args


def load_module(path, name):
    # no __pycache__ next to the scripts: their directory is uploaded as source_directory
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


_LOADED = []


def batch_transform(model_dir, input_file, output_dir, lines_per_request=64, accept="text/csv"):
    """Imitate a batch transform (split_type Line, MultiRecord) with the artifact's own handlers."""
    handlers = load_module(Path(model_dir) / "code" / "inference.py", "inference_%d" % len(_LOADED))
    _LOADED.append(handlers)
    model = handlers.model_fn(str(model_dir))
    lines = [line for line in Path(input_file).read_text().splitlines(keepends=True) if line.strip()]
    outputs = []
    for start in range(0, len(lines), lines_per_request):
        body = "".join(lines[start : start + lines_per_request]).encode("utf-8")
        data = handlers.input_fn(body, "text/csv")
        result = handlers.output_fn(handlers.predict_fn(data, model), accept)
        payload, content_type = result if isinstance(result, tuple) else (result, "text/csv")
        assert content_type == "text/csv"
        outputs.append(payload.decode() if isinstance(payload, bytes) else payload)
    os.makedirs(output_dir, exist_ok=True)
    out = Path(output_dir) / (Path(input_file).name + ".out")
    out.write_text("".join(outputs))
    return out


def preprocess_job(model, work, raw_csv, extra_inputs=None, via_env=True):
    """Processing (preprocess): dataFiles sourceName "raw" (the object name is not kept,
    as with an uploaded asset) plus chained inputs; returns the "train" output channel."""
    pre = work / ("%s-Preprocessing" % model)
    (pre / "input" / "raw").mkdir(parents=True)
    shutil.copy(raw_csv, pre / "input" / "raw" / "asset-3f2a9c.csv")
    for name, src in (extra_inputs or {}).items():
        copy_dir(src, pre / "input" / name)
    if via_env:
        run(
            [script(model, "preprocess")],
            env={"PREPROCESS_INPUT_DIR": str(pre / "input"), "PREPROCESS_OUTPUT_DIR": str(pre / "output")},
        )
    else:
        run([script(model, "preprocess"), "--input-dir", pre / "input", "--output-dir", pre / "output"])
    return pre / "output" / "train"


def start_training_job(model, work, channel):
    """Training: channel "<model>-Preprocessing-train" (chained source step - channel, as in the original)
    = the preprocessing's "train" output channel; the toolkit's SM_CHANNEL_<NAME upper> keeps the hyphens."""
    tr = work / ("%s-Training" % model)
    name = "%s-Preprocessing-train" % model
    copy_dir(channel, tr / "input" / "data" / name)
    handle = start(
        [script(model, "train")] + hyperparam_args(model),
        env={"SM_CHANNEL_" + name.upper(): str(tr / "input" / "data" / name), "SM_MODEL_DIR": str(tr / "model")},
    )
    return handle, tr / "model"


def transform_and_evaluate(model, work, jobs):
    # Transform: input = preprocessing channel + chain_input_additional_prefix
    prefix = step(model, "Transform")["chain_input_additional_prefix"]
    jobs["transform"] = work / ("%s-Transform" % model) / "output"
    jobs["predictions"] = batch_transform(jobs["model"], jobs["preprocess"] / prefix, jobs["transform"])

    # Metrics: inputs named <source step>-<channel>, as in the original framework
    ev = work / ("%s-Metrics" % model)
    for source in step(model, "Metrics")["chain_input_source_step"]:
        src = jobs["preprocess"] if source.endswith("Preprocessing") else jobs["transform"]
        copy_dir(src, ev / "input" / ("%s-train" % source))
    run([script(model, "evaluate")], env={"EVAL_INPUT_BASE": str(ev / "input"), "EVAL_OUTPUT_DIR": str(ev / "output")})
    jobs["metrics"] = ev / "output" / "model_evaluation_metrics.json"
    jobs["metrics_input"] = ev / "input"
    return jobs


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    work = tmp_path_factory.mktemp("pipeline")
    churn = {"preprocess": preprocess_job("churn", work, REPOS / "churn" / "data" / "customers.csv")}
    churn_training, churn["model"] = start_training_job("churn", work, churn["preprocess"])

    # ltv-Preprocessing: chain_input_source_step [churn-Preprocessing] -> churn's "train" channel,
    # at the original framework's Processing destination <source step>-input-<channel>
    (source,) = step("ltv", "Processing")["chain_input_source_step"]
    assert source == "churn-Preprocessing"
    ltv = {
        "preprocess": preprocess_job(
            "ltv",
            work,
            REPOS / "ltv" / "data" / "revenue.csv",
            extra_inputs={"churn-Preprocessing-input-train": churn["preprocess"]},
            via_env=False,
        )
    }
    ltv_training, ltv["model"] = start_training_job("ltv", work, ltv["preprocess"])
    finish(churn_training)
    finish(ltv_training)
    transform_and_evaluate("churn", work, churn)
    transform_and_evaluate("ltv", work, ltv)
    return {"churn": churn, "ltv": ltv, "work": work}


# ---------------------------------------------------------------- configuration


def test_confs_cover_all_step_kinds_and_cross_model_wiring():
    churn, ltv = load_conf(CHURN_CONF), load_conf(LTV_CONF)
    assert "sagemakerPipeline" in churn and "sagemakerPipeline" not in ltv
    assert set(churn["models"]) == {"churn"} and set(ltv["models"]) == {"ltv"}
    pipeline_models = churn["sagemakerPipeline"]["models"]
    assert set(pipeline_models) == {"churn", "ltv"}

    owner = {}
    kinds = set()
    for model, spec in pipeline_models.items():
        for s in spec["steps"]:
            owner[s["step_name"]] = model
            kinds.add((s["step_class"], s.get("step_type")))
        # each unit has the six kinds itself
        assert {(s["step_class"], s.get("step_type")) for s in spec["steps"]} == STEP_KINDS
    assert kinds == STEP_KINDS

    cross_chains = [
        (s["step_name"], src)
        for model, spec in pipeline_models.items()
        for s in spec["steps"]
        for src in s.get("chain_input_source_step", [])
        if owner[src] != model
    ]
    assert cross_chains == [("ltv-Preprocessing", "churn-Preprocessing")]

    edges = []
    for line in churn["sagemakerPipeline"]["dependencies"]:
        names = [n.strip() for n in line.split(" >> ")]
        assert all(n in owner for n in names), line
        edges += list(zip(names, names[1:], strict=False))  # consecutive pairs: one shorter by design
    assert ("churn-Register", "ltv-Register") in edges
    assert any(owner[a] != owner[b] for a, b in edges)


@pytest.mark.parametrize("model", ["churn", "ltv"])
def test_conf_points_at_shipped_files(model):
    conf = model_conf(model)
    source_dir = ROOT / conf["source_directory"]
    for kind in ("preprocess", "train", "transform", "evaluate"):
        assert (source_dir / conf[kind]["entry_point"]).is_file(), kind
    for channel in conf["preprocess"]["channels"].values():
        for data_file in channel["dataFiles"]:
            path = ROOT / data_file["fileName"]
            assert path.is_file() and path.stat().st_size < 100_000, path
    assert conf["registry"]["ModelRepack"] == "False"  # a string, as the original expects
    assert conf["transform"]["content_type"] == "text/csv"
    assert conf["registry"]["InferenceSpecification"]["supported_content_types"] == ["text/csv"]


def test_shipped_data_is_reproducible():
    generator = load_module(REPOS / "generate_data.py", "model_repos_generate_data")
    assert generator.main(["--check"]) == 0


# ---------------------------------------------------------------- churn


def test_churn_preprocess_outputs(pipeline):
    out = pipeline["churn"]["preprocess"]
    meta = json.loads((out / "features.json").read_text())
    features = meta["features"]
    assert meta["label"] == "churned" and len(features) == 9

    train = pd.read_csv(out / "train" / "train.csv")
    assert list(train.columns) == ["churned"] + features
    assert train.shape == (900, 10) and not train.isna().any().any()
    assert set(train["churned"]) == {0, 1}

    x_test = np.loadtxt(out / "test" / "x_test.csv", delimiter=",")  # no header: all numeric
    y_test = np.loadtxt(out / "test" / "y_test.csv", delimiter=",")
    assert x_test.shape == (300, 9) and y_test.shape == (300,)
    assert not np.isnan(x_test).any() and set(np.unique(y_test)) == {0.0, 1.0}
    # stratified split keeps the churn rate
    assert abs(train["churned"].mean() - y_test.mean()) < 0.02

    raw = pd.read_csv(REPOS / "churn" / "data" / "customers.csv")
    train_ids = pd.read_csv(out / "train" / "customer_ids.csv")["customer_id"]
    test_ids = pd.read_csv(out / "test" / "customer_ids.csv")["customer_id"]
    assert len(train_ids) == 900 and len(test_ids) == 300
    assert set(train_ids).isdisjoint(test_ids) and set(train_ids) | set(test_ids) == set(raw["customer_id"])
    # rows stay aligned with their customers (labels and a raw feature)
    by_id = raw.set_index("customer_id")
    assert (by_id.loc[test_ids, "churned"].values == y_test).all()
    assert (by_id.loc[test_ids, "tenure_months"].values == x_test[:, features.index("tenure_months")]).all()
    # the missing monthly charges were imputed with the training median
    assert raw["monthly_charges"].isna().sum() > 0
    median = meta["imputation"]["monthly_charges"]
    gaps = by_id.loc[train_ids, "monthly_charges"].isna().values
    assert (train["monthly_charges"].values[gaps] == median).all()


def test_churn_model_artifact(pipeline):
    model_dir = pipeline["churn"]["model"]
    model = joblib.load(model_dir / "model.joblib")
    assert type(model).__name__ == "RandomForestClassifier"
    hyper = model_conf("churn")["train"]["hyperparams"]
    assert model.n_estimators == hyper["n_estimators"] and model.max_depth == hyper["max_depth"]
    assert model.n_features_in_ == 9 and list(model.classes_) == [0, 1]
    shipped = (model_dir / "code" / "inference.py").read_bytes()
    assert shipped == script("churn", "transform").read_bytes()
    info = json.loads((model_dir / "model_info.json").read_text())
    assert info["rows"] == 900 and info["label"] == "churned"


def test_churn_predictions_one_per_line(pipeline):
    preds = pipeline["churn"]["predictions"]
    assert preds.name == "x_test.csv.out"
    text = preds.read_text()
    assert text.endswith("\n")
    values = [float(v) for v in text.splitlines()]
    assert len(values) == 300 and all(0.0 <= v <= 1.0 for v in values)
    # SingleRecord (one line per request) and a JSON Accept give the same CSV lines
    x_head = pipeline["work"] / "head" / "x_test.csv"
    x_head.parent.mkdir()
    x_lines = (pipeline["churn"]["preprocess"] / "test" / "x_test.csv").read_text().splitlines(keepends=True)
    x_head.write_text("".join(x_lines[:25]))
    single = batch_transform(
        pipeline["churn"]["model"], x_head, pipeline["work"] / "single", lines_per_request=1, accept="application/json"
    )
    assert single.read_text().splitlines() == text.splitlines()[:25]


def test_churn_inference_rejects_bad_requests(pipeline):
    handlers = load_module(pipeline["churn"]["model"] / "code" / "inference.py", "churn_inference_bad")
    model = handlers.model_fn(str(pipeline["churn"]["model"]))
    with pytest.raises(ValueError):
        handlers.input_fn('{"instances": [[1, 2]]}', "application/json")
    with pytest.raises(ValueError):
        handlers.predict_fn(handlers.input_fn("1,2,3\n", "text/csv"), model)


def test_churn_metrics(pipeline):
    report = json.loads(pipeline["churn"]["metrics"].read_text())
    metrics = report["binary_classification_metrics"]
    for name in ("accuracy", "precision", "recall", "f1", "auc"):
        assert set(metrics[name]) == {"value", "standard_deviation"}
        assert metrics[name]["standard_deviation"] == "NaN"
        assert 0.0 <= metrics[name]["value"] <= 1.0
    assert metrics["accuracy"]["value"] > 0.8
    assert metrics["auc"]["value"] > 0.85
    cm = metrics["confusion_matrix"]
    assert sum(cm[a][p] for a in "01" for p in "01") == 300
    # evaluate.py computes with numpy only: cross-check against scikit-learn
    from sklearn import metrics as skm

    y_true = np.loadtxt(pipeline["churn"]["preprocess"] / "test" / "y_test.csv").astype(int)
    scores = np.loadtxt(pipeline["churn"]["predictions"])
    y_pred = (scores >= 0.5).astype(int)
    assert math.isclose(metrics["accuracy"]["value"], skm.accuracy_score(y_true, y_pred))
    assert math.isclose(metrics["precision"]["value"], skm.precision_score(y_true, y_pred))
    assert math.isclose(metrics["recall"]["value"], skm.recall_score(y_true, y_pred))
    assert math.isclose(metrics["f1"]["value"], skm.f1_score(y_true, y_pred))
    assert math.isclose(metrics["auc"]["value"], skm.roc_auc_score(y_true, scores))
    assert skm.confusion_matrix(y_true, y_pred).tolist() == [[cm["0"]["0"], cm["0"]["1"]], [cm["1"]["0"], cm["1"]["1"]]]


def test_auc_handles_ties():
    evaluate = load_module(script("churn", "evaluate"), "churn_evaluate_module")
    from sklearn.metrics import roc_auc_score

    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.4, 0.4, 0.8, 0.8, 0.8, 0.3, 0.1])
    assert math.isclose(evaluate.roc_auc(y, s), roc_auc_score(y, s))
    assert math.isnan(evaluate.roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))


# ---------------------------------------------------------------- ltv (chained on churn)


def test_ltv_consumes_churn_preprocessing_output(pipeline):
    churn_out, ltv_out = pipeline["churn"]["preprocess"], pipeline["ltv"]["preprocess"]
    churn_features = json.loads((churn_out / "features.json").read_text())["features"]
    meta = json.loads((ltv_out / "features.json").read_text())
    assert meta["features"] == churn_features + ["addon_services"]
    assert meta["label"] == "revenue_next_12m"

    # same customers, same split, same order as churn's output
    for part in ("train", "test"):
        churn_ids = pd.read_csv(churn_out / part / "customer_ids.csv")["customer_id"].tolist()
        ltv_ids = pd.read_csv(ltv_out / part / "customer_ids.csv")["customer_id"].tolist()
        assert ltv_ids == churn_ids
    churn_x = np.loadtxt(churn_out / "test" / "x_test.csv", delimiter=",")
    ltv_x = np.loadtxt(ltv_out / "test" / "x_test.csv", delimiter=",")
    assert ltv_x.shape == (300, 10)
    np.testing.assert_array_equal(ltv_x[:, :9], churn_x)  # churn's imputed features, untouched

    # targets joined on customer_id (revenue.csv is shipped in another row order)
    revenue = pd.read_csv(REPOS / "ltv" / "data" / "revenue.csv").set_index("customer_id")
    test_ids = pd.read_csv(ltv_out / "test" / "customer_ids.csv")["customer_id"]
    y_test = np.loadtxt(ltv_out / "test" / "y_test.csv", delimiter=",")
    np.testing.assert_allclose(y_test, revenue.loc[test_ids, "revenue_next_12m"].values)
    np.testing.assert_array_equal(ltv_x[:, 9], revenue.loc[test_ids, "addon_services"].values)
    train = pd.read_csv(ltv_out / "train" / "train.csv")
    assert list(train.columns) == ["revenue_next_12m"] + meta["features"] and train.shape == (900, 11)


def test_ltv_preprocess_fails_without_churn_output(tmp_path):
    (tmp_path / "input" / "raw").mkdir(parents=True)
    shutil.copy(REPOS / "ltv" / "data" / "revenue.csv", tmp_path / "input" / "raw")
    proc = run(
        [script("ltv", "preprocess"), "--input-dir", tmp_path / "input", "--output-dir", tmp_path / "output"],
        check=False,
    )
    assert proc.returncode != 0
    assert "churn-Preprocessing" in proc.stderr
    assert not (tmp_path / "output" / "train" / "train" / "train.csv").exists()


def test_ltv_preprocess_finds_churn_output_under_another_name(pipeline, tmp_path):
    # e.g. the original framework's destination /opt/ml/processing/input/<channel>
    (tmp_path / "input" / "raw").mkdir(parents=True)
    shutil.copy(REPOS / "ltv" / "data" / "revenue.csv", tmp_path / "input" / "raw")
    copy_dir(pipeline["churn"]["preprocess"], tmp_path / "input" / "train")
    run(
        [script("ltv", "preprocess")],
        env={"PREPROCESS_INPUT_DIR": str(tmp_path / "input"), "PREPROCESS_OUTPUT_DIR": str(tmp_path / "output")},
    )
    for rel in ("train/train.csv", "test/x_test.csv", "test/y_test.csv", "features.json"):
        assert (tmp_path / "output" / "train" / rel).read_bytes() == (
            pipeline["ltv"]["preprocess"] / rel
        ).read_bytes(), rel


def test_ltv_model_and_metrics(pipeline):
    model = joblib.load(pipeline["ltv"]["model"] / "model.joblib")
    assert type(model).__name__ == "GradientBoostingRegressor" and model.n_features_in_ == 10
    assert (pipeline["ltv"]["model"] / "code" / "inference.py").read_bytes() == script("ltv", "transform").read_bytes()
    values = [float(v) for v in pipeline["ltv"]["predictions"].read_text().splitlines()]
    assert len(values) == 300

    metrics = json.loads(pipeline["ltv"]["metrics"].read_text())["regression_metrics"]
    assert set(metrics) == {"mse", "rmse", "mae", "r2"}
    assert all(m["standard_deviation"] == "NaN" for m in metrics.values())
    assert math.isclose(metrics["rmse"]["value"], math.sqrt(metrics["mse"]["value"]))
    assert metrics["r2"]["value"] > 0.7
    y_test = np.loadtxt(pipeline["ltv"]["preprocess"] / "test" / "y_test.csv", delimiter=",")
    from sklearn import metrics as skm

    assert math.isclose(metrics["mse"]["value"], skm.mean_squared_error(y_test, values))
    assert math.isclose(metrics["mae"]["value"], skm.mean_absolute_error(y_test, values))
    assert math.isclose(metrics["r2"]["value"], skm.r2_score(y_test, values))


# ---------------------------------------------------------------- evaluate input lookup, determinism


def test_evaluate_explicit_dirs_and_lookup(pipeline, tmp_path):
    expected = json.loads(pipeline["churn"]["metrics"].read_text())
    src = pipeline["churn"]["metrics_input"]
    # other input names than the defaults: found by content
    copy_dir(src / "churn-Preprocessing-train", tmp_path / "in" / "prep")
    copy_dir(src / "churn-Transform-train", tmp_path / "in" / "preds")
    run([script("churn", "evaluate"), "--input-base", tmp_path / "in", "--output-dir", tmp_path / "a"])
    assert json.loads((tmp_path / "a" / "model_evaluation_metrics.json").read_text()) == expected
    # explicit directories through the environment
    run(
        [script("churn", "evaluate")],
        env={
            "EVAL_LABELS_DIR": str(tmp_path / "in" / "prep"),
            "EVAL_PREDICTIONS_DIR": str(tmp_path / "in" / "preds"),
            "EVAL_OUTPUT_DIR": str(tmp_path / "b"),
        },
    )
    assert json.loads((tmp_path / "b" / "model_evaluation_metrics.json").read_text()) == expected
    # ambiguous: two candidate label directories -> clear failure
    copy_dir(tmp_path / "in" / "prep", tmp_path / "in" / "prep2")
    proc = run(
        [script("churn", "evaluate"), "--input-base", tmp_path / "in", "--output-dir", tmp_path / "c"], check=False
    )
    assert proc.returncode != 0 and "cannot locate the labels" in proc.stderr


def test_evaluate_rejects_length_mismatch(pipeline, tmp_path):
    src = pipeline["churn"]["metrics_input"]
    copy_dir(src / "churn-Preprocessing-train", tmp_path / "labels")
    (tmp_path / "preds").mkdir()
    lines = (src / "churn-Transform-train" / "x_test.csv.out").read_text().splitlines(keepends=True)
    (tmp_path / "preds" / "x_test.csv.out").write_text("".join(lines[:-5]))
    proc = run(
        [
            script("churn", "evaluate"),
            "--labels-dir",
            tmp_path / "labels",
            "--predictions-dir",
            tmp_path / "preds",
            "--output-dir",
            tmp_path / "out",
        ],
        check=False,
    )
    assert proc.returncode != 0 and "300 labels" in proc.stderr


def test_churn_scripts_are_deterministic(pipeline, tmp_path):
    first = pipeline["churn"]
    (tmp_path / "input" / "raw").mkdir(parents=True)
    shutil.copy(REPOS / "churn" / "data" / "customers.csv", tmp_path / "input" / "raw")
    run([script("churn", "preprocess"), "--input-dir", tmp_path / "input", "--output-dir", tmp_path / "output"])
    for rel in (
        "train/train.csv",
        "train/customer_ids.csv",
        "test/x_test.csv",
        "test/y_test.csv",
        "test/customer_ids.csv",
        "features.json",
    ):
        assert (tmp_path / "output" / "train" / rel).read_bytes() == (first["preprocess"] / rel).read_bytes(), rel
    # the artifact carries a fixed random_state: refitting its parameters on the same data
    # reproduces its predictions exactly
    from sklearn.base import clone

    for model in ("churn", "ltv"):
        fitted = joblib.load(pipeline[model]["model"] / "model.joblib")
        assert fitted.random_state == model_conf(model)["train"]["hyperparams"]["random_state"]
        data = np.loadtxt(pipeline[model]["preprocess"] / "train" / "train.csv", delimiter=",", skiprows=1)
        x_test = np.loadtxt(pipeline[model]["preprocess"] / "test" / "x_test.csv", delimiter=",")
        refit = clone(fitted).fit(data[:, 1:], data[:, 0].astype(int) if model == "churn" else data[:, 0])
        np.testing.assert_array_equal(refit.predict(x_test), fitted.predict(x_test))
