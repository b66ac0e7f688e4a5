"""Regenerate the small data sets shipped with the example model repositories.

    python model_repos/generate_data.py            # (re)write the CSV files
    python model_repos/generate_data.py --check    # exit 1 if the shipped files differ

Both files describe the same synthetic telecom customers (fixed seed, numpy only):

* ``churn/data/customers.csv``: one row per customer with its features and the
  ``churned`` label (binary classification). About 3 % of ``monthly_charges`` are
  missing on purpose, so that the preprocessing step has something to impute.
* ``ltv/data/revenue.csv``: the same customer ids with the number of add-on services
  and ``revenue_next_12m``, the revenue the customer brings in over the next year
  (regression target). The ltv model takes its customer features from the churn
  model's preprocessing output, so it only ships what churn does not know.
"""
import argparse
import io
import os
import sys

import numpy as np
import pandas as pd

SEED = 20240611
N_CUSTOMERS = 1200
HERE = os.path.dirname(os.path.abspath(__file__))
CHURN_CSV = os.path.join(HERE, "churn", "data", "customers.csv")
LTV_CSV = os.path.join(HERE, "ltv", "data", "revenue.csv")


def build():
    rng = np.random.default_rng(SEED)
    n = N_CUSTOMERS
    customer_id = np.arange(100001, 100001 + n)
    tenure = rng.integers(1, 73, n)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], size=n, p=[0.5, 0.3, 0.2])
    monthly = np.round(np.clip(rng.normal(65.0, 22.0, n), 18.0, 120.0), 2)
    support_calls = rng.poisson(1.5, n)
    has_fiber = (rng.random(n) < 0.45).astype(int)
    autopay = (rng.random(n) < 0.5).astype(int)
    age = rng.integers(18, 81, n)
    addons = rng.integers(0, 5, n)

    contract_effect = np.select(
        [contract == "month-to-month", contract == "one-year"], [2.0, -0.2], default=-2.2
    )
    logit = (
        -0.4
        - 0.07 * tenure
        + 0.045 * (monthly - 65.0)
        + 0.9 * support_calls
        + contract_effect
        + 0.8 * has_fiber
        - 1.0 * autopay
        - 0.01 * (age - 45)
    )
    p_churn = 1.0 / (1.0 + np.exp(-1.6 * logit))
    churned = (rng.random(n) < p_churn).astype(int)

    # expected months retained over the next year drives next-year revenue
    months_retained = 12.0 * (1.0 - 0.75 * p_churn)
    revenue = months_retained * (monthly + 9.5 * addons) + rng.normal(0.0, 35.0, n)
    revenue = np.round(np.clip(revenue, 0.0, None), 2)

    monthly_with_gaps = monthly.astype(float).copy()
    monthly_with_gaps[rng.random(n) < 0.03] = np.nan

    customers = pd.DataFrame(
        {
            "customer_id": customer_id,
            "tenure_months": tenure,
            "contract": contract,
            "monthly_charges": monthly_with_gaps,
            "support_calls": support_calls,
            "has_fiber": has_fiber,
            "autopay": autopay,
            "age": age,
            "churned": churned,
        }
    )
    # the revenue file is shipped in another order than the customer file: the ltv
    # preprocessing has to join on customer_id, not rely on row order
    order = rng.permutation(n)
    revenue_df = pd.DataFrame(
        {
            "customer_id": customer_id[order],
            "addon_services": addons[order],
            "revenue_next_12m": revenue[order],
        }
    )
    return customers, revenue_df


def to_csv_text(df):
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", float_format="%.2f")
    return buf.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    customers, revenue = build()
    stale = []
    for path, df in ((CHURN_CSV, customers), (LTV_CSV, revenue)):
        text = to_csv_text(df)
        if args.check:
            current = None
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    current = fh.read()
            if current != text:
                stale.append(path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            print("wrote %s (%d rows, %d bytes)" % (path, len(df), len(text)))
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
