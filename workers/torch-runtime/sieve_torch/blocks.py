"""Row blocks: how several jobs' rows are stacked so that one batched computation gives
every job the numbers it would get alone.

The rule (PROTOCOL.md, "Batching"): every matrix product works on one job's rows in
blocks of a fixed number of rows, so each product a job takes part in has the same
shapes whatever the other jobs are; padding rows are zero and masked out; a sum over
rows is a sum over blocks taken as a balanced tree of adjacent pairs over a power-of-two
number of blocks, so the zero blocks that padding adds to a job only ever add exact
zeros to that job's own sum.
"""

from __future__ import annotations

from typing import List, Sequence

import numpy as np
import torch

ROW_BLOCK = 256
"""Rows per block in the products over a job's data (logreg, predictions)."""

MAX_CHUNK_BLOCKS = 32
"""Blocks handled by one batched product: bounds the memory a request needs at once."""


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pow2_at_least(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def tree_sum(parts: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Sums `dim` as a balanced tree of adjacent pairs ((p0 + p1) + (p2 + p3)) + ..., after
    padding it with zeros to a power of two. Appending zero parts changes nothing but the
    sign of a zero: the result for the first parts is the same with any amount of padding."""
    size = parts.shape[dim]
    target = pow2_at_least(size)
    if target != size:
        shape = list(parts.shape)
        shape[dim] = target - size
        parts = torch.cat([parts, parts.new_zeros(shape)], dim)
    while parts.shape[dim] > 1:
        pairs = parts.unfold(dim, 2, 2)
        parts = pairs.select(-1, 0) + pairs.select(-1, 1)
    return parts.squeeze(dim)


def chunk_bounds(blocks: int) -> List[range]:
    """Blocks per batched product: aligned runs of a power-of-two length, so that a tree
    sum of the runs' tree sums is the tree sum over all blocks."""
    step = min(MAX_CHUNK_BLOCKS, pow2_at_least(blocks))
    return [range(start, min(start + step, blocks)) for start in range(0, blocks, step)]


def stack_rows(arrays: Sequence[np.ndarray], rows: int, ones_column: bool) -> np.ndarray:
    """(J, rows, d [+1]) float32: each job's rows, then zero rows. With `ones_column`, a
    last column of ones on the real rows (the intercept's input), zero on padding rows."""
    d = arrays[0].shape[1]
    out = np.zeros((len(arrays), rows, d + (1 if ones_column else 0)), dtype=np.float32)
    for j, a in enumerate(arrays):
        out[j, : a.shape[0], :d] = a
        if ones_column:
            out[j, : a.shape[0], d] = 1.0
    return out


def stack_labels(arrays: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """(J, rows) int64: each job's labels, then 0 (masked) on padding rows."""
    out = np.zeros((len(arrays), rows), dtype=np.int64)
    for j, a in enumerate(arrays):
        out[j, : a.shape[0]] = a
    return out


def row_mask(counts: Sequence[int], rows: int) -> np.ndarray:
    """(J, rows) bool: True on each job's real rows."""
    return np.arange(rows)[None, :] < np.asarray(counts, dtype=np.int64)[:, None]


def per_block(weights: torch.Tensor, blocks: int) -> torch.Tensor:
    """(J, a, b) -> (J * blocks, a, b): each job's matrix once per block of its rows."""
    j, a, b = weights.shape
    return weights.unsqueeze(1).expand(j, blocks, a, b).reshape(j * blocks, a, b)
