"""ltv evaluation (SageMaker Processing job of the Metrics step).

Inputs (chain_input_source_step: [ltv-Preprocessing, ltv-Transform], channel ``train``):
    labels       ``--labels-dir`` / env ``EVAL_LABELS_DIR``
                 default <input-base>/ltv-Preprocessing-train; holds test/y_test.csv
    predictions  ``--predictions-dir`` / env ``EVAL_PREDICTIONS_DIR``
                 default <input-base>/ltv-Transform-train; holds x_test.csv.out
                 (one predicted revenue per line, as written by inference.py)
    <input-base> ``--input-base`` / env ``EVAL_INPUT_BASE``, default /opt/ml/processing/input
If neither the option nor the env var is set and the default directory does not exist,
the one directory under <input-base> holding test/y_test.csv (resp. a *.out file) is used.

Output: ``--output-dir`` / env ``EVAL_OUTPUT_DIR`` (default
/opt/ml/processing/output, all of it is the Metrics step's output) / model_evaluation_metrics.json, in the SageMaker
model-quality format: {"regression_metrics": {"mse": {"value": .., "standard_deviation":
"NaN"}, "rmse": .., "mae": .., "r2": ..}} (computed with numpy only).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

DEFAULT_BASE = "/opt/ml/processing/input"
LABELS_NAME = "ltv-Preprocessing-train"
PREDICTIONS_NAME = "ltv-Transform-train"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ltv evaluation")
    p.add_argument("--input-base", default=os.environ.get("EVAL_INPUT_BASE", DEFAULT_BASE))
    p.add_argument("--labels-dir", default=os.environ.get("EVAL_LABELS_DIR"))
    p.add_argument("--predictions-dir", default=os.environ.get("EVAL_PREDICTIONS_DIR"))
    p.add_argument("--output-dir", default=os.environ.get("EVAL_OUTPUT_DIR", "/opt/ml/processing/output"))
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print("ignoring unknown arguments: %s" % unknown)
    return args


def _subdirs(base):
    return sorted(d for d in glob.glob(os.path.join(base, "*")) if os.path.isdir(d))


def resolve_dir(explicit, base, default_name, looks_right, what):
    if explicit:
        return explicit
    default = os.path.join(base, default_name)
    if os.path.isdir(default):
        return default
    matches = [d for d in _subdirs(base) if looks_right(d)]
    if len(matches) == 1:
        print("%s: %s not found, using %s" % (what, default, matches[0]))
        return matches[0]
    raise SystemExit("cannot locate the %s: %s does not exist and %d candidates under %s (%s)"
                     % (what, default, len(matches), base, [os.path.basename(d) for d in _subdirs(base)]))


def labels_file(directory):
    for candidate in (os.path.join(directory, "test", "y_test.csv"), os.path.join(directory, "y_test.csv")):
        if os.path.isfile(candidate):
            return candidate
    return None


def predictions_file(directory):
    preferred = os.path.join(directory, "x_test.csv.out")
    if os.path.isfile(preferred):
        return preferred
    outs = sorted(glob.glob(os.path.join(directory, "**", "*.out"), recursive=True))
    return outs[0] if len(outs) == 1 else None


def metric(value):
    return {"value": float(value), "standard_deviation": "NaN"}


def main(argv=None):
    args = parse_args(argv)
    labels_dir = resolve_dir(args.labels_dir, args.input_base, LABELS_NAME,
                             lambda d: labels_file(d) is not None, "labels (preprocessing output)")
    preds_dir = resolve_dir(args.predictions_dir, args.input_base, PREDICTIONS_NAME,
                            lambda d: predictions_file(d) is not None, "predictions (transform output)")
    y_path, p_path = labels_file(labels_dir), predictions_file(preds_dir)
    if y_path is None:
        raise SystemExit("no test/y_test.csv under %s" % labels_dir)
    if p_path is None:
        raise SystemExit("no single *.out predictions file under %s" % preds_dir)

    y_true = np.loadtxt(y_path, delimiter=",", ndmin=1).astype("float64")
    y_pred = np.loadtxt(p_path, delimiter=",", ndmin=2)[:, -1]
    if len(y_true) != len(y_pred):
        raise SystemExit("%d labels in %s but %d predictions in %s" % (len(y_true), y_path, len(y_pred), p_path))

    errors = y_true - y_pred
    mse = float(np.mean(errors ** 2))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    report = {
        "regression_metrics": {
            "mse": metric(mse),
            "rmse": metric(np.sqrt(mse)),
            "mae": metric(np.mean(np.abs(errors))),
            "r2": metric(1.0 - float(np.sum(errors ** 2)) / total if total > 0 else float("nan")),
        }
    }
    os.makedirs(args.output_dir, exist_ok=True)
    out_path = os.path.join(args.output_dir, "model_evaluation_metrics.json")
    with open(out_path, "w") as fh:
        json.dump(report, fh, indent=2)
    m = report["regression_metrics"]
    print("evaluated %d predictions: rmse %.2f, r2 %.4f -> %s"
          % (len(y_true), m["rmse"]["value"], m["r2"]["value"], out_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
