"""What every trainer returns, and the blocked forward pass that predictions share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, List, Sequence

import numpy as np
import torch

from ..blocks import ROW_BLOCK, ceil_div, chunk_bounds, stack_rows
from ..device import synchronize

Progress = Callable[[int, int], None]
"""progress(done, total): called after each epoch (a batch of cnn jobs counts every job's epochs)."""


@dataclass
class Fit:
    predictions: List[np.ndarray]  # int32, one array per job
    iterations: List[int]  # optimizer steps per job
    train_ms: float


class Stopwatch:
    """Wall-clock milliseconds of device work (waits for the device before reading the clock)."""

    def __init__(self, device: torch.device):
        self.device = device
        synchronize(device)
        self.start = time.perf_counter()

    def ms(self) -> float:
        synchronize(self.device)
        return (time.perf_counter() - self.start) * 1000.0


def predict_rows(
    xs: Sequence[np.ndarray],
    device: torch.device,
    logits: Callable[[torch.Tensor, int], torch.Tensor],
) -> List[np.ndarray]:
    """Argmax classes (lowest index on ties) for each job's rows, int32.

    `logits(rows, blocks)` gets (J * blocks, ROW_BLOCK, d + 1) float32 rows (a last column of
    ones), job-major, and returns (J * blocks, ROW_BLOCK, classes): every product then has a
    per-job shape that does not depend on the other jobs, so neither do the predictions.
    """
    jobs = len(xs)
    counts = [x.shape[0] for x in xs]
    blocks = ceil_div(max(counts), ROW_BLOCK)
    if blocks == 0:
        return [np.zeros(0, dtype=np.int32) for _ in xs]
    stacked = stack_rows(xs, blocks * ROW_BLOCK, ones_column=True)
    stacked = stacked.reshape(jobs, blocks, ROW_BLOCK, -1)
    found = []
    with torch.no_grad():
        for run in chunk_bounds(blocks):
            part = torch.from_numpy(np.ascontiguousarray(stacked[:, run.start : run.stop])).to(device)
            n = len(run)
            z = logits(part.view(jobs * n, ROW_BLOCK, -1), n)
            found.append(torch.argmax(z, dim=-1).view(jobs, n * ROW_BLOCK).cpu())
    classes = torch.cat(found, dim=1).numpy()
    return [classes[j, : counts[j]].astype(np.int32) for j in range(jobs)]
