#!/usr/bin/env python3
"""A standalone device check of Sieve's PyTorch trainer runtime (workers/torch-runtime).

    python3 scripts/gpu-check.py [--quick] [--device auto|cpu|cuda]

Needs only Python 3.8+, numpy and torch (1.13 or 2.x, CPU or CUDA): no Node, no network,
no scikit-learn, no yaml. Run it from a copy of the repository (any working folder). It
imports `sieve_torch` from workers/torch-runtime, reads the committed challenge files with
the standard library, and prints one labeled line per figure:

  [1] single-job latency: logreg (C 1, maxIter 200, tol 1e-4) on a seeded 1,000-row
      fashion-selection pick, predicting the 2,000 test rows; in process (median of runs)
      and through the real process protocol (`python3 -m sieve_torch`, hello + train);
  [2] batched throughput: K logreg jobs (each its own seeded 1,000-row pick) in one
      train_batch, for K = 1, 16, 64, 256; batch predictions against the single runs;
  [3] scoring one fashion-cleaning submission as Sieve's cleaning protocol does: 101
      checkpoints of baselines/random.csv's order, one train_batch and sequentially, and
      the resulting fraction_of_fixes score;
  [4] DataPerf's debugging protocol shape: 300 mlp trainings (2048 -> 128 -> 2, 300 rows,
      20 epochs), one per prefix of a 300-item order, as one train_batch.

`--quick` shrinks the parts (for a CPU: about 35 s on 2 cores) and says so in the
header. Exit status 0 on success; any failure prints `gpu-check: FAILED: ...` and exits 1.
See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME_DIR = os.path.join(ROOT, "workers", "torch-runtime")
SELECTION = os.path.join(ROOT, "challenges", "fashion-selection")
CLEANING = os.path.join(ROOT, "challenges", "fashion-cleaning")

LOGREG = {"C": 1.0, "maxIter": 200, "tol": 0.0001}
MLP = {"hidden": 128, "epochs": 20, "batchSize": 64, "learningRate": 0.001, "weightDecay": 0.01}
CLASSES = 10
PICK = 1000  # rows of a fashion-selection pick
H100_EVALS_PER_MIN = 10000
H100_MLP_SECONDS = 1.0


class CheckError(Exception):
    """A failure with a message for the reader (no traceback needed)."""


def out(line: str = "") -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- set-up


class Parser(argparse.ArgumentParser):
    def error(self, message):  # a usage error is a failure too: status 1, not argparse's 2
        self.print_usage(sys.stderr)
        out(f"gpu-check: FAILED: {message}")
        sys.exit(1)


def parse_args(argv):
    parser = Parser(description="Device check of Sieve's PyTorch trainer runtime (see docs/BENCHMARKS.md).")
    parser.add_argument("--quick", action="store_true", help="shrink everything (minutes on a small CPU); the header says so")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto (default): CUDA when torch sees it, else the CPU")
    return parser.parse_args(argv)


def import_runtime():
    if not os.path.isdir(os.path.join(RUNTIME_DIR, "sieve_torch")):
        raise CheckError(f"no sieve_torch package at {RUNTIME_DIR}; run this script from a copy of the Sieve repository")
    if RUNTIME_DIR not in sys.path:
        sys.path.insert(0, RUNTIME_DIR)
    try:
        import numpy  # noqa: F401
    except ImportError as error:
        raise CheckError(f"numpy is not importable ({error}); install numpy for {sys.executable}") from None
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise CheckError(f"torch is not importable ({error}); install PyTorch for {sys.executable}") from None
    import sieve_torch  # sets CUBLAS_WORKSPACE_CONFIG before CUDA starts  # noqa: F401
    from sieve_torch.device import configure_torch

    configure_torch()  # the runtime's deterministic settings, as `python3 -m sieve_torch` sets them


def choose_device(requested: str):
    import torch

    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    if requested == "cuda":
        built = torch.version.cuda or "none (a CPU-only build)"
        raise CheckError(f"--device cuda, but torch {torch.__version__} sees no CUDA device (its CUDA: {built})")
    return torch.device("cpu")


def git_commit() -> str:
    """The checked-out commit, read from .git without running git; "unknown" when unreadable."""
    try:
        git = os.path.join(ROOT, ".git")
        if os.path.isfile(git):  # a worktree or submodule: "gitdir: <path>"
            with open(git, encoding="utf-8") as f:
                line = f.read().strip()
            if not line.startswith("gitdir:"):
                return "unknown"
            git = os.path.normpath(os.path.join(ROOT, line[len("gitdir:") :].strip()))
        common = git
        if os.path.isfile(os.path.join(git, "commondir")):
            with open(os.path.join(git, "commondir"), encoding="utf-8") as f:
                common = os.path.normpath(os.path.join(git, f.read().strip()))
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as f:
            head = f.read().strip()
        if not head.startswith("ref:"):
            return head or "unknown"
        ref = head[4:].strip()
        for base in (git, common):
            path = os.path.join(base, ref)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    return f"{f.read().strip()} ({ref})"
        packed = os.path.join(common, "packed-refs")
        if os.path.isfile(packed):
            with open(packed, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return f"{parts[0]} ({ref})"
    except (OSError, UnicodeDecodeError):
        pass
    return "unknown"


def header(device, quick: bool) -> None:
    import numpy as np
    import torch
    from sieve_torch import RUNTIME_VERSION
    from sieve_torch.device import device_name

    out("sieve gpu-check: Sieve's PyTorch trainer runtime on this machine")
    if quick:
        out("mode: QUICK (--quick): reduced sizes; the figures are not the full benchmark")
        out("quick: [1] 5 repeats (not 20); [2] K = 1, 16, 64 (not up to 256), 2 repeats; [3] unchanged; [4] 30 prefixes (not 300)")
    else:
        out("mode: full")
    out(f"commit: {git_commit()}")
    out(f"python: {platform.python_version()} ({sys.executable}); numpy {np.__version__}; torch {torch.__version__}; sieve-torch {RUNTIME_VERSION}")
    out(f"device: {device.type}: {device_name(device)}")
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        out(
            f"CUDA: {torch.version.cuda} (torch's build); cuDNN {cudnn}; compute capability {props.major}.{props.minor}; "
            f"{props.total_memory / 2**30:.1f} GiB; {props.multi_processor_count} SMs"
        )
    else:
        out(f"CUDA: {torch.version.cuda or 'none'} (torch's build); CUDA available: {torch.cuda.is_available()}")
    out(f"host: {platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}; settings: deterministic (sieve_torch.device.configure_torch)")


# ---------------------------------------------------------------- data


def read_csv_gz(path: str):
    """(ids, labels as int64, features float32 or None) of an `id,label[,f0..]` CSV (gzip)."""
    import numpy as np

    if not os.path.isfile(path):
        raise CheckError(f"missing data file {path}; the committed challenge files are needed")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], [r for r in rows[1:] if r]
    if head[:2] != ["id", "label"]:
        raise CheckError(f"{path}: expected the columns id,label,... got {head[:3]}")
    ids = [r[0] for r in body]
    labels = np.array([int(r[1]) for r in body], dtype=np.int64)
    features = None
    if len(head) > 2:
        # parsed as doubles, then rounded to float32: as the TS worker's Number -> Float32Array
        features = np.array([r[2:] for r in body], dtype=np.float64).astype(np.float32)
        if features.shape[1] != len(head) - 2:
            raise CheckError(f"{path}: rows of {features.shape[1]} features, header {len(head) - 2}")
    return ids, labels, features


def cleaning_settings():
    """(steps, targetRatio) from challenge.yaml's `cleaning:` line, read simply; defaults 100, 0.95."""
    steps, ratio = 100, 0.95
    try:
        with open(os.path.join(CLEANING, "challenge.yaml"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return steps, ratio
    import re

    block = re.search(r"^cleaning:\s*(\{[^}]*\}|\n(?:[ \t]+.*\n?)+)", text, re.M)
    if block:
        s = re.search(r"steps:\s*([0-9]+)", block.group(1))
        r = re.search(r"targetRatio:\s*([0-9.eE+-]+)", block.group(1))
        if s:
            steps = int(s.group(1))
        if r:
            ratio = float(r.group(1))
    return steps, ratio


def pick(pool_n: int, seed: int):
    """A seeded 1,000-row selection of the fashion-selection pool (sorted row indices)."""
    import numpy as np

    return np.sort(np.random.default_rng(seed).choice(pool_n, PICK, replace=False))


# ---------------------------------------------------------------- helpers


def quiet(done: int, total: int) -> None:
    pass


def job(x, y, px, where: str = ""):
    from sieve_torch.data import JobData

    return JobData(where=where, x=x, y=y, px=px, out="")


def run_batch(trainer, jobs, params, device, seed: int = 0, classes: int = CLASSES):
    """One in-process train_batch (the same call the protocol makes): (fit, wall seconds)."""
    from sieve_torch.device import synchronize

    synchronize(device)
    start = time.perf_counter()
    fit = trainer.fit_predict(jobs, params, seed, classes, device, quiet)
    synchronize(device)
    return fit, time.perf_counter() - start


def differing(a, b) -> str:
    import numpy as np

    n = int(np.count_nonzero(np.asarray(a) != np.asarray(b)))
    return "identical" if n == 0 else f"{n} of {len(a)} predictions differ"


def accuracy(pred, truth) -> float:
    import numpy as np

    return float(np.mean(np.asarray(pred) == np.asarray(truth)))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class Runtime:
    """`python3 -m sieve_torch` (this interpreter) in workers/torch-runtime, as the TS worker starts it."""

    def __init__(self):
        env = dict(os.environ)
        env.setdefault("SIEVE_TORCH_LOG", "WARNING")
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sieve_torch"], cwd=RUNTIME_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr
        )
        self.lines: "queue.Queue" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-3000:]

    def request(self, body, timeout: float):
        """Sends one request; returns (its final event, seconds from send to that event)."""
        start = time.perf_counter()
        try:
            self.proc.stdin.write((json.dumps(body) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise CheckError(f"the runtime process exited before request {body['id']}; its stderr:\n{self.stderr_tail()}") from None
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, timeout - (time.perf_counter() - start)))
            except queue.Empty:
                raise CheckError(f"no answer to request {body['id']} within {timeout:.0f} s; the runtime's stderr:\n{self.stderr_tail()}") from None
            if line is None:
                raise CheckError(f"the runtime closed stdout during request {body['id']}; its stderr:\n{self.stderr_tail()}")
            try:
                event = json.loads(line)
            except ValueError:
                raise CheckError(f"the runtime wrote a line that is not JSON: {line[:200]!r}") from None
            if event.get("id") != body["id"]:
                raise CheckError(f"an event for id {event.get('id')!r} while waiting for {body['id']!r}: {event}")
            if event.get("event") == "error":
                raise CheckError(f"the runtime answered request {body['id']} with {event.get('code')}: {event.get('message')}")
            if event.get("event") in ("ready", "result"):
                return event, time.perf_counter() - start

    def close(self) -> int:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise CheckError("the runtime did not exit within 60 s of EOF on stdin") from None
        finally:
            self.stderr.close()


