#!/usr/bin/python3
"""Build challenges/fashion-dataset/ from the Fashion-MNIST IDX files.

A "bring your own data" challenge (DCAI-2021, DataComp-BYOD style): participants upload
at most 5,000 labeled 28x28 grayscale images; a fixed logistic regression on pixel/255 is
trained on them and scored by accuracy on a hidden test set drawn from the TEST split.

Source: Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, MIT licence), the four IDX files of
the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/).

Outputs (gzip level 9, mtime 0, fixed inner names; byte-identical on every run):
  test.csv.gz      hidden: fashion-selection's 2,000 test images (200 per class,
                   RandomState(1)), ids "te-NNNNN" = index in t10k-images-idx3-ubyte.
  dev.csv.gz       public: fashion-selection's 1,000 dev images (100 per class from the
                   other test images, RandomState(4)), same ids.
  starter.csv.gz   public: 2,000 training images (200 per class, RandomState(STARTER_SEED)),
                   ids "tr-NNNNN" = index in train-images-idx3-ubyte; 20% of the rows
                   (400, RandomState(NOISE_SEED)) carry the label of the class most easily
                   mistaken for theirs (PARTNER, as in build_fashion_cleaning_challenge.py).
  header id,label,p0..p783; label = class index "0".."9"; pixels = raw integers 0..255
  (IDX order, row-major 28x28).

  baselines/*.csv.gz  submission files, header label,p0..p783 (no id column):
    starter.csv.gz        the starter set as is (noisy labels), same row order
    random-5000.csv.gz    5,000 training images, RandomState(RANDOM_SEED).choice, true labels
    balanced-1000.csv.gz  100 per class, RandomState(BALANCED_SEED), true labels
    contaminated.csv.gz   50 rows: 47 training images (RandomState(CONTAM_SEED), true
                          labels) and 3 exact copies of hidden test images, to show the
                          server's contamination check (422)
  baselines/sample-images.zip  20 training images (2 per class, RandomState(SAMPLE_SEED))
                   as 8-bit grayscale PNGs, <label>/tr-NNNNN.png: the zip upload layout.

The dev and test selections are recomputed with build_fashion_challenge.py's own function
and seeds and checked against the committed fashion-selection files (ids and labels).
No training image of Fashion-MNIST equals a test image pixel for pixel (checked here), so
none of the training-image files trips the contamination check.

Usage: /usr/bin/python3 scripts/build_fashion_dataset_challenge.py [--source DIR] [--out DIR]
"""
import argparse
import csv
import gzip
import io
import os
import struct
import sys
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import write_bytes  # noqa: E402
from build_fashion_challenge import (  # noqa: E402
    DEV_PER_CLASS, DEV_SEED, TEST_PER_CLASS, TEST_SEED, read_idx, stratified_fixed)

STARTER_SEED = 5
STARTER_PER_CLASS = 200
NOISE_SEED = 6
NOISE_RATE = 0.20
RANDOM_SEED = 7
RANDOM_N = 5000
BALANCED_SEED = 8
BALANCED_PER_CLASS = 100
CONTAM_SEED = 9
CONTAM_ROWS = 50
CONTAM_COPIES = 3
SAMPLE_SEED = 10
SAMPLE_PER_CLASS = 2
# 0 T-shirt, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
PARTNER = [6, 3, 4, 0, 2, 7, 0, 9, 5, 7]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "challenges", "fashion-dataset")
SELECTION = os.path.join(REPO, "challenges", "fashion-selection")


