#!/usr/bin/env python3
"""Builds challenges/fashion-cleaning from the committed fashion-selection files.

The noisy training set is 2,000 rows of fashion-selection's pool (200 per class,
RandomState(2)); 30% of them (600, RandomState(3)) get the label of the class most
easily mistaken for theirs (PARTNER below: T-shirt -> Shirt, Pullover -> Coat, ...), the
systematic kind of noise that a linear model cannot average away. Features are copied as written (the same 64 PCA features), so every
output byte follows from the inputs and the seeds:

  pool.csv.gz   id,label(noisy),f0..f63   public: what participants rank
  clean.csv.gz  id,label(true)            hidden: the evaluator's fixes
  test.csv.gz   fashion-selection's test set, byte for byte

Run with /usr/bin/python3 (numpy) from the repository root.
"""

import csv
import gzip
import io
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import write_bytes  # noqa: E402

SOURCE = "challenges/fashion-selection"
OUT = "challenges/fashion-cleaning"
PER_CLASS = 200
PICK_SEED = 2
NOISE_SEED = 3
NOISE_RATE = 0.30
CLASSES = 10
# 0 T-shirt, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
PARTNER = [6, 3, 4, 0, 2, 7, 0, 9, 5, 7]


def read_rows(path):
    with gzip.open(path, "rt", encoding="ascii", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def gz(inner, lines):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=inner, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(("\n".join(lines) + "\n").encode("ascii"))
    return buf.getvalue()


def main():
    header, rows = read_rows(os.path.join(SOURCE, "pool.csv.gz"))
    labels = np.array([int(r[1]) for r in rows])
    rng = np.random.RandomState(PICK_SEED)
    picked = []
    for c in range(CLASSES):
        members = np.flatnonzero(labels == c)
        picked.extend(rng.choice(members, PER_CLASS, replace=False).tolist())
    picked.sort()
    chosen = [rows[i] for i in picked]
    n = len(chosen)

    noise = np.random.RandomState(NOISE_SEED)
    flipped = np.sort(noise.choice(n, int(round(NOISE_RATE * n)), replace=False))
    noisy = [int(r[1]) for r in chosen]
    for i in flipped:
        noisy[i] = PARTNER[noisy[i]]

    pool_lines = [",".join(header)] + [",".join([r[0], str(noisy[i])] + r[2:]) for i, r in enumerate(chosen)]
    clean_lines = ["id,label"] + ["%s,%s" % (r[0], r[1]) for r in chosen]
    os.makedirs(OUT, exist_ok=True)
    write_bytes(os.path.join(OUT, "pool.csv.gz"), gz("pool.csv", pool_lines), n)
    write_bytes(os.path.join(OUT, "clean.csv.gz"), gz("clean.csv", clean_lines), n)
    shutil.copyfile(os.path.join(SOURCE, "test.csv.gz"), os.path.join(OUT, "test.csv.gz"))
    print("copied %s/test.csv.gz" % SOURCE)
    wrong = sum(1 for i, r in enumerate(chosen) if noisy[i] != int(r[1]))
    print("rows=%d flipped=%d (%.1f%%)" % (n, wrong, 100.0 * wrong / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