# ---------------------------------------------------------------- the checks


def single_latency(sel, device, quick: bool):
    """[1] one logreg job: in process (median of runs) and through the process protocol."""
    import numpy as np
    from sieve_torch.trainers import logreg

    ids, y, x, ty, tx = sel
    rows = pick(len(ids), 0)
    one = [job(x[rows], y[rows], tx)]
    repeats = 5 if quick else 20
    out()
    out(f"[1] single-job latency: logreg C=1 maxIter=200 tol=1e-4, {PICK} fashion-selection rows (pick seed 0) -> {len(ty)} test predictions")
    first, cold = run_batch(logreg, one, LOGREG, device)
    out(f"  in-process first run (warm-up, not counted): {ms(cold)}")
    walls, trains = [], []
    for _ in range(repeats):
        fit, wall = run_batch(logreg, one, LOGREG, device)
        if not np.array_equal(fit.predictions[0], first.predictions[0]):
            raise CheckError("two in-process runs of the same logreg job gave different predictions (determinism is broken)")
        walls.append(wall)
        trains.append(fit.train_ms / 1000)
    out(f"  in-process fit_predict, median of {repeats}: {ms(statistics.median(walls))} (min {ms(min(walls))}, max {ms(max(walls))})")
    out(f"  in-process training alone (result.ms), median of {repeats}: {ms(statistics.median(trains))}")
    out(f"  L-BFGS iterations: {first.iterations[0]}; test accuracy: {accuracy(first.predictions[0], ty):.4f}")
    out(f"  single-job rate, in process: {60 / statistics.median(walls):.0f} evaluations/min")

    device_field = "cpu" if device.type == "cpu" else "auto"
    with tempfile.TemporaryDirectory(prefix="sieve-gpu-check-") as tmp:
        paths = {name: os.path.join(tmp, name + ".npy") for name in ("x", "y", "px")}
        for name, array in (("x", x[rows]), ("y", y[rows]), ("px", tx)):
            np.save(paths[name], array)
        started = time.perf_counter()
        runtime = Runtime()
        try:
            ready, _ = runtime.request({"id": "hello", "op": "hello"}, timeout=300)
            out(f"  subprocess `{os.path.basename(sys.executable)} -m sieve_torch`: start to ready (hello answered): {ms(time.perf_counter() - started)}")
            out(f"  subprocess hello: torch {ready.get('torch')}, device {ready.get('device')} ({ready.get('deviceName')})")
            predictions = []
            for n, label in ((1, "1st train request (fresh process)"), (2, "2nd train request (warm process)")):
                outfile = os.path.join(tmp, f"out-{n}.npy")
                body = {
                    "id": f"train-{n}",
                    "op": "train",
                    "trainer": "logreg",
                    "params": LOGREG,
                    "seed": 0,
                    "classes": CLASSES,
                    "train": {"x": paths["x"], "y": paths["y"]},
                    "predict": {"x": paths["px"]},
                    "out": outfile,
                    "device": device_field,
                }
                result, rtt = runtime.request(body, timeout=600)
                got = np.load(outfile)
                predictions.append(got)
                out(
                    f"  subprocess {label}: round trip {ms(rtt)} (runtime's result.ms {result.get('ms')} ms, "
                    f"trained on {result['trainer']['device']}, {result.get('iterations')} iterations)"
                )
            code = runtime.close()
        except BaseException:
            try:
                runtime.proc.kill()
                runtime.proc.wait()
            except OSError:
                pass
            raise
        if code != 0:
            raise CheckError(f"the runtime exited with status {code} after EOF on stdin (expected 0)")
        out(f"  subprocess predictions vs in-process: {differing(predictions[0], first.predictions[0])}")
    return first


