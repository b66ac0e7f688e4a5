"""churn training (SageMaker Training job, scikit-learn container).

Reads  ``/opt/ml/input/data/churn-Preprocessing-train/train/train.csv`` (``$SM_CHANNEL_CHURN-PREPROCESSING-TRAIN``;
``--train`` or ``$SM_CHANNEL_TRAIN`` override it): the channel is the whole ``train`` output channel of
churn-Preprocessing; the
first column is the label ``churned``, the rest are features (with header).
Writes ``$SM_MODEL_DIR/model.joblib`` (default /opt/ml/model), a
RandomForestClassifier, plus ``$SM_MODEL_DIR/code/inference.py`` (so that the model
artifact also serves on its own, with
SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code; the compiled models point at the source archive) and ``model_info.json``.

Hyperparameters arrive as CLI arguments (``--n_estimators 100 --max_depth 8``).
"""
import argparse
import json
import os
import shutil
import sys

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


#: The channel chain_input_source_step [churn-Preprocessing] gives: <source step>-<channel>.
CHANNEL = "churn-Preprocessing-train"


def default_channel_dir():
    """The training toolkit sets SM_CHANNEL_<NAME upper> for each channel (hyphens kept)."""
    return os.environ.get("SM_CHANNEL_" + CHANNEL.upper(), os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/" + CHANNEL))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="churn training")
    p.add_argument("--n_estimators", type=int, default=100)
    p.add_argument("--max_depth", type=int, default=8)
    p.add_argument("--min_samples_leaf", type=int, default=2)
    p.add_argument("--random_state", type=int, default=0)
    p.add_argument("--train", default=default_channel_dir())
    p.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print("ignoring unknown arguments: %s" % unknown)
    return args


def locate_train_csv(channel_dir):
    for candidate in (os.path.join(channel_dir, "train", "train.csv"), os.path.join(channel_dir, "train.csv")):
        if os.path.isfile(candidate):
            return candidate
    raise SystemExit("no train/train.csv under %s (contents: %s)"
                     % (channel_dir, os.listdir(channel_dir) if os.path.isdir(channel_dir) else "missing"))


def read_train_csv(path):
    """Header line, label column (first) and feature matrix of a numeric CSV file
    (numpy only: no pandas import, the job starts faster)."""
    with open(path) as fh:
        header = [name.strip() for name in fh.readline().strip().split(",")]
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype="float64", ndmin=2)
    if data.shape[1] != len(header) or data.shape[0] == 0:
        raise SystemExit("%s: %d header names for %s values" % (path, len(header), data.shape))
    return header, data[:, 0], data[:, 1:]


def main(argv=None):
    args = parse_args(argv)
    path = locate_train_csv(args.train)
    header, y, x = read_train_csv(path)
    label, features = header[0], header[1:]
    y = y.astype(int)

    model = RandomForestClassifier(
        n_estimators=args.n_estimators,
        max_depth=args.max_depth,
        min_samples_leaf=args.min_samples_leaf,
        random_state=args.random_state,
        n_jobs=1,
    )
    model.fit(x, y)
    train_accuracy = float(model.score(x, y))

    os.makedirs(args.model_dir, exist_ok=True)
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    code_dir = os.path.join(args.model_dir, "code")
    os.makedirs(code_dir, exist_ok=True)
    shutil.copy2(os.path.join(HERE, "inference.py"), os.path.join(code_dir, "inference.py"))
    with open(os.path.join(args.model_dir, "model_info.json"), "w") as fh:
        json.dump({"label": label, "features": features, "rows": int(x.shape[0]),
                   "train_accuracy": train_accuracy,
                   "hyperparameters": {"n_estimators": args.n_estimators, "max_depth": args.max_depth,
                                       "min_samples_leaf": args.min_samples_leaf,
                                       "random_state": args.random_state}}, fh, indent=2)
    print("trained on %d rows x %d features from %s; train accuracy %.4f -> %s"
          % (x.shape[0], x.shape[1], path, train_accuracy, args.model_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
