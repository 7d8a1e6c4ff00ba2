"""The .npy files of a request: loaded and checked (shape, dtype, finite values, labels in
range) before any training starts, and the predictions written back."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import List

import numpy as np

from .errors import MemoryBudgetExceeded, RequestError
from .requests import JobFiles


@dataclass
class JobData:
    """One model's data, checked: x (n, d) float32, y (n,) int64 in 0..classes-1, px (m, d) float32."""

    where: str
    x: np.ndarray
    y: np.ndarray
    px: np.ndarray
    out: str

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def d(self) -> int:
        return int(self.x.shape[1])


def load_jobs(files: List[JobFiles], classes: int, expect_d: int = 0) -> List[JobData]:
    """Loads every job's files; all jobs must have the same number of features (and
    `expect_d` of them when it is not 0)."""
    jobs = [load_job(f, classes) for f in files]
    for job in jobs:
        if expect_d and job.d != expect_d:
            raise RequestError(
                f"{job.where}train.x has {job.d} features per row; this trainer needs {expect_d} "
                f"(28 x 28 grayscale pixels, row-major)"
            )
        if job.d != jobs[0].d:
            raise RequestError(
                f"{job.where}train.x has {job.d} features but {jobs[0].where}train.x has {jobs[0].d}; "
                f"the jobs of one batch must share their features"
            )
    return jobs


def memory_budget() -> int:
    """SIEVE_TORCH_MEMORY_MB in bytes (0: no budget): the most data one request may hold."""
    raw = os.environ.get("SIEVE_TORCH_MEMORY_MB", "").strip()
    if not raw:
        return 0
    try:
        mb = float(raw)
    except ValueError:
        raise ValueError(f"SIEVE_TORCH_MEMORY_MB must be a number of MiB, got {raw!r}") from None
    return int(mb * 2**20) if mb > 0 else 0


def check_budget(jobs: List[JobData], budget: int) -> None:
    """Refuses, as out of memory, a batch whose data alone exceeds `budget` bytes."""
    need = sum(job.x.nbytes + job.y.nbytes + job.px.nbytes for job in jobs)
    if budget and need > budget:
        raise MemoryBudgetExceeded(
            f"out of memory: the {len(jobs)} job(s) of this request hold {need / 2**20:.1f} MiB of data, "
            f"over SIEVE_TORCH_MEMORY_MB ({budget / 2**20:.1f} MiB)"
        )


def load_job(files: JobFiles, classes: int) -> JobData:
    w = files.where
    x = load_matrix(files.train_x, f"{w}train.x")
    if x.shape[0] < 1:
        raise RequestError(f"{w}train.x ({files.train_x}) has no rows; a model needs at least one training row")
    y = load_labels(files.train_y, f"{w}train.y", x.shape[0], classes)
    px = load_matrix(files.predict_x, f"{w}predict.x")
    if px.shape[1] != x.shape[1]:
        raise RequestError(
            f"{w}predict.x ({files.predict_x}) has {px.shape[1]} features per row but {w}train.x has {x.shape[1]}; "
            f"write both with the same columns"
        )
    check_out(files.out, f"{w}out", [files.train_x, files.train_y, files.predict_x])
    return JobData(where=w, x=x, y=y, px=px, out=files.out)


def load_array(path: str, where: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise RequestError(f"{where}: no file at {path!r}; write the .npy file before sending the request") from None
    except (IsADirectoryError, PermissionError) as error:
        raise RequestError(f"{where}: cannot read {path!r} ({error.strerror})") from None
    except (ValueError, OSError, EOFError) as error:
        raise RequestError(f"{where}: {path!r} is not a readable .npy array ({error})") from None
    if not isinstance(array, np.ndarray):
        raise RequestError(f"{where}: {path!r} holds an .npz archive, expected one .npy array")
    return array


def load_matrix(path: str, where: str) -> np.ndarray:
    array = load_array(path, where)
    if array.dtype != np.float32:
        raise RequestError(f"{where}: {path!r} holds {array.dtype}, expected float32 ('<f4'); convert the features to float32")
    if array.ndim != 2 or array.shape[1] < 1:
        raise RequestError(f"{where}: {path!r} has shape {array.shape}, expected (rows, features) with at least one feature")
    array = np.ascontiguousarray(array, dtype=np.dtype("<f4"))
    finite = np.isfinite(array)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise RequestError(f"{where}: {path!r} row {row}, feature {col} is {array[row, col]}; features must be finite")
    return array


def load_labels(path: str, where: str, rows: int, classes: int) -> np.ndarray:
    array = load_array(path, where)
    if array.dtype.kind not in "iu":
        raise RequestError(f"{where}: {path!r} holds {array.dtype}, expected int64 class indices")
    if array.ndim != 1 or array.shape[0] != rows:
        raise RequestError(f"{where}: {path!r} has shape {array.shape}, expected ({rows},): one label per training row")
    bad = np.flatnonzero((array < 0) | (array >= classes))
    if bad.size:
        raise RequestError(f"{where}: {path!r} label {array[bad[0]]} at row {bad[0]} is outside 0..{classes - 1} (classes = {classes})")
    return array.astype(np.int64)


def check_out(path: str, where: str, inputs: List[str]) -> None:
    target = os.path.abspath(path)
    if target in (os.path.abspath(p) for p in inputs):
        raise RequestError(f"{where} {path!r} is one of the request's input files; write the predictions elsewhere")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise RequestError(f"{where}: the folder of {path!r} does not exist; create it first")
    if os.path.isdir(target):
        raise RequestError(f"{where}: {path!r} is a folder, expected a file path")


def write_predictions(path: str, predictions: np.ndarray) -> None:
    """Writes int32 class indices as .npy ('<i4', shape (m,)), atomically: a reader sees the
    old file or the whole new one. The path is used as given (no '.npy' is appended)."""
    array = np.ascontiguousarray(predictions, dtype=np.dtype("<i4"))
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sieve-torch-", suffix=".npy.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