def throughput(sel, device, quick: bool, single):
    """[2] K logreg jobs in one train_batch."""
    import numpy as np
    from sieve_torch.trainers import logreg

    ids, y, x, ty, tx = sel
    ks = (1, 16, 64) if quick else (1, 16, 64, 256)
    repeats = 2 if quick else 3
    out()
    out(f"[2] batched throughput: K logreg jobs (job k: a {PICK}-row pick with seed k) in one train_batch, each predicting the {len(ty)} test rows")
    picks = [pick(len(ids), k) for k in range(max(ks))]
    jobs_all = [job(x[r], y[r], tx, f"jobs[{k}].") for k, r in enumerate(picks)]
    best = 0.0
    for k in ks:
        jobs = jobs_all[:k]
        walls, trains = [], []
        for _ in range(repeats):
            fit, wall = run_batch(logreg, jobs, LOGREG, device)
            walls.append(wall)
            trains.append(fit.train_ms / 1000)
        wall = statistics.median(walls)
        rate = 60 * k / wall
        best = max(best, rate)
        out(
            f"  K={k}: {wall:.3f} s per batch (median of {repeats}; training {statistics.median(trains):.3f} s) -> "
            f"{k / wall:.1f} jobs/s, {rate:.0f} evaluations/min"
        )
        same_iter = "same" if fit.iterations[0] == single.iterations[0] else f"{fit.iterations[0]} vs {single.iterations[0]} alone"
        out(f"  K={k}: job 0 in the batch vs its single run: {differing(fit.predictions[0], single.predictions[0])} (iterations: {same_iter})")
        if k == 16:
            check_all(logreg, jobs_all[:16], fit, device)
    out(f"  best rate: {best:.0f} evaluations/min (H100 target: >= {H100_EVALS_PER_MIN:,}/min)")


