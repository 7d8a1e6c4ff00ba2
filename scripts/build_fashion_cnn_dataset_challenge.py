#!/usr/bin/python3
"""Build challenges/fashion-cnn-dataset/ from challenges/fashion-dataset/, byte for byte.

The same task as fashion-dataset (upload at most 5,000 labeled 28x28 images), with a
small CNN as the fixed model on the PyTorch runtime. Files, all subsets of
fashion-dataset's, rows kept in their file order:
  test.csv.gz      the first 100 rows of each class of fashion-dataset/test.csv.gz (1,000)
  dev.csv.gz       the first 50 rows of each class of fashion-dataset/dev.csv.gz (500)
  baselines/balanced-1000.csv.gz   fashion-dataset's, unchanged
gzip with mtime 0 and no file name, so the bytes depend only on the rows.

Usage: /usr/bin/python3 scripts/build_fashion_cnn_dataset_challenge.py [--out DIR]
"""
import argparse
import gzip
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "challenges", "fashion-dataset")


def first_per_class(name, per_class):
    with gzip.open(os.path.join(SOURCE, name), "rt", encoding="ascii", newline="") as f:
        lines = f.read().splitlines()
    header, rows = lines[0], lines[1:]
    taken, kept = {}, []
    for row in rows:
        label = row.split(",", 2)[1]
        if taken.get(label, 0) < per_class:
            taken[label] = taken.get(label, 0) + 1
            kept.append(row)
    assert sorted(taken.values()) == [per_class] * 10, (name, taken)
    return ("\n".join([header] + kept) + "\n").encode("ascii")


def write(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(payload)
    print("wrote %s  bytes=%d  sha256=%s" % (path, len(payload), hashlib.sha256(payload).hexdigest()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(HERE, "..", "challenges", "fashion-cnn-dataset"))
    args = parser.parse_args()
    write(os.path.join(args.out, "test.csv.gz"), gzip.compress(first_per_class("test.csv.gz", 100), mtime=0))
    write(os.path.join(args.out, "dev.csv.gz"), gzip.compress(first_per_class("dev.csv.gz", 50), mtime=0))
    with open(os.path.join(SOURCE, "baselines", "balanced-1000.csv.gz"), "rb") as f:
        write(os.path.join(args.out, "baselines", "balanced-1000.csv.gz"), f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
