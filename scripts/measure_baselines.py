#!/usr/bin/python3
"""Write baseline submissions for a selection challenge and print its baseline table.

Usage: /usr/bin/python3 scripts/measure_baselines.py challenges/<slug> [--seeds 10] [--no-write]

Reads <dir>/challenge.yaml and the pool/test CSVs exactly as committed (the decimal
strings in the files, not any in-memory floats), then trains the challenge's fixed
model, scikit-learn's LogisticRegression(C, max_iter, tol) with the default lbfgs
solver (multinomial, L2 penalty), on:
  (a) uniformly random selections of budget.maxItems pool rows, seeds 0..N-1
      (numpy.random.RandomState(seed).choice(len(pool), budget, replace=False));
  (b) class-balanced random selections, seeds 0..N-1 (budget // K per class, the
      remainder one each to the first classes in `labels` order; within a class,
      the first rows of numpy.random.RandomState(seed).permutation);
  (c) the whole pool (reference only: it exceeds the budget).
Scores: macro-F1 over the challenge's labels (a class never predicted scores 0) and
accuracy on the test set. Writes <dir>/baselines/random.csv and balanced.csv (seed 0,
header `id`, ids sorted) and prints a markdown table.
"""
import argparse
import csv
import gzip
import os
import sys
import warnings

import numpy as np
import sklearn
import yaml
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score


def read_csv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[0] == "id" and header[1] == "label", header
    ids = [r[0] for r in rows[1:]]
    labels = np.array([r[1] for r in rows[1:]])
    X = np.array([[float(v) for v in r[2:]] for r in rows[1:]], dtype=np.float64)
    return ids, labels, X


def random_selection(n_pool, budget, seed):
    return np.random.RandomState(seed).choice(n_pool, budget, replace=False)


def balanced_selection(y, classes, budget, seed):
    rng = np.random.RandomState(seed)
    k = len(classes)
    chosen = []
    for j, cls in enumerate(classes):
        quota = budget // k + (1 if j < budget % k else 0)
        idx = np.flatnonzero(y == cls)
        if quota > len(idx):
            sys.exit("class %s has only %d pool rows, needs %d" % (cls, len(idx), quota))
        chosen.extend(idx[rng.permutation(len(idx))[:quota]].tolist())
    return np.array(chosen)


class Evaluator:
    def __init__(self, cfg, pool, test):
        self.params = cfg["model"]["params"]
        self.labels = [str(l) for l in cfg["data"]["labels"]]
        self.Xp, self.yp = pool[2], pool[1]
        self.Xt, self.yt = test[2], test[1]
        self.not_converged = 0

    def score(self, sel):
        model = LogisticRegression(C=float(self.params["C"]), max_iter=int(self.params["maxIter"]),
                                   tol=float(self.params.get("tol", 1e-4)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(self.Xp[sel], self.yp[sel])
        if np.max(model.n_iter_) >= int(self.params["maxIter"]):
            self.not_converged += 1
        pred = model.predict(self.Xt)
        f1 = f1_score(self.yt, pred, labels=self.labels, average="macro", zero_division=0)
        return f1, accuracy_score(self.yt, pred)


def write_ids(path, ids):
    with open(path, "w", newline="") as f:
        f.write("id\n" + "".join(i + "\n" for i in sorted(ids)))
    print("wrote %s (%d ids)" % (path, len(ids)), file=sys.stderr)


def mean_std(vals):
    vals = np.asarray(vals)
    return "%.4f ± %.4f" % (vals.mean(), vals.std(ddof=1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("challenge_dir")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--no-write", action="store_true", help="do not (re)write baselines/*.csv")
    args = ap.parse_args(argv)

    with open(os.path.join(args.challenge_dir, "challenge.yaml")) as f:
        cfg = yaml.safe_load(f)
    assert cfg["protocol"] == "selection" and cfg["model"]["kind"] == "logreg", cfg
    assert cfg["metric"]["name"] == "macro_f1", cfg["metric"]
    pool = read_csv(os.path.join(args.challenge_dir, cfg["data"]["pool"]))
    test = read_csv(os.path.join(args.challenge_dir, cfg["data"]["test"]))
    budget = int(cfg["budget"]["maxItems"])
    ev = Evaluator(cfg, pool, test)
    ids = np.array(pool[0])

    seeds = range(args.seeds)
    rand = [ev.score(random_selection(len(ids), budget, s)) for s in seeds]
    bal = [ev.score(balanced_selection(pool[1], ev.labels, budget, s)) for s in seeds]
    whole = ev.score(np.arange(len(ids)))

    if not args.no_write:
        out = os.path.join(args.challenge_dir, "baselines")
        os.makedirs(out, exist_ok=True)
        write_ids(os.path.join(out, "random.csv"), ids[random_selection(len(ids), budget, 0)].tolist())
        write_ids(os.path.join(out, "balanced.csv"),
                  ids[balanced_selection(pool[1], ev.labels, budget, 0)].tolist())

    n = len(seeds)
    print("Baselines for `%s` (budget %d; pool %d rows, test %d rows), measured with scikit-learn %s's "
          "LogisticRegression(C=%s, max_iter=%s, tol=%s) on the committed CSV values; mean ± std (ddof=1) "
          "over seeds 0..%d; macro-F1 is the ranking metric."
          % (cfg["slug"], budget, len(ids), len(test[0]), sklearn.__version__, ev.params["C"],
             ev.params["maxIter"], ev.params.get("tol", 1e-4), n - 1))
    print()
    print("| Selection | Rows | Macro-F1 | Accuracy |")
    print("|---|---:|---:|---:|")
    print("| (a) uniformly random, %d seeds | %d | %s | %s |"
          % (n, budget, mean_std([r[0] for r in rand]), mean_std([r[1] for r in rand])))
    print("| (b) class-balanced random, %d seeds | %d | %s | %s |"
          % (n, budget, mean_std([r[0] for r in bal]), mean_std([r[1] for r in bal])))
    print("| `baselines/random.csv` (= (a), seed 0) | %d | %.4f | %.4f |" % (budget, rand[0][0], rand[0][1]))
    print("| `baselines/balanced.csv` (= (b), seed 0) | %d | %.4f | %.4f |" % (budget, bal[0][0], bal[0][1]))
    print("| (c) whole pool (reference only, over budget) | %d | %.4f | %.4f |" % (len(ids), whole[0], whole[1]))
    if ev.not_converged:
        print()
        print("(%d of %d fits stopped at max_iter=%s before reaching tol, as the fixed model does.)"
              % (ev.not_converged, 2 * n + 1, ev.params["maxIter"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