def check_all(logreg, jobs, batch, device) -> None:
    """Every job of a batch against the same job trained alone (PROTOCOL.md asks a GPU check for this)."""
    import numpy as np

    k = len(jobs)
    alone = [logreg.fit_predict([j], LOGREG, 0, CLASSES, device, quiet) for j in jobs]
    diff_jobs = [i for i in range(k) if not np.array_equal(alone[i].predictions[0], batch.predictions[i])]
    diff_preds = sum(int(np.count_nonzero(alone[i].predictions[0] != batch.predictions[i])) for i in diff_jobs)
    diff_iters = sum(1 for i in range(k) if alone[i].iterations[0] != batch.iterations[i])
    verdict = "identical" if not diff_jobs else f"{len(diff_jobs)} jobs differ ({diff_preds} predictions; jobs {diff_jobs[:8]})"
    out(f"  K={k}: every job in the batch vs its single run: {verdict}; iteration counts differ in {diff_iters} of {k}")


def cleaning(device, quick: bool):
    """[3] one fashion-cleaning submission, scored as workers/evaluation/protocols/cleaning-*.ts do."""
    import numpy as np
    from sieve_torch.trainers import logreg

    pool_ids, noisy, x = read_csv_gz(os.path.join(CLEANING, "pool.csv.gz"))
    clean_ids, clean_labels, _ = read_csv_gz(os.path.join(CLEANING, "clean.csv.gz"))
    _, ty, tx = read_csv_gz(os.path.join(CLEANING, "test.csv.gz"))
    position = {i: n for n, i in enumerate(pool_ids)}
    if sorted(clean_ids) != sorted(pool_ids):
        raise CheckError("fashion-cleaning: clean.csv.gz and pool.csv.gz do not hold the same ids")
    clean = np.empty_like(noisy)
    for i, label in zip(clean_ids, clean_labels):
        clean[position[i]] = label
    n = len(pool_ids)
    order_file = os.path.join(CLEANING, "baselines", "random.csv")
    if os.path.isfile(order_file):
        with open(order_file, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()][1:]
        if sorted(names) != sorted(pool_ids):
            raise CheckError(f"{order_file} is not an order of all {n} pool ids")
        order = np.array([position[i] for i in names], dtype=np.int64)
        order_name = "baselines/random.csv"
    else:
        order = np.random.RandomState(0).permutation(n)
        order_name = "RandomState(0).permutation (baselines/random.csv is missing)"
    steps, ratio = cleaning_settings()
    checkpoints = []
    for j in range(steps + 1):
        c = (j * n) // steps
        if not checkpoints or checkpoints[-1] != c:
            checkpoints.append(c)
    jobs = []
    for c in checkpoints:
        labels = noisy.copy()
        labels[order[:c]] = clean[order[:c]]
        jobs.append(job(x, labels, tx, f"jobs[{len(jobs)}]."))

    out()
    out(
        f"[3] cleaning: one fashion-cleaning submission ({order_name}), {len(checkpoints)} checkpoints "
        f"(fixes = floor(j*{n}/{steps}), j = 0..{steps}), logreg on {n} rows -> {len(ty)} test rows"
    )
    batch, wall_batch = run_batch(logreg, jobs, LOGREG, device)
    out(f"  one train_batch of {len(jobs)} jobs: {wall_batch:.3f} s (training {batch.train_ms / 1000:.3f} s)")
    start = time.perf_counter()
    alone = [logreg.fit_predict([j], LOGREG, 0, CLASSES, device, quiet) for j in jobs]
    wall_seq = time.perf_counter() - start
    out(f"  sequential, {len(jobs)} single trainings: {wall_seq:.3f} s ({wall_seq / wall_batch:.1f}x the batch)")
    diff = [i for i in range(len(jobs)) if not np.array_equal(batch.predictions[i], alone[i].predictions[0])]
    if diff:
        count = sum(int(np.count_nonzero(batch.predictions[i] != alone[i].predictions[0])) for i in diff)
        out(f"  batch vs sequential predictions: {len(diff)} of {len(jobs)} jobs differ ({count} predictions; checkpoints {[checkpoints[i] for i in diff[:8]]})")
    else:
        out(f"  batch vs sequential predictions: identical in all {len(jobs)} jobs")

    def score(fits):
        curve = [(c, accuracy(p, ty)) for c, p in zip(checkpoints, fits)]
        target = ratio * curve[-1][1]
        reached = next(point for point in curve if point[1] >= target)
        return curve, target, reached

    curve, target, reached = score(batch.predictions)
    out(f"  noisy accuracy (0 fixes): {curve[0][1]:.4f}; clean accuracy ({n} fixes): {curve[-1][1]:.4f}; target {ratio} x clean: {target:.6f}")
    out(f"  fraction_of_fixes (from the batch): {reached[0] / n:g} (at {reached[0]} fixes, accuracy {reached[1]:.4f})")
    if diff:
        _, _, seq_reached = score([a.predictions[0] for a in alone])
        out(f"  fraction_of_fixes (from the sequential runs): {seq_reached[0] / n:g}")
    out("  reference: scikit-learn 1.2.1 scores baselines/random.csv 0.38 with steps 100 (challenges/fashion-cleaning/README.md)")


