"""churn preprocessing (SageMaker Processing job, step_type: preprocess).

Input  (dataFiles sourceName ``raw``):
    <input-dir>/raw/*.csv      the customer table (exactly one CSV; the object name
                               does not matter, an uploaded asset may be renamed)
Output (channel ``train`` -> /opt/ml/processing/output/train, uploaded to S3):
    <output-dir>/train/features.json           feature order + label name
    <output-dir>/train/train/train.csv         header; label ``churned`` first, then features
    <output-dir>/train/train/customer_ids.csv  header ``customer_id``; row-aligned with train.csv
    <output-dir>/train/test/x_test.csv         features only, no header (batch transform input)
    <output-dir>/train/test/y_test.csv         label only, no header, row-aligned with x_test.csv
    <output-dir>/train/test/customer_ids.csv   header ``customer_id``; row-aligned with x_test.csv

Paths: ``--input-dir`` / env ``PREPROCESS_INPUT_DIR`` (default /opt/ml/processing/input),
``--output-dir`` / env ``PREPROCESS_OUTPUT_DIR`` (default /opt/ml/processing/output),
``--channel`` / env ``PREPROCESS_CHANNEL`` (default ``train``), ``--source-name`` (default ``raw``).
The split is stratified and deterministic (``--test-size`` 0.25, ``--random-state`` 42);
it is done with numpy (no scikit-learn import, which keeps the job start fast).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import pandas as pd

LABEL = "churned"
ID_COLUMN = "customer_id"
CONTRACTS = ["month-to-month", "one-year", "two-year"]
NUMERIC = ["tenure_months", "monthly_charges", "support_calls", "has_fiber", "autopay", "age"]
REQUIRED = [ID_COLUMN, "contract", LABEL] + NUMERIC


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="churn preprocessing")
    p.add_argument("--input-dir", default=os.environ.get("PREPROCESS_INPUT_DIR", "/opt/ml/processing/input"))
    p.add_argument("--output-dir", default=os.environ.get("PREPROCESS_OUTPUT_DIR", "/opt/ml/processing/output"))
    p.add_argument("--channel", default=os.environ.get("PREPROCESS_CHANNEL", "train"))
    p.add_argument("--source-name", default=os.environ.get("PREPROCESS_SOURCE_NAME", "raw"))
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument("--random-state", type=int, default=42)
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print("ignoring unknown arguments: %s" % unknown)
    return args


def find_single_csv(directory):
    files = sorted(glob.glob(os.path.join(directory, "**", "*.csv"), recursive=True))
    if len(files) != 1:
        listing = os.listdir(directory) if os.path.isdir(directory) else "(missing)"
        raise SystemExit("expected exactly one CSV under %s, found %d: %s" % (directory, len(files), listing))
    return files[0]


def stratified_test_mask(labels, test_size, random_state):
    """Boolean mask of the test rows: round(n * test_size) rows, each class in proportion
    (largest remainder), chosen at random within the class with a fixed seed."""
    labels = np.asarray(labels)
    rng = np.random.RandomState(random_state)
    classes = sorted(set(labels.tolist()))
    members = [np.flatnonzero(labels == c) for c in classes]
    n_test = int(round(len(labels) * test_size))
    exact = [len(m) * n_test / float(len(labels)) for m in members]
    counts = [int(np.floor(e)) for e in exact]
    by_remainder = sorted(range(len(classes)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: n_test - sum(counts)]:
        counts[i] += 1
    mask = np.zeros(len(labels), dtype=bool)
    for idx, count in zip(members, counts):
        mask[rng.permutation(idx)[:count]] = True
    return mask


def build_features(df, monthly_median):
    """Turn the raw customer rows into the numeric model matrix (fixed column order)."""
    out = pd.DataFrame(index=df.index)
    for col in NUMERIC:
        out[col] = pd.to_numeric(df[col], errors="coerce")
    out["monthly_charges"] = out["monthly_charges"].fillna(monthly_median)
    for col in NUMERIC:
        if out[col].isna().any():
            out[col] = out[col].fillna(0)
    contract = df["contract"].astype(str).str.strip().str.lower()
    unknown = sorted(set(contract) - set(CONTRACTS))
    if unknown:
        raise SystemExit("unknown contract values: %s" % unknown)
    for name in CONTRACTS:
        out["contract_" + name.replace("-", "_")] = (contract == name).astype(int)
    return out


def main(argv=None):
    args = parse_args(argv)
    raw_path = find_single_csv(os.path.join(args.input_dir, args.source_name))
    df = pd.read_csv(raw_path)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise SystemExit("%s lacks columns %s" % (raw_path, missing))
    df = df.dropna(subset=[LABEL]).drop_duplicates(subset=[ID_COLUMN]).reset_index(drop=True)
    df[LABEL] = df[LABEL].astype(int)

    test_mask = stratified_test_mask(df[LABEL].values, args.test_size, args.random_state)
    train_df, test_df = df[~test_mask], df[test_mask]
    # impute with statistics of the training part only
    monthly_median = float(pd.to_numeric(train_df["monthly_charges"], errors="coerce").median())
    x_train = build_features(train_df, monthly_median)
    x_test = build_features(test_df, monthly_median)
    features = list(x_train.columns)

    base = os.path.join(args.output_dir, args.channel)
    for sub in ("train", "test"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)

    train_out = pd.concat([train_df[LABEL].rename(LABEL), x_train], axis=1)
    train_out.to_csv(os.path.join(base, "train", "train.csv"), index=False)
    train_df[[ID_COLUMN]].to_csv(os.path.join(base, "train", "customer_ids.csv"), index=False)
    x_test.to_csv(os.path.join(base, "test", "x_test.csv"), index=False, header=False)
    test_df[[LABEL]].to_csv(os.path.join(base, "test", "y_test.csv"), index=False, header=False)
    test_df[[ID_COLUMN]].to_csv(os.path.join(base, "test", "customer_ids.csv"), index=False)
    with open(os.path.join(base, "features.json"), "w") as fh:
        json.dump(
            {"label": LABEL, "id_column": ID_COLUMN, "features": features,
             "imputation": {"monthly_charges": monthly_median}},
            fh, indent=2,
        )
    print("read %s: %d rows -> train %d, test %d, %d features -> %s"
          % (raw_path, len(df), len(train_df), len(test_df), len(features), base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
