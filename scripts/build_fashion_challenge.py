#!/usr/bin/python3
"""Build challenges/fashion-selection/ from the Fashion-MNIST IDX files.

Source: Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, MIT licence), the four IDX files
of the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/).

Outputs (byte-identical on every run and machine, see "Exactness" below):
  pool.csv.gz      10,000 of the 60,000 training images, 1,000 per class
                   (stratified sample, numpy.random.RandomState(POOL_SEED));
                   ids "tr-NNNNN" = index in train-images-idx3-ubyte.
  test.csv.gz      2,000 of the 10,000 official test images, 200 per class
  dev.csv.gz       1,000 other official test images, 100 per class (RandomState(DEV_SEED)):
                   the public dev split for the offline scorer
                   (stratified sample, numpy.random.RandomState(TEST_SEED));
                   ids "te-NNNNN" = index in t10k-images-idx3-ubyte.
  projection.npy   float64 (64, 784): the 64 principal directions (rows).
  projection.json  the pixel mean, the scale, and how to apply the projection.
  header: id,label,f0..f63; label = class index "0".."9"; features "%.4f".

Features: x = pixels / 255 (784 values); mean = mean of x over all 60,000 training
images; components = the top 64 right singular vectors of the centered 60,000 x 784
training matrix (equivalently the top eigenvectors of its scatter matrix, which is
what is computed here, from exact integer sums), each with its sign fixed so that its
largest-|value| loading is positive, then rounded to multiples of 2^-24 (< 3e-8, far
below the output precision); scale = the standard deviation (ddof=0) of the first
component's scores over the 60,000 training images. feature = ((x - mean) @ C.T) / scale.

Exactness: everything that decides the output bytes is exact integer arithmetic
(pixel sums, the scatter matrix, the projected scores) or a single correctly rounded
IEEE operation, so the bytes only depend on the rounded components. Those come from an
eigensolver whose last bits may differ between LAPACK builds; the script therefore
keeps a committed projection.npy when its freshly recomputed one agrees with it to
within 2 quanta (2^-23), and fails loudly otherwise (--replace-projection overrides).

Usage: /usr/bin/python3 scripts/build_fashion_challenge.py [--source DIR] [--out DIR]
"""
import argparse
import gzip
import io
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import csv_gz_bytes, write_bytes  # noqa: E402

POOL_SEED = 0
TEST_SEED = 1
DEV_SEED = 4
DEV_PER_CLASS = 100
POOL_PER_CLASS = 1000
TEST_PER_CLASS = 200
N_COMPONENTS = 64
QUANT_BITS = 24
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "challenges", "fashion-selection")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, (path, zero, dtype)
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def stratified_fixed(labels, per_class, seed):
    """Sorted indices of `per_class` items from every class, seeded."""
    rng = np.random.RandomState(seed)
    chosen = []
    for cls in range(10):
        idx = np.flatnonzero(labels == cls)
        perm = rng.permutation(len(idx))
        chosen.extend(idx[perm[:per_class]].tolist())
    return sorted(chosen)


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype="<f8"), allow_pickle=False)
    return buf.getvalue()


