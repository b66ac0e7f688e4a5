"""churn evaluation (SageMaker Processing job of the Metrics step).

Inputs (chain_input_source_step: [churn-Preprocessing, churn-Transform], channel ``train``):
    labels       ``--labels-dir`` / env ``EVAL_LABELS_DIR``
                 default <input-base>/churn-Preprocessing-train; holds test/y_test.csv
                 (or y_test.csv directly)
    predictions  ``--predictions-dir`` / env ``EVAL_PREDICTIONS_DIR``
                 default <input-base>/churn-Transform-train; holds x_test.csv.out
                 (one churn probability per line, as written by inference.py)
    <input-base> ``--input-base`` / env ``EVAL_INPUT_BASE``, default /opt/ml/processing/input
If neither the option nor the env var is set and the default directory does not exist,
the one directory under <input-base> holding test/y_test.csv (resp. a *.out file) is used.

Output: ``--output-dir`` / env ``EVAL_OUTPUT_DIR`` (default
/opt/ml/processing/output, all of it is the Metrics step's output) / model_evaluation_metrics.json, in the SageMaker
model-quality format: {"binary_classification_metrics": {"accuracy": {"value": ..,
"standard_deviation": "NaN"}, "auc": .., "precision": .., "recall": .., "f1": ..,
"confusion_matrix": {"0": {"0": n, "1": n}, "1": {...}}}}.
The metrics are computed with numpy only (AUC by the rank statistic, ties averaged).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

DEFAULT_BASE = "/opt/ml/processing/input"
LABELS_NAME = "churn-Preprocessing-train"
PREDICTIONS_NAME = "churn-Transform-train"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="churn evaluation")
    p.add_argument("--input-base", default=os.environ.get("EVAL_INPUT_BASE", DEFAULT_BASE))
    p.add_argument("--labels-dir", default=os.environ.get("EVAL_LABELS_DIR"))
    p.add_argument("--predictions-dir", default=os.environ.get("EVAL_PREDICTIONS_DIR"))
    p.add_argument("--output-dir", default=os.environ.get("EVAL_OUTPUT_DIR", "/opt/ml/processing/output"))
    p.add_argument("--threshold", type=float, default=0.5)
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


def roc_auc(y_true, scores):
    """Area under the ROC curve = P(score of a positive > score of a negative), ties 1/2."""
    positives = y_true == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based, ties averaged
    ranks = average_rank[inverse]
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ratio(numerator, denominator):
    return float(numerator) / denominator if denominator else 0.0


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

    y_true = np.loadtxt(y_path, delimiter=",", ndmin=1).astype(int)
    scores = np.loadtxt(p_path, delimiter=",", ndmin=2)[:, -1]
    if len(y_true) != len(scores):
        raise SystemExit("%d labels in %s but %d predictions in %s" % (len(y_true), y_path, len(scores), p_path))
    if not set(np.unique(y_true).tolist()) <= {0, 1}:
        raise SystemExit("labels in %s must be 0/1, found %s" % (y_path, sorted(set(y_true.tolist()))))
    y_pred = (scores >= args.threshold).astype(int)

    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    tn = int(np.sum((y_true == 0) & (y_pred == 0)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    report = {
        "binary_classification_metrics": {
            "accuracy": metric(ratio(tp + tn, len(y_true))),
            "precision": metric(precision),
            "recall": metric(recall),
            "f1": metric(ratio(2 * precision * recall, precision + recall)),
            "auc": metric(roc_auc(y_true, scores)),
            "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}},
        }
    }
    os.makedirs(args.output_dir, exist_ok=True)
    out_path = os.path.join(args.output_dir, "model_evaluation_metrics.json")
    with open(out_path, "w") as fh:
        json.dump(report, fh, indent=2)
    m = report["binary_classification_metrics"]
    print("evaluated %d predictions: accuracy %.4f, auc %.4f -> %s"
          % (len(y_true), m["accuracy"]["value"], m["auc"]["value"], out_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
