#!/usr/bin/python3
"""Build challenges/digits-selection/{pool,test}.csv.gz from scikit-learn's digits.

Source: the UCI "Optical Recognition of Handwritten Digits" test set (1797 8x8
images, pixel counts 0..16) as packaged by scikit-learn
(sklearn/datasets/data/digits.csv.gz, BSD-3-Clause). Each row of that file is 64
pixel values followed by the label.

Output (byte-identical on every run and machine):
  pool.csv.gz  1297 rows, test.csv.gz  500 rows
  header: id,label,f0..f63; id = "d" + 4-digit row index in digits.csv.gz;
  label = the digit "0".."9"; f_k = pixel_k / 16 written with "%.4f" (exact).
The test set is a stratified sample of 500 rows (per-class quotas proportional to
the class counts, largest remainder, ties to the smaller class), drawn with
numpy.random.RandomState(SEED) (the legacy generator, whose stream numpy keeps
fixed); the pool is every other row. Rows are written in id order.

Usage: /usr/bin/python3 scripts/build_digits_challenge.py [--source PATH] [--out DIR]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import csv_gz_bytes, write_bytes  # noqa: E402

SEED = 0
TEST_SIZE = 500
DEFAULT_SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "challenges", "digits-selection")


def stratified_quotas(labels, n):
    """Per-class sample sizes proportional to class counts (largest remainder)."""
    classes, counts = np.unique(labels, return_counts=True)
    total = int(counts.sum())
    exact = [n * int(c) for c in counts]  # quota * total, kept integral
    quotas = [e // total for e in exact]
    rema = [e % total for e in exact]
    left = n - sum(quotas)
    # largest remainder first; ties go to the class that sorts first
    order = sorted(range(len(classes)), key=lambda i: (-rema[i], i))
    for i in order[:left]:
        quotas[i] += 1
    return dict(zip(classes.tolist(), quotas))


def stratified_sample(labels, n, seed):
    """Indices (sorted) of a stratified sample of size n, seeded."""
    rng = np.random.RandomState(seed)
    quotas = stratified_quotas(labels, n)
    chosen = []
    for cls in sorted(quotas):
        idx = np.flatnonzero(labels == cls)
        perm = rng.permutation(len(idx))
        chosen.extend(idx[perm[: quotas[cls]]].tolist())
    return sorted(chosen)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    raw = np.loadtxt(args.source, delimiter=",")
    assert raw.shape == (1797, 65), raw.shape
    pixels = raw[:, :64].astype(np.int64)
    labels = raw[:, 64].astype(np.int64)
    assert np.array_equal(raw[:, :64], pixels) and pixels.min() >= 0 and pixels.max() <= 16
    feats = pixels / 16.0  # multiples of 0.0625: exact with 4 decimals

    test_idx = stratified_sample(labels, TEST_SIZE, SEED)
    test_set = set(test_idx)
    pool_idx = [i for i in range(len(labels)) if i not in test_set]

    os.makedirs(args.out, exist_ok=True)
    for name, idx in (("pool.csv.gz", pool_idx), ("test.csv.gz", test_idx)):
        ids = ["d%04d" % i for i in idx]
        labs = [str(int(labels[i])) for i in idx]
        write_bytes(os.path.join(args.out, name), csv_gz_bytes(name[:-3], ids, labs, feats[idx]), len(ids))
        counts = np.bincount(labels[idx], minlength=10)
        print("  class counts:", " ".join("%d:%d" % (c, counts[c]) for c in range(10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
