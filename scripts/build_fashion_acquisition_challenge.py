#!/usr/bin/python3
"""Build challenges/fashion-acquisition/ (five data sellers) from the Fashion-MNIST IDX files.

Sellers are carved from the 50,000 training images that are not in fashion-selection's
pool, from the acquisition reserve of scripts/fashion_features.py (`unused_split`: per
class, the unused images in a RandomState(5) order, after the first 500 that
fashion-concepts uses). The sellers take their rows from that reserve in the order of
SELLERS below, each the next `counts[c]` images of every class c, so no image is sold twice.
Features: the fixed 64-component projection of fashion-selection, byte for byte.

Label noise, per seller, with numpy.random.RandomState(SELLER_SEED + k) (k = the seller's
position in SELLERS), the rows first put in training-index order:
  flipped = rng.choice(n, round(rate * n), replace=False)
  "uniform": each flipped row gets another class, uniformly: (label + rng.randint(1, 10)) % 10,
             one randint per flipped row, in the order of `flipped`;
  "partner": each flipped row gets the class most easily mistaken for its own (PARTNER,
             the same map as fashion-cleaning: T-shirt -> Shirt, Pullover -> Coat, ...).
Then the rows are shuffled with the same rng (rng.permutation(n)), so the first 5 rows of a
file, which the challenge publishes as the seller's samples, are a random sample of it.

Outputs (byte-identical on every run):
  sellers/<name>.csv.gz   id,label,f0..f63; ids "<name>-NNNNN" (NNNNN = training index);
                          label = the seller's (possibly wrong) class index
  test.csv.gz, dev.csv.gz fashion-selection's, copied unchanged
  baselines/{random,uniform,cheapest,greedy,premium}.csv   plans: `seller,rows`

Usage: /usr/bin/python3 scripts/build_fashion_acquisition_challenge.py [--source DIR] [--out DIR]
"""
import argparse
import math
import os
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from challenge_csv import csv_gz_bytes, write_bytes  # noqa: E402
from fashion_features import (DEFAULT_SOURCE, REPO, SELECTION, Projector, check_selection_pool,  # noqa: E402
                              load_training, unused_split)

DEFAULT_OUT = os.path.join(REPO, "challenges", "fashion-acquisition")
CLASSES = 10
BUDGET = 2000
SAMPLES = 5
SELLER_SEED = 20
RANDOM_PLAN_SEED = 0
GREEDY_CHUNK = 20
# 0 T-shirt, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
PARTNER = [6, 3, 4, 0, 2, 7, 0, 9, 5, 7]
# name, price (credits per row), rows per true class 0..9, noise kind, noise rate
SELLERS = [
    ("atelier", 5, [100, 100, 100, 100, 100, 100, 100, 100, 100, 100], "none", 0.0),
    ("bazaar", 2, [300, 300, 300, 300, 300, 300, 300, 300, 300, 300], "partner", 0.40),
    ("cobbler", 2, [20, 20, 20, 20, 20, 460, 20, 460, 20, 460], "uniform", 0.05),
    ("jumble", 1, [70, 320, 70, 250, 70, 190, 70, 70, 320, 70], "uniform", 0.60),
    ("tailor", 3, [410, 60, 410, 60, 410, 60, 410, 60, 60, 60], "partner", 0.15),
]


def carve(reserve, taken, counts, name):
    """Sorted training indices: the next counts[c] images of every class c of the reserve."""
    idx = []
    for c in range(CLASSES):
        start = taken[c]
        if start + counts[c] > len(reserve[c]):
            sys.exit("class %d: the reserve is too small for %s" % (c, name))
        idx.extend(reserve[c][start:start + counts[c]])
        taken[c] += counts[c]
    return np.array(sorted(idx), dtype=np.int64)


def add_noise(true, kind, rate, rng):
    """The sold labels: round(rate * n) rows flipped (see the module docstring)."""
    sold = true.copy()
    if rate == 0:
        return sold
    for i in rng.choice(len(true), int(round(rate * len(true))), replace=False):
        if kind == "uniform":
            sold[i] = (sold[i] + rng.randint(1, CLASSES)) % CLASSES
        elif kind == "partner":
            sold[i] = PARTNER[sold[i]]
        else:
            raise ValueError(kind)
    return sold


def check_yaml(out, prices):
    """A committed challenge.yaml must list these sellers, prices, budget and sample count."""
    path = os.path.join(out, "challenge.yaml")
    if not os.path.exists(path):
        print("no %s to check" % path)
        return
    with open(path) as f:
        spec = yaml.safe_load(f)
    listed = {s["name"]: (s["data"], s["price"]) for s in spec["sellers"]}
    want = {n: ("sellers/%s.csv.gz" % n, p) for n, p in prices.items()}
    if (listed != want or spec["budget"] != {"credits": BUDGET}
            or spec["acquisition"] != {"samples": SAMPLES}):
        sys.exit("%s disagrees with SELLERS/BUDGET/SAMPLES: %r" % (path, spec))
    print("challenge.yaml agrees with the sellers, prices, budget and samples")


def plan_cost(plan, prices):
    return sum(rows * prices[s] for s, rows in plan.items())


def random_plan(names, prices, sizes):
    """Rows one at a time, each from a uniformly random seller still affordable and not sold out."""
    rng = np.random.RandomState(RANDOM_PLAN_SEED)
    plan = {s: 0 for s in names}
    left = BUDGET
    while True:
        open_ = [s for s in names if plan[s] < sizes[s] and prices[s] <= left]
        if not open_:
            return plan
        s = open_[rng.randint(len(open_))]
        plan[s] += 1
        left -= prices[s]