def mlp_prefixes(device, quick: bool):
    """[4] DataPerf's debugging shape: one mlp training per prefix of a 300-item order."""
    import numpy as np
    from sieve_torch.trainers import mlp

    n, d, test_n = 300, 2048, 500
    rng = np.random.default_rng(0)
    direction = rng.normal(0, 1, d)
    direction /= np.linalg.norm(direction)

    def draw(rows):
        labels = rng.integers(0, 2, rows)
        return (rng.normal(0, 1, (rows, d)) + np.outer(2 * labels - 1, direction) * 1.5).astype(np.float32), labels.astype(np.int64)

    x, truth = draw(n)
    tx, ty = draw(test_n)
    noisy = truth.copy()
    flipped = rng.choice(n, n * 3 // 10, replace=False)
    noisy[flipped] = 1 - noisy[flipped]
    order = rng.permutation(n)
    prefixes = list(range(10, n + 1, 10)) if quick else list(range(1, n + 1))
    jobs = []
    for p in prefixes:
        labels = noisy.copy()
        labels[order[:p]] = truth[order[:p]]
        jobs.append(job(x, labels, tx, f"jobs[{len(jobs)}]."))

    out()
    what = f"{len(prefixes)} prefixes (10, 20, ..., {n})" if quick else f"{len(prefixes)} prefixes (1..{n})"
    out(
        f"[4] DataPerf debugging shape: mlp {d} -> {MLP['hidden']} -> 2 (hidden {MLP['hidden']}, {MLP['epochs']} epochs, batchSize {MLP['batchSize']}, "
        f"AdamW lr {MLP['learningRate']} wd {MLP['weightDecay']}), {n} synthetic rows (seeded, 30% labels flipped), "
        f"one training per prefix of a {n}-item order: {what}, one train_batch"
    )
    warm = [job(x[:64], noisy[:64], tx[:8], "jobs[0]."), job(x[:64], truth[:64], tx[:8], "jobs[1].")]
    _, wall_warm = run_batch(mlp, warm, dict(MLP, epochs=1), device, classes=2)
    out(f"  warm-up (2 jobs, 1 epoch; not counted): {wall_warm:.3f} s")
    fit, wall = run_batch(mlp, jobs, MLP, device, classes=2)
    out(f"  one train_batch of {len(jobs)} jobs: {wall:.3f} s (training {fit.train_ms / 1000:.3f} s; {fit.iterations[0]} AdamW steps per job)")
    if not quick:
        out(f"  H100 target: < {H100_MLP_SECONDS:g} s for the {n} prefixes; this run: {wall:.3f} s")
    last_alone = mlp.fit_predict([jobs[-1]], MLP, 0, 2, device, quiet)
    out(f"  last job in the batch vs its single run: {differing(fit.predictions[-1], last_alone.predictions[0])}")
    out(f"  test accuracy, first / last prefix: {accuracy(fit.predictions[0], ty):.4f} / {accuracy(fit.predictions[-1], ty):.4f}")


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    try:
        import_runtime()
        device = choose_device(args.device)
        header(device, args.quick)
        ids, y, x = read_csv_gz(os.path.join(SELECTION, "pool.csv.gz"))
        _, ty, tx = read_csv_gz(os.path.join(SELECTION, "test.csv.gz"))
        sel = (ids, y, x, ty, tx)
        single = single_latency(sel, device, args.quick)
        throughput(sel, device, args.quick, single)
        cleaning(device, args.quick)
        mlp_prefixes(device, args.quick)
    except CheckError as error:
        out()
        out(f"gpu-check: FAILED: {error}")
        return 1
    except Exception as error:  # anything else: say what and where
        out()
        out(f"gpu-check: FAILED: {type(error).__name__}: {error}")
        traceback.print_exc()
        return 1
    out()
    out(f"gpu-check: done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
