#!/usr/bin/env python3
"""Baselines for a cleaning challenge, scored exactly as Sieve scores them.

  /usr/bin/python3 scripts/measure_cleaning_baselines.py challenges/fashion-cleaning [--no-write]

Orders: random (seeds 0-4; seed 0 is written to baselines/random.csv), loss-ranked (the
fixed model's out-of-fold probability of each row's noisy label, 5 stratified folds,
least likely first; written to baselines/loss-ranked.csv), and the oracle (every wrong
label first).
Score: checkpoints c_j = floor(j*N/steps); the smallest c/N whose test accuracy is
>= targetRatio x the fully cleaned accuracy, accuracies unrounded.
"""

import argparse
import csv
import gzip
import os
import sys
import warnings

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

warnings.filterwarnings("ignore")


def read(path):
    with gzip.open(path, "rt", encoding="ascii", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    ids = [r[0] for r in body]
    y = np.array([int(r[1]) for r in body])
    x = np.array([[float(v) for v in r[2:]] for r in body]) if len(header) > 2 else None
    return ids, y, x


def fit_predict(spec, x, y, xt):
    p = spec["model"]["params"]
    m = LogisticRegression(C=p["C"], max_iter=p["maxIter"], tol=p["tol"])
    m.fit(x, y)
    return m


def score(spec, x, noisy, clean, xt, yt, order):
    n = len(noisy)
    steps = spec["cleaning"]["steps"]
    checkpoints = sorted(set((j * n) // steps for j in range(steps + 1)))
    curve = []
    for c in checkpoints:
        y = noisy.copy()
        y[order[:c]] = clean[order[:c]]
        acc = float((fit_predict(spec, x, y, xt).predict(xt) == yt).mean())
        curve.append((c, acc))
    target = spec["cleaning"]["targetRatio"] * curve[-1][1]
    return next(c / n for c, a in curve if a >= target), curve


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("challenge")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    spec = yaml.safe_load(open(os.path.join(args.challenge, "challenge.yaml")))
    ids, noisy, x = read(os.path.join(args.challenge, spec["data"]["pool"]))
    _, clean, _ = read(os.path.join(args.challenge, spec["data"]["clean"]))
    _, yt, xt = read(os.path.join(args.challenge, spec["data"]["test"]))
    n = len(ids)

    orders = {}
    for seed in range(5):
        orders["random (seed %d)" % seed] = np.random.RandomState(seed).permutation(n)
    # Out-of-fold probabilities (5 folds), so that no row's own noisy label vouches for it.
    p = spec["model"]["params"]
    proba = cross_val_predict(LogisticRegression(C=p["C"], max_iter=p["maxIter"], tol=p["tol"]), x, noisy,
                              cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
    p_given = proba[np.arange(n), noisy]
    orders["loss-ranked"] = np.argsort(p_given, kind="stable")
    wrong = np.flatnonzero(noisy != clean)
    orders["oracle (wrong labels first)"] = np.concatenate([wrong, np.flatnonzero(noisy == clean)])

    results = {}
    for name, order in orders.items():
        s, curve = score(spec, x, noisy, clean, xt, yt, order)
        results[name] = (s, curve)
        print("%-30s fraction_of_fixes=%.2f  noisy acc=%.4f  clean acc=%.4f" % (name, s, curve[0][1], curve[-1][1]), flush=True)
    rnd = np.array([results["random (seed %d)" % k][0] for k in range(5)])
    print()
    print("| order | fraction of fixes (lower is better) |")
    print("|---|---:|")
    print("| random, 5 seeds | %.3f ± %.3f |" % (rnd.mean(), rnd.std(ddof=1)))
    print("| loss-ranked (`baselines/loss-ranked.csv`) | %.2f |" % results["loss-ranked"][0])
    print("| oracle: every wrong label first (not knowable) | %.2f |" % results["oracle (wrong labels first)"][0])
    print("| `baselines/random.csv` (random, seed 0) | %.2f |" % results["random (seed 0)"][0])

    if not args.no_write:
        os.makedirs(os.path.join(args.challenge, "baselines"), exist_ok=True)
        for name, fname in (("random (seed 0)", "random.csv"), ("loss-ranked", "loss-ranked.csv")):
            with open(os.path.join(args.challenge, "baselines", fname), "w") as f:
                f.write("id\n" + "".join(ids[i] + "\n" for i in orders[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