def uniform_plan(names, prices, sizes):
    """budget // 5 credits per seller, as many whole rows as that buys."""
    share = BUDGET // len(names)
    return {s: min(sizes[s], share // prices[s]) for s in names}


def cheapest_plan(names, prices, sizes):
    """The cheapest rows first: sellers by (price, name), each bought out while credits last."""
    plan = {s: 0 for s in names}
    left = BUDGET
    for s in sorted(names, key=lambda s: (prices[s], s)):
        plan[s] = min(sizes[s], left // prices[s])
        left -= plan[s] * prices[s]
    return plan


def premium_plan(names, prices, sizes):
    """Price as a quality signal: the dearest rows first, sellers by (-price, name), while credits last."""
    plan = {s: 0 for s in names}
    left = BUDGET
    for s in sorted(names, key=lambda s: (-prices[s], s)):
        plan[s] = min(sizes[s], left // prices[s])
        left -= plan[s] * prices[s]
    return plan


def greedy_plan(names, prices, sizes, hists):
    """Balance per credit, from the public summaries only (class histograms, prices, row counts).

    Keeps the expected class counts of the purchase, e_c = sum_s rows_s * hist_s[c] / size_s.
    Repeatedly: take the class c with the smallest e_c (ties: lowest index) that some
    affordable seller with rows left offers, buy GREEDY_CHUNK rows (or what is left or
    affordable) from the seller with the lowest price per expected row of c,
    price_s * size_s / hist_s[c] (ties: name), until no seller is affordable.
    """
    plan = {s: 0 for s in names}
    left = BUDGET
    expected = [0.0] * CLASSES
    while True:
        open_ = [s for s in names if plan[s] < sizes[s] and prices[s] <= left]
        if not open_:
            return plan
        for c in sorted(range(CLASSES), key=lambda c: (expected[c], c)):
            offers = [s for s in open_ if hists[s][c] > 0]
            if offers:
                break
        s = min(offers, key=lambda s: (prices[s] * sizes[s] / hists[s][c], s))
        k = min(GREEDY_CHUNK, sizes[s] - plan[s], left // prices[s])
        plan[s] += k
        left -= k * prices[s]
        for j in range(CLASSES):
            expected[j] += k * hists[s][j] / sizes[s]


def plan_bytes(plan):
    lines = ["seller,rows"] + ["%s,%d" % (s, plan[s]) for s in sorted(plan) if plan[s] > 0]
    return ("\n".join(lines) + "\n").encode("ascii")


def entropy_bits(hist):
    n = sum(hist)
    return -sum(h / n * math.log2(h / n) for h in hist if h)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    tr_x, tr_y = load_training(args.source)
    proj = Projector(tr_x)
    check_selection_pool(proj, tr_x)
    _, reserve = unused_split(tr_y)

    os.makedirs(os.path.join(args.out, "sellers"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "baselines"), exist_ok=True)
    taken = [0] * CLASSES
    names, prices, sizes, hists = [], {}, {}, {}
    for k, (name, price, counts, kind, rate) in enumerate(SELLERS):
        idx = carve(reserve, taken, counts, name)
        n = len(idx)
        rng = np.random.RandomState(SELLER_SEED + k)
        true = tr_y[idx]
        sold = add_noise(true, kind, rate, rng)
        order = rng.permutation(n)
        idx, true, sold = idx[order], true[order], sold[order]
        feats = proj.features(tr_x[idx])
        ids = ["%s-%05d" % (name, i) for i in idx]
        labs = [str(int(v)) for v in sold]
        write_bytes(os.path.join(args.out, "sellers", name + ".csv.gz"),
                    csv_gz_bytes(name + ".csv", ids, labs, feats), n)
        hist = np.bincount(sold, minlength=CLASSES).tolist()
        names.append(name)
        prices[name], sizes[name], hists[name] = price, n, hist
        print("  %-8s price=%d rows=%d wrong=%d (%.1f%%, %s) entropy=%.2f bits  true=%s  sold=%s  samples=%s"
              % (name, price, n, int((true != sold).sum()), 100.0 * (true != sold).mean(), kind,
                 entropy_bits(hist), np.bincount(true, minlength=CLASSES).tolist(), hist,
                 ",".join("%s:%d" % (ids[j], sold[j]) for j in range(SAMPLES))))
    check_yaml(args.out, prices)
    market = sum(prices[s] * sizes[s] for s in names)
    print("market: %d rows, %d credits; budget %d credits" % (sum(sizes.values()), market, BUDGET))

    for split in ("test.csv.gz", "dev.csv.gz"):
        with open(os.path.join(SELECTION, split), "rb") as f:
            write_bytes(os.path.join(args.out, split), f.read())

    for plan_name, plan in (("random", random_plan(names, prices, sizes)),
                            ("uniform", uniform_plan(names, prices, sizes)),
                            ("cheapest", cheapest_plan(names, prices, sizes)),
                            ("greedy", greedy_plan(names, prices, sizes, hists)),
                            ("premium", premium_plan(names, prices, sizes))):
        cost = plan_cost(plan, prices)
        assert cost <= BUDGET and all(0 <= plan[s] <= sizes[s] for s in names), (plan_name, plan)
        write_bytes(os.path.join(args.out, "baselines", plan_name + ".csv"), plan_bytes(plan))
        print("  %-8s cost=%d rows=%d  %s" % (plan_name, cost, sum(plan.values()),
                                              " ".join("%s=%d" % (s, plan[s]) for s in names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
