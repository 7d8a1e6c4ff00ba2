"""Shared helpers for the bundles built from Fashion-MNIST beside fashion-selection.

Features are computed exactly as scripts/build_fashion_challenge.py computes them (the same
integer arithmetic, from the committed challenges/fashion-selection/projection.npy), so a
training image gets the same "%.4f" feature strings in every bundle; `check_selection_pool`
proves it by recomputing rows of fashion-selection's committed pool.csv.gz.

`unused_split` deals the 50,000 training images that are not in fashion-selection's pool
into two disjoint reserves, one for fashion-concepts and one for fashion-acquisition, so no
image is in two bundles' training data.
"""
import csv
import gzip
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_fashion_challenge import QUANT_BITS, read_idx  # noqa: E402
from challenge_csv import fmt  # noqa: E402

DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELECTION = os.path.join(REPO, "challenges", "fashion-selection")
CLASSES = 10
# Seed of the per-class shuffle that deals the unused training images (see unused_split).
UNUSED_SEED = 5
# The first CONCEPTS_RESERVE images of every class (in that shuffled order) are reserved
# for fashion-concepts; the rest of each class are fashion-acquisition's.
CONCEPTS_RESERVE = 500


def load_training(source=DEFAULT_SOURCE):
    """(pixels uint8 (60000, 784), labels int64 (60000,)) in IDX order."""
    x = read_idx(os.path.join(source, "train-images-idx3-ubyte.gz")).reshape(60000, 784)
    y = read_idx(os.path.join(source, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    assert y.shape == (60000,)
    return x, y


class Projector:
    """feature = ((pixels/255 - mean) @ C.T) / scale, exactly as build_fashion_challenge.py.

    Built from all 60,000 training images (the mean and the scale are over them) and the
    committed projection.npy; `features(X)` gives the float64 features of uint8 rows X.
    """

    def __init__(self, train_pixels, projection_path=os.path.join(SELECTION, "projection.npy")):
        comps = np.load(projection_path, allow_pickle=False)
        self.W = np.rint(comps.T * 2.0 ** QUANT_BITS).astype(np.int64)
        assert np.array_equal(self.W.astype(np.float64) / 2.0 ** QUANT_BITS, comps.T), "not on the 2^-24 grid"
        P = train_pixels.astype(np.int64)
        self.n = P.shape[0]
        self.s = P.sum(axis=0)
        z1 = self._numerators(P)[:, 0]
        assert int(z1.sum()) == 0
        sumsq = sum(int(v) * int(v) for v in z1.tolist())
        self.denom = float(np.sqrt(float(sumsq) / self.n))

    def _numerators(self, P):
        Z = np.rint(P.astype(np.float64) @ self.W.astype(np.float64)).astype(np.int64)
        return self.n * Z - (self.s @ self.W)[None, :]

    def features(self, X):
        return self._numerators(X.astype(np.int64)).astype(np.float64) / self.denom


def read_csv_rows(path):
    """(header, rows) of a gzip'd or plain CSV, every field as written."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="ascii", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def selection_pool_indices():
    """Training indices of fashion-selection's pool (ids "tr-NNNNN")."""
    _, rows = read_csv_rows(os.path.join(SELECTION, "pool.csv.gz"))
    idx = [int(r[0][3:]) for r in rows]
    assert all(r[0] == "tr-%05d" % i for r, i in zip(rows, idx))
    return idx


def check_selection_pool(proj, train_pixels, rows=300):
    """Recomputes the first `rows` rows of fashion-selection's pool; they must match to the byte."""
    _, pool = read_csv_rows(os.path.join(SELECTION, "pool.csv.gz"))
    pool = pool[:rows]
    idx = [int(r[0][3:]) for r in pool]
    feats = proj.features(train_pixels[idx])
    for r, f in zip(pool, feats):
        if r[2:] != [fmt(v) for v in f]:
            sys.exit("features of %s differ from fashion-selection's pool.csv.gz" % r[0])
    print("features agree with fashion-selection/pool.csv.gz on its first %d rows" % len(pool))


def unused_split(train_labels):
    """(concepts, acquisition): per class, lists of training indices not in fashion-selection's pool.

    For every class (in label order) the unused indices, ascending, are permuted with one
    numpy.random.RandomState(UNUSED_SEED); the first CONCEPTS_RESERVE go to fashion-concepts,
    the rest, in that order, to fashion-acquisition.
    """
    used = np.zeros(len(train_labels), dtype=bool)
    used[selection_pool_indices()] = True
    rng = np.random.RandomState(UNUSED_SEED)
    concepts, acquisition = [], []
    for c in range(CLASSES):
        idx = np.flatnonzero((train_labels == c) & ~used)
        idx = idx[rng.permutation(len(idx))]
        concepts.append(idx[:CONCEPTS_RESERVE].tolist())
        acquisition.append(idx[CONCEPTS_RESERVE:].tolist())
    return concepts, acquisition
