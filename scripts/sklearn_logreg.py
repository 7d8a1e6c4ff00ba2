#!/usr/bin/python3
"""Reference run of scikit-learn's LogisticRegression for Sieve's parity tests and benchmarks.

Sieve's fixed `logreg` model must behave like scikit-learn 1.2's
`LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter, tol=tol)`. This script
trains that model on data written by `workers/trainers/testing/sklearn-reference.ts`
and prints one JSON object on stdout.

Run it with a Python that has scikit-learn (Debian: /usr/bin/python3 with the
python3-sklearn package):

    /usr/bin/python3 scripts/sklearn_logreg.py DIR           # meta.json's repeats fits
    /usr/bin/python3 scripts/sklearn_logreg.py DIR --serve   # fits on request

With --serve it reads commands on stdin, one per line: `fit` trains once and answers
{"fit_seconds": s} on one line; `done` (or the end of input) answers with the full
result below. A benchmark can then interleave these fits with its own.

DIR holds
  meta.json    {"n": int, "d": int, "test_n": int, "C": float, "max_iter": int,
                "tol": float, "repeats": int}
  train_x.f64  n*d little-endian float64, row-major
  train_y.i32  n little-endian int32 class labels
  test_x.f64   test_n*d little-endian float64, row-major

Output keys: sklearn_version, classes, coef (rows = classes, or 1 row when binary),
intercept, n_iter, converged, objective (sum of log-losses + ||coef||^2 / (2C), the
quantity scikit-learn 1.2's lbfgs minimizes), fit_seconds (one entry per repeat,
measured around .fit() only) and predictions (for the test rows).
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from scipy.special import logsumexp


def objective(model, x, y, C):
    raw = x @ model.coef_.T + model.intercept_
    if len(model.classes_) == 2:
        z = raw[:, 0]
        pos = (y == model.classes_[1]).astype(np.float64)
        loss = np.logaddexp(0.0, z) - pos * z
    else:
        idx = np.searchsorted(model.classes_, y)
        loss = logsumexp(raw, axis=1) - raw[np.arange(len(y)), idx]
    return float(loss.sum() + 0.5 / C * np.sum(model.coef_ ** 2))


def main(folder, serve=False):
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with open(os.path.join(folder, "meta.json"), encoding="utf-8") as fh:
        meta = json.load(fh)
    n, d, test_n = int(meta["n"]), int(meta["d"]), int(meta["test_n"])
    x = np.fromfile(os.path.join(folder, "train_x.f64"), dtype="<f8").reshape(n, d)
    y = np.fromfile(os.path.join(folder, "train_y.i32"), dtype="<i4")
    test_x = np.fromfile(os.path.join(folder, "test_x.f64"), dtype="<f8").reshape(test_n, d)
    if y.shape[0] != n:
        raise SystemExit(f"train_y.i32 holds {y.shape[0]} labels, meta.json says n={n}")

    fit_seconds = []
    state = {"model": None, "converged": True}

    def fit_once():
        model = LogisticRegression(C=float(meta["C"]), solver="lbfgs",
                                   max_iter=int(meta["max_iter"]), tol=float(meta["tol"]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(x, y)
            fit_seconds.append(time.perf_counter() - start)
        state["model"] = model
        state["converged"] = not any(issubclass(w.category, ConvergenceWarning) for w in caught)

    if serve:
        while True:
            command = sys.stdin.readline().strip()
            if command in ("done", ""):
                break
            if command != "fit":
                raise SystemExit(f"unknown command {command!r}")
            fit_once()
            sys.stdout.write(json.dumps({"fit_seconds": fit_seconds[-1]}) + "\n")
            sys.stdout.flush()
        if state["model"] is None:
            fit_once()
    else:
        for _ in range(max(1, int(meta.get("repeats", 1)))):
            fit_once()
    model, converged = state["model"], state["converged"]

    out = {
        "sklearn_version": sklearn.__version__,
        "classes": [int(c) for c in model.classes_],
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "n_iter": int(model.n_iter_[0]),
        "converged": converged,
        "objective": objective(model, x, y, float(meta["C"])),
        "fit_seconds": fit_seconds,
        "predictions": [int(p) for p in model.predict(test_x)] if test_n > 0 else [],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) not in (1, 2) or (len(args) == 2 and args[1] != "--serve"):
        raise SystemExit("usage: sklearn_logreg.py DIR [--serve]")
    main(args[0], serve=len(args) == 2)
