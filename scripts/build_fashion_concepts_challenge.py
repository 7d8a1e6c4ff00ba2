#!/usr/bin/python3
"""Build challenges/fashion-concepts/ (three one-vs-rest selection tasks) from Fashion-MNIST.

The pool: 5,000 training images that are not in fashion-selection's pool, 500 per class:
the concepts reserve of scripts/fashion_features.py (`unused_split`: per class, the first
500 unused images in a RandomState(5) order; fashion-acquisition's sellers never use them).
Features: fashion-selection's fixed 64-component projection, byte for byte. The test and
dev sets are fashion-selection's test.csv.gz and dev.csv.gz, with only the label column
rewritten.

For every concept (TASKS below) the three files hold the same rows, ids and feature
strings; only the label differs: "yes" when the image's class is in the concept, else "no".
  tasks/<name>/pool.csv.gz  5,000 rows, ids "tr-NNNNN" (training index), in id order
  tasks/<name>/test.csv.gz  2,000 rows (hidden), ids "te-NNNNN"
  tasks/<name>/dev.csv.gz   1,000 rows (public)
  baselines/random.zip      <task>.csv for every task: 60 uniformly random pool ids
                            (one numpy.random.RandomState(0), tasks in TASKS order)
  baselines/balanced.zip    30 "yes" and 30 "no" pool ids per task (RandomState(1))
Zips: members sorted by name, date_time 1980-01-01 00:00:00, ZIP_DEFLATED (level 9),
Unix permissions 0644, so their bytes are the same on every run.

Usage: /usr/bin/python3 scripts/build_fashion_concepts_challenge.py [--source DIR] [--out DIR]
"""
import argparse
import gzip
import io
import os
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import csv_gz_bytes, write_bytes  # noqa: E402
from fashion_features import (DEFAULT_SOURCE, REPO, SELECTION, Projector, check_selection_pool,  # noqa: E402
                              load_training, read_csv_rows, unused_split)

DEFAULT_OUT = os.path.join(REPO, "challenges", "fashion-concepts")
# 0 T-shirt, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
TASKS = [("footwear", (5, 7, 9)), ("tops", (0, 2, 4, 6)), ("bag", (8,))]
BUDGET = 60
RANDOM_SEED = 0
BALANCED_SEED = 1


def yes_no(label, classes):
    return "yes" if int(label) in classes else "no"


def gz(inner, lines):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=inner, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(("\n".join(lines) + "\n").encode("ascii"))
    return buf.getvalue()


def relabeled(header, rows, classes, inner):
    """The CSV rows with the class-index label replaced by yes/no; all other fields as written."""
    lines = [",".join(header)] + [",".join([r[0], yes_no(r[1], classes)] + r[2:]) for r in rows]
    return gz(inner, lines)


def zip_bytes(members):
    """A zip of {name: bytes} with fixed metadata, members sorted by name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            z.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def selection_csv(ids):
    return ("\n".join(["id"] + sorted(ids)) + "\n").encode("ascii")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    tr_x, tr_y = load_training(args.source)
    proj = Projector(tr_x)
    check_selection_pool(proj, tr_x)
    reserve, _ = unused_split(tr_y)
    idx = sorted(i for per_class in reserve for i in per_class)
    feats = proj.features(tr_x[idx])
    ids = ["tr-%05d" % i for i in idx]
    classes = tr_y[idx]
    print("pool: %d rows, per class %s" % (len(ids), np.bincount(classes, minlength=10).tolist()))

    splits = {name: read_csv_rows(os.path.join(SELECTION, name + ".csv.gz")) for name in ("test", "dev")}
    rng_random = np.random.RandomState(RANDOM_SEED)
    rng_balanced = np.random.RandomState(BALANCED_SEED)
    random_sel, balanced_sel = {}, {}
    for task, concept in TASKS:
        folder = os.path.join(args.out, "tasks", task)
        os.makedirs(folder, exist_ok=True)
        labels = [yes_no(c, concept) for c in classes]
        write_bytes(os.path.join(folder, "pool.csv.gz"), csv_gz_bytes("pool.csv", ids, labels, feats), len(ids))
        for split, (header, rows) in splits.items():
            write_bytes(os.path.join(folder, split + ".csv.gz"),
                        relabeled(header, rows, concept, split + ".csv"), len(rows))
        yes = np.array([lab == "yes" for lab in labels])
        print("  %-8s classes %s: pool %d yes / %d no; test %d yes; dev %d yes"
              % (task, list(concept), yes.sum(), (~yes).sum(),
                 sum(int(r[1]) in concept for r in splits["test"][1]),
                 sum(int(r[1]) in concept for r in splits["dev"][1])))
        random_sel[task + ".csv"] = selection_csv(
            [ids[i] for i in rng_random.choice(len(ids), BUDGET, replace=False)])
        pick = []
        for members in (np.flatnonzero(yes), np.flatnonzero(~yes)):
            pick.extend(members[rng_balanced.choice(len(members), BUDGET // 2, replace=False)].tolist())
        balanced_sel[task + ".csv"] = selection_csv([ids[i] for i in pick])

    os.makedirs(os.path.join(args.out, "baselines"), exist_ok=True)
    for name, members in (("random.zip", random_sel), ("balanced.zip", balanced_sel)):
        write_bytes(os.path.join(args.out, "baselines", name), zip_bytes(members))
        for m in sorted(members):
            sel = members[m].decode("ascii").split("\n")[1:-1]
            task_yes = dict(TASKS)[m[:-4]]
            n_yes = sum(int(tr_y[int(i[3:])]) in task_yes for i in sel)
            print("    %s/%s: %d ids, %d yes" % (name, m, len(sel), n_yes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