def gz_lines(inner_name, lines):
    data = ("\n".join(lines) + "\n").encode("ascii")
    buf = io.BytesIO()
    with gzip.GzipFile(filename=inner_name, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def pixel_csv_gz(inner_name, ids, labels, pixels):
    """`id,label,p0..p783` (ids given) or `label,p0..p783` (ids None), integer pixels."""
    cols = ["p%d" % k for k in range(pixels.shape[1])]
    lines = [",".join((["id"] if ids is not None else []) + ["label"] + cols)]
    for r in range(len(labels)):
        row = ",".join(map(str, pixels[r].tolist()))
        head = (ids[r] + ",") if ids is not None else ""
        lines.append(head + str(int(labels[r])) + "," + row)
    return gz_lines(inner_name, lines)


def png_gray8(img):
    """A deterministic 8-bit grayscale PNG (no ancillary chunks, filter 0, zlib level 9)."""
    h, w = img.shape

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + img[r].astype(np.uint8).tobytes() for r in range(h))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def zip_bytes(files):
    """files: {name: bytes}; entries in sorted name order, fixed date, Unix 0644, deflate 9."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            z.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()


def committed_ids(path):
    """(id, label) pairs of a committed fashion-selection CSV, or None when it is absent."""
    if not os.path.exists(path):
        return None
    with gzip.open(path, "rt", encoding="ascii", newline="") as f:
        r = csv.reader(f)
        next(r)
        return [(row[0], row[1]) for row in r]


def stratified_choice(labels, per_class, seed):
    rng = np.random.RandomState(seed)
    chosen = []
    for c in range(10):
        chosen.extend(rng.choice(np.flatnonzero(labels == c), per_class, replace=False).tolist())
    return sorted(chosen)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    tr_x = read_idx(os.path.join(args.source, "train-images-idx3-ubyte.gz")).reshape(60000, 784)
    tr_y = read_idx(os.path.join(args.source, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    te_x = read_idx(os.path.join(args.source, "t10k-images-idx3-ubyte.gz")).reshape(10000, 784)
    te_y = read_idx(os.path.join(args.source, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    assert tr_y.shape == (60000,) and te_y.shape == (10000,)

    # The same hidden test set and public dev split as fashion-selection.
    test_idx = stratified_fixed(te_y, TEST_PER_CLASS, TEST_SEED)
    rest = np.setdiff1d(np.arange(len(te_y)), np.array(test_idx))
    dev_idx = sorted(rest[stratified_fixed(te_y[rest], DEV_PER_CLASS, DEV_SEED)].tolist())
    for name, idx in (("test.csv.gz", test_idx), ("dev.csv.gz", dev_idx)):
        want = [("te-%05d" % i, str(int(te_y[i]))) for i in idx]
        have = committed_ids(os.path.join(SELECTION, name))
        if have is None:
            print("note: %s/%s not found; not cross-checked" % (SELECTION, name))
        elif have != want:
            sys.exit("%s: recomputed ids/labels differ from fashion-selection's" % name)
        else:
            print("%s: same %d ids and labels as fashion-selection/%s" % (name, len(want), name))

    # No training image equals any test image exactly (so the training-derived files are clean).
    test_keys = {te_x[i].tobytes(): i for i in test_idx}
    all_test = {te_x[i].tobytes() for i in range(len(te_x))}
    assert len(test_keys) == len(test_idx)
    assert not any(tr_x[i].tobytes() in all_test for i in range(len(tr_x))), "a training image equals a test image"
    assert not any(te_x[i].tobytes() in test_keys for i in dev_idx), "a dev image equals a hidden test image"

    os.makedirs(os.path.join(args.out, "baselines"), exist_ok=True)
    out = lambda *p: os.path.join(args.out, *p)  # noqa: E731

    write_bytes(out("test.csv.gz"), pixel_csv_gz("test.csv", ["te-%05d" % i for i in test_idx],
                                                 te_y[test_idx], te_x[test_idx]), len(test_idx))
    write_bytes(out("dev.csv.gz"), pixel_csv_gz("dev.csv", ["te-%05d" % i for i in dev_idx],
                                                te_y[dev_idx], te_x[dev_idx]), len(dev_idx))

    # Starter set with systematic label noise.
    starter_idx = stratified_choice(tr_y, STARTER_PER_CLASS, STARTER_SEED)
    n = len(starter_idx)
    flipped = np.sort(np.random.RandomState(NOISE_SEED).choice(n, int(round(NOISE_RATE * n)), replace=False))
    noisy = tr_y[starter_idx].copy()
    for r in flipped:
        noisy[r] = PARTNER[noisy[r]]
    wrong = int((noisy != tr_y[starter_idx]).sum())
    per_class = [int(((tr_y[starter_idx] == c) & (noisy != tr_y[starter_idx])).sum()) for c in range(10)]
    print("starter: rows=%d flipped=%d (%.1f%%); flipped per true class 0..9: %s"
          % (n, wrong, 100.0 * wrong / n, per_class))
    write_bytes(out("starter.csv.gz"), pixel_csv_gz("starter.csv", ["tr-%05d" % i for i in starter_idx],
                                                    noisy, tr_x[starter_idx]), n)

    # Baseline submissions: label,p0..p783.
    write_bytes(out("baselines", "starter.csv.gz"), pixel_csv_gz("starter.csv", None, noisy, tr_x[starter_idx]), n)
    rand_idx = sorted(np.random.RandomState(RANDOM_SEED).choice(len(tr_y), RANDOM_N, replace=False).tolist())
    write_bytes(out("baselines", "random-5000.csv.gz"),
                pixel_csv_gz("random-5000.csv", None, tr_y[rand_idx], tr_x[rand_idx]), len(rand_idx))
    bal_idx = stratified_choice(tr_y, BALANCED_PER_CLASS, BALANCED_SEED)
    write_bytes(out("baselines", "balanced-1000.csv.gz"),
                pixel_csv_gz("balanced-1000.csv", None, tr_y[bal_idx], tr_x[bal_idx]), len(bal_idx))

    # Contaminated: 47 training rows + 3 copies of hidden test images at seeded positions.
    rng = np.random.RandomState(CONTAM_SEED)
    clean_idx = sorted(rng.choice(len(tr_y), CONTAM_ROWS - CONTAM_COPIES, replace=False).tolist())
    copies = sorted(rng.choice(np.array(test_idx), CONTAM_COPIES, replace=False).tolist())
    positions = sorted(rng.choice(CONTAM_ROWS, CONTAM_COPIES, replace=False).tolist())
    rows_x = np.zeros((CONTAM_ROWS, 784), dtype=np.uint8)
    rows_y = np.zeros(CONTAM_ROWS, dtype=np.int64)
    src = iter(clean_idx)
    for r in range(CONTAM_ROWS):
        if r in positions:
            t = copies[positions.index(r)]
            rows_x[r], rows_y[r] = te_x[t], te_y[t]
        else:
            i = next(src)
            rows_x[r], rows_y[r] = tr_x[i], tr_y[i]
    hits = [(r, test_keys[rows_x[r].tobytes()]) for r in range(CONTAM_ROWS) if rows_x[r].tobytes() in test_keys]
    assert [h[0] for h in hits] == positions and len(hits) == CONTAM_COPIES
    for r, t in hits:
        print("contaminated: data row %d (file line %d, header = line 1) = hidden test image te-%05d (label %d)"
              % (r + 1, r + 2, t, te_y[t]))
    write_bytes(out("baselines", "contaminated.csv.gz"),
                pixel_csv_gz("contaminated.csv", None, rows_y, rows_x), CONTAM_ROWS)

    # A tiny zip in the upload layout: <label>/<id>.png.
    sample_idx = stratified_choice(tr_y, SAMPLE_PER_CLASS, SAMPLE_SEED)
    files = {"%d/tr-%05d.png" % (tr_y[i], i): png_gray8(tr_x[i].reshape(28, 28)) for i in sample_idx}
    write_bytes(out("baselines", "sample-images.zip"), zip_bytes(files), len(files))

    total = 0
    for root, _, names in os.walk(args.out):
        for nm in names:
            total += os.path.getsize(os.path.join(root, nm))
    print("bundle size (all files under %s): %d bytes" % (args.out, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