def compute_components(P):
    """Top principal directions of the centered training matrix, sign-fixed, rounded.

    P: (n, 784) int64 pixel values. Returns integer loadings W (784, k) = rint(V * 2^24)
    and the eigenvalues of the scatter matrix of x = P/255 (descending).
    """
    n = P.shape[0]
    Pf = P.astype(np.float64)
    # Every product is <= 255^2 and every sum <= 60000 * 255^2 < 2^53: exact in float64.
    S = np.rint(Pf.T @ Pf).astype(np.int64)
    s = P.sum(axis=0)
    M = n * S - np.outer(s, s)  # = n * 255^2 * (centered scatter of x); exact, < 2^53
    assert np.abs(M).max() < 2 ** 53
    evals, evecs = np.linalg.eigh(M.astype(np.float64))
    order = np.argsort(evals)[::-1]
    evals = evals[order] / (n * 255.0 ** 2)
    V = evecs[:, order[:N_COMPONENTS]]
    for j in range(N_COMPONENTS):
        if V[np.argmax(np.abs(V[:, j])), j] < 0:
            V[:, j] = -V[:, j]
    W = np.rint(V * 2.0 ** QUANT_BITS).astype(np.int64)
    return W, evals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--replace-projection", action="store_true",
                    help="overwrite a committed projection.npy that disagrees with the recomputed one")
    args = ap.parse_args(argv)

    tr_x = read_idx(os.path.join(args.source, "train-images-idx3-ubyte.gz")).reshape(60000, 784)
    tr_y = read_idx(os.path.join(args.source, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    te_x = read_idx(os.path.join(args.source, "t10k-images-idx3-ubyte.gz")).reshape(10000, 784)
    te_y = read_idx(os.path.join(args.source, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    assert tr_y.shape == (60000,) and te_y.shape == (10000,)

    P = tr_x.astype(np.int64)
    n = P.shape[0]
    s = P.sum(axis=0)  # exact pixel sums; mean of x = s / (255 n)

    W, evals = compute_components(P)
    print("explained variance of the 64 components: %.4f; eigenvalue gap 64/65: %.6g vs %.6g"
          % (evals[:N_COMPONENTS].sum() / evals.sum(), evals[N_COMPONENTS - 1], evals[N_COMPONENTS]))
    os.makedirs(args.out, exist_ok=True)
    proj_path = os.path.join(args.out, "projection.npy")
    if os.path.exists(proj_path):
        old = np.load(proj_path, allow_pickle=False)
        old_W = np.rint(old.T * 2.0 ** QUANT_BITS).astype(np.int64)
        diff = int(np.abs(old_W - W).max()) if old_W.shape == W.shape else None
        if diff is not None and diff <= 2:
            print("committed projection.npy agrees with the recomputed one (max diff %d quanta); keeping it" % diff)
            W = old_W
        elif args.replace_projection:
            print("replacing committed projection.npy (max diff %s quanta)" % diff)
        else:
            sys.exit("recomputed projection differs from committed projection.npy by %s quanta; "
                     "rerun with --replace-projection if that is intended" % diff)

    # scores: exact integers. P @ W: products <= 255 * 2^24, sums < 2^53 -> exact in float64.
    def numerators(X):
        Z = np.rint(X.astype(np.float64) @ W.astype(np.float64)).astype(np.int64)
        return n * Z - (s @ W)[None, :]  # = n * 255 * 2^24 * ((x - mean) @ V)

    z1 = numerators(P)[:, 0]
    assert int(z1.sum()) == 0
    sumsq = sum(int(v) * int(v) for v in z1.tolist())
    denom = float(np.sqrt(float(sumsq) / n))  # = n * 255 * 2^24 * scale, one rounding each
    scale = denom / (n * 255.0 * 2.0 ** QUANT_BITS)
    print("scale (std of component 1 over the 60,000 training images): %r" % scale)

    pool_idx = stratified_fixed(tr_y, POOL_PER_CLASS, POOL_SEED)
    test_idx = stratified_fixed(te_y, TEST_PER_CLASS, TEST_SEED)
    # The public dev split: other official test images, never in the hidden test set.
    rest = np.setdiff1d(np.arange(len(te_y)), np.array(test_idx))
    dev_idx = sorted(rest[stratified_fixed(te_y[rest], DEV_PER_CLASS, DEV_SEED)].tolist())
    for name, X, y, idx, prefix in (("pool.csv.gz", tr_x, tr_y, pool_idx, "tr"),
                                    ("test.csv.gz", te_x, te_y, test_idx, "te"),
                                    ("dev.csv.gz", te_x, te_y, dev_idx, "te")):
        num = numerators(X[idx].astype(np.int64))
        feats = num.astype(np.float64) / denom  # int64 -> float64 and one division: both IEEE-exact rounding
        print("  %s feature range [%.3f, %.3f]" % (name, feats.min(), feats.max()))
        ids = ["%s-%05d" % (prefix, i) for i in idx]
        labs = [str(int(y[i])) for i in idx]
        write_bytes(os.path.join(args.out, name), csv_gz_bytes(name[:-3], ids, labs, feats), len(ids))

    comps = W.T.astype(np.float64) / 2.0 ** QUANT_BITS  # exact
    write_bytes(proj_path, npy_bytes(comps))
    meta = {
        "description": "Fashion-MNIST selection features: feature = ((pixels/255 - mean) @ components.T) / scale, "
                       "rounded to 4 decimals. components = projection.npy (64 x 784, rows = principal "
                       "directions, loadings are multiples of 2^-24). Pixels in IDX order (row-major 28x28).",
        "source": "Fashion-MNIST training images (60,000), Xiao, Rasul, Vollgraf 2017, MIT licence",
        "built_by": "scripts/build_fashion_challenge.py",
        "n_components": N_COMPONENTS,
        "quantum": 2.0 ** -QUANT_BITS,
        "scale": scale,
        "explained_variance_ratio": [round(float(v), 6) for v in (evals[:N_COMPONENTS] / evals.sum())],
        "mean": [float(v) for v in (s / (255.0 * n))],
        "pool_seed": POOL_SEED,
        "test_seed": TEST_SEED,
        "dev_seed": DEV_SEED,
        "classes": {str(i): c for i, c in enumerate(CLASS_NAMES)},
    }
    write_bytes(os.path.join(args.out, "projection.json"),
                (json.dumps(meta, indent=1) + "\n").encode("ascii"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
