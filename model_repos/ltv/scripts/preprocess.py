"""ltv preprocessing (SageMaker Processing job, step_type: preprocess).

The ltv model reuses the churn model's prepared customer features and its train/test
split (chain_input_source_step: [churn-Preprocessing]), and adds its own data: the
number of add-on services and the target ``revenue_next_12m``, joined on customer_id.

Inputs:
    <input-dir>/raw/*.csv   own dataFiles (sourceName ``raw``): customer_id,
                            addon_services, revenue_next_12m (exactly one CSV)
    churn output            ``--churn-dir`` / env ``LTV_CHURN_DIR``; default
                            <input-dir>/churn-Preprocessing-input-train; the ``train`` channel of
                            churn-Preprocessing: features.json, train/train.csv,
                            train/customer_ids.csv, test/x_test.csv, test/customer_ids.csv.
                            If neither option nor env var is set and the default does not
                            exist, the one directory under <input-dir> holding features.json
                            and train/train.csv is used.
Output (channel ``train`` -> /opt/ml/processing/output/train):
    features.json, train/train.csv (header; label ``revenue_next_12m`` first),
    train/customer_ids.csv, test/x_test.csv (no header), test/y_test.csv (no header),
    test/customer_ids.csv -- the same layout as churn's, the same customers in each part.

Paths: ``--input-dir`` / env ``PREPROCESS_INPUT_DIR`` (default /opt/ml/processing/input),
``--output-dir`` / env ``PREPROCESS_OUTPUT_DIR`` (default /opt/ml/processing/output),
``--channel`` / env ``PREPROCESS_CHANNEL`` (default ``train``).
"""
import argparse
import glob
import json
import os
import sys

import pandas as pd

LABEL = "revenue_next_12m"
ID_COLUMN = "customer_id"
OWN_FEATURES = ["addon_services"]
CHURN_DEFAULT_NAME = "churn-Preprocessing-input-train"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ltv preprocessing")
    p.add_argument("--input-dir", default=os.environ.get("PREPROCESS_INPUT_DIR", "/opt/ml/processing/input"))
    p.add_argument("--output-dir", default=os.environ.get("PREPROCESS_OUTPUT_DIR", "/opt/ml/processing/output"))
    p.add_argument("--channel", default=os.environ.get("PREPROCESS_CHANNEL", "train"))
    p.add_argument("--source-name", default=os.environ.get("PREPROCESS_SOURCE_NAME", "raw"))
    p.add_argument("--churn-dir", default=os.environ.get("LTV_CHURN_DIR"))
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


def is_churn_output(directory):
    return (os.path.isfile(os.path.join(directory, "features.json"))
            and os.path.isfile(os.path.join(directory, "train", "train.csv")))


def resolve_churn_dir(args):
    if args.churn_dir:
        return args.churn_dir
    default = os.path.join(args.input_dir, CHURN_DEFAULT_NAME)
    if os.path.isdir(default):
        return default
    candidates = sorted(d for d in glob.glob(os.path.join(args.input_dir, "*")) if os.path.isdir(d))
    matches = [d for d in candidates if is_churn_output(d)]
    if len(matches) == 1:
        print("churn output: %s not found, using %s" % (default, matches[0]))
        return matches[0]
    raise SystemExit("cannot locate churn-Preprocessing's output: %s does not exist and %d candidates "
                     "under %s (%s); is churn-Preprocessing in chain_input_source_step?"
                     % (default, len(matches), args.input_dir, [os.path.basename(d) for d in candidates]))


def load_churn_part(churn_dir, part, features):
    ids = pd.read_csv(os.path.join(churn_dir, part, "customer_ids.csv"))[ID_COLUMN]
    if part == "train":
        x = pd.read_csv(os.path.join(churn_dir, "train", "train.csv"))[features]
    else:
        x = pd.read_csv(os.path.join(churn_dir, "test", "x_test.csv"), header=None, names=features)
    if len(ids) != len(x):
        raise SystemExit("churn %s part: %d ids for %d rows" % (part, len(ids), len(x)))
    x.insert(0, ID_COLUMN, ids.values)
    return x


def main(argv=None):
    args = parse_args(argv)
    churn_dir = resolve_churn_dir(args)
    if not is_churn_output(churn_dir):
        raise SystemExit("%s is not a churn preprocessing output (features.json, train/train.csv)" % churn_dir)
    with open(os.path.join(churn_dir, "features.json")) as fh:
        churn_features = json.load(fh)["features"]

    raw_path = find_single_csv(os.path.join(args.input_dir, args.source_name))
    own = pd.read_csv(raw_path)
    missing = [c for c in [ID_COLUMN, LABEL] + OWN_FEATURES if c not in own.columns]
    if missing:
        raise SystemExit("%s lacks columns %s" % (raw_path, missing))
    own = own.drop_duplicates(subset=[ID_COLUMN]).dropna(subset=[LABEL])

    base = os.path.join(args.output_dir, args.channel)
    features = churn_features + OWN_FEATURES
    counts = {}
    for part in ("train", "test"):
        churn_part = load_churn_part(churn_dir, part, churn_features)
        # inner join keeps churn's row order and split; customers without revenue are dropped
        joined = churn_part.merge(own, on=ID_COLUMN, how="inner", validate="one_to_one")
        if joined.empty:
            raise SystemExit("no %s customer of churn's output appears in %s" % (part, raw_path))
        joined[OWN_FEATURES] = joined[OWN_FEATURES].fillna(0)
        os.makedirs(os.path.join(base, part), exist_ok=True)
        joined[[ID_COLUMN]].to_csv(os.path.join(base, part, "customer_ids.csv"), index=False)
        if part == "train":
            joined[[LABEL] + features].to_csv(os.path.join(base, "train", "train.csv"), index=False)
        else:
            joined[features].to_csv(os.path.join(base, "test", "x_test.csv"), index=False, header=False)
            joined[[LABEL]].to_csv(os.path.join(base, "test", "y_test.csv"), index=False, header=False)
        counts[part] = len(joined)
    with open(os.path.join(base, "features.json"), "w") as fh:
        json.dump({"label": LABEL, "id_column": ID_COLUMN, "features": features,
                   "upstream": {"churn_features": churn_features}}, fh, indent=2)
    print("joined churn features from %s with %s: train %d, test %d rows, %d features -> %s"
          % (churn_dir, raw_path, counts["train"], counts["test"], len(features), base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
