"""torch-mlp: d -> Linear -> ReLU (hidden) -> Linear -> classes logits, trained on the
softmax cross-entropy, mean over each mini-batch, with AdamW (adamw.py; betas 0.9/0.999,
eps 1e-8, decay on weights and biases), as the TS mlp (workers/trainers/mlp/mlp.ts):

- initial weights: nn.Linear(d, hidden) then nn.Linear(hidden, classes), built on the CPU
  right after torch.manual_seed(seed) (torch's default init, uniform in +-1/sqrt(fan_in));
- each epoch: order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)),
  the generator carried across epochs; steps over order[0:batchSize], order[batchSize:
  2 batchSize], ... (the last batch may be smaller): epochs * ceil(n / batchSize) steps;
- all `classes` logits always; predictions: argmax, lowest index on ties.

Jobs train side by side: one batched forward/backward per step for all jobs (each its
own rows, weights and AdamW state; a job whose epoch has fewer steps sits the extra
steps out untouched). The gradients are written out (no autograd), with every product
per row block of min(batchSize, 256) rows and tree sums over blocks (blocks.py), so a
job's numbers are the ones it gets alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ..adamw import BatchedAdamW
from ..blocks import ROW_BLOCK, ceil_div, per_block, stack_labels, stack_rows, tree_sum
from ..data import JobData
from ..errors import RequestError
from .common import Fit, Progress, Stopwatch, predict_rows

NAME = "torch-mlp"
VERSION = "1.0.0"


def initial_weights(d: int, hidden: int, classes: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """(d+1, hidden) and (hidden+1, classes): nn.Linear's weights transposed, then the bias row."""
    torch.manual_seed(seed)
    first = nn.Linear(d, hidden)
    second = nn.Linear(hidden, classes)
    with torch.no_grad():
        w1 = torch.cat([first.weight.t(), first.bias.unsqueeze(0)], 0)
        w2 = torch.cat([second.weight.t(), second.bias.unsqueeze(0)], 0)
    return w1.contiguous(), w2.contiguous()


@dataclass
class MlpFit:
    first: torch.Tensor  # (J, d + 1, hidden): layer 1 weights transposed, then its bias row
    second: torch.Tensor  # (J, hidden + 1, classes)
    iterations: List[int]  # optimizer steps per job
    train_ms: float


def fit_predict(jobs: Sequence[JobData], params: Dict, seed: int, classes: int, device: torch.device, progress: Progress) -> Fit:
    model = fit(jobs, params, seed, classes, device, progress)
    predictions = predict_rows([job.px for job in jobs], device, lambda rows, blocks: logits(model.first, model.second, rows, blocks))
    return Fit(predictions, model.iterations, model.train_ms)


def logits(first: torch.Tensor, second: torch.Tensor, rows: torch.Tensor, blocks: int) -> torch.Tensor:
    """rows (J * blocks, r, d + 1) -> (J * blocks, r, classes)."""
    hidden = torch.relu(torch.bmm(rows, per_block(first, blocks)))
    hidden = torch.cat([hidden, torch.ones(hidden.shape[:-1] + (1,), dtype=hidden.dtype, device=hidden.device)], -1)
    return torch.bmm(hidden, per_block(second, blocks))


def fit(jobs: Sequence[JobData], params: Dict, seed: int, classes: int, device: torch.device, progress: Progress) -> MlpFit:
    hidden, epochs, batch = int(params["hidden"]), int(params["epochs"]), int(params["batchSize"])
    n_jobs, d = len(jobs), jobs[0].d
    counts = [job.n for job in jobs]
    block = min(batch, ROW_BLOCK)
    blocks = max(ceil_div(min(batch, n), block) for n in counts)
    width = blocks * block  # rows of one step, per job
    steps = [ceil_div(n, batch) for n in counts]

    w1, w2 = initial_weights(d, hidden, classes, seed)
    first = w1.unsqueeze(0).repeat(n_jobs, 1, 1).to(device)
    second = w2.unsqueeze(0).repeat(n_jobs, 1, 1).to(device)
    x = torch.from_numpy(stack_rows([job.x for job in jobs], max(counts), ones_column=True)).to(device)
    y = torch.from_numpy(stack_labels([job.y for job in jobs], max(counts))).to(device)
    shufflers = [torch.Generator().manual_seed(seed) for _ in jobs]
    optimizer = BatchedAdamW([first, second], n_jobs, float(params["learningRate"]), float(params["weightDecay"]), epochs * max(steps))
    net = _Network(n_jobs, blocks, block, classes, device)
    job_rows = torch.arange(n_jobs, device=device).view(n_jobs, 1)

    watch = Stopwatch(device)
    for epoch in range(epochs):
        order = np.zeros((max(steps), n_jobs, width), dtype=np.int64)
        sizes = np.zeros((max(steps), n_jobs), dtype=np.int64)
        for j, n in enumerate(counts):
            perm = np.zeros(steps[j] * batch, dtype=np.int64)
            perm[:n] = torch.randperm(n, generator=shufflers[j]).numpy()
            take = min(batch, width)  # a step's rows always fit: width >= min(batch, n)
            order[: steps[j], j, :take] = perm.reshape(steps[j], batch)[:, :take]
            sizes[: steps[j], j] = batch
            sizes[steps[j] - 1, j] = n - (steps[j] - 1) * batch
        order_t = torch.from_numpy(order).to(device)
        sizes_t = torch.from_numpy(sizes).to(device)
        for s in range(max(steps)):
            xb = x[job_rows, order_t[s]]
            yb = y[job_rows, order_t[s]]
            grads = net.gradients(first, second, xb, yb, sizes_t[s])
            optimizer.step(grads, sizes_t[s] > 0)
        progress(epoch + 1, epochs)
    diverged = [j for j in range(n_jobs) if not (torch.isfinite(first[j]).all() and torch.isfinite(second[j]).all())]
    if diverged:
        where = jobs[diverged[0]].where or "the model"
        raise RequestError(
            f"mlp: training diverged for {where.rstrip('.')} (a weight became non-finite); "
            f"lower params.learningRate ({params['learningRate']})"
        )
    return MlpFit(first, second, [epochs * s for s in steps], watch.ms())


class _Network:
    """The forward and backward pass of J one-hidden-layer networks on their step rows."""

    def __init__(self, jobs: int, blocks: int, block: int, classes: int, device: torch.device):
        self.jobs, self.blocks, self.block, self.classes = jobs, blocks, block, classes
        self.zero = torch.zeros((), dtype=torch.float32, device=device)
        self.class_ids = torch.arange(classes, device=device)
        self.positions = torch.arange(blocks * block, device=device).view(1, -1)

    @torch.no_grad()
    def gradients(self, first: torch.Tensor, second: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, sizes: torch.Tensor) -> List[torch.Tensor]:
        """The gradient of each job's mean cross-entropy over its sizes[j] first rows of xb."""
        jobs, blocks, block, k = self.jobs, self.blocks, self.block, self.classes
        h = first.shape[2]
        rows = xb.view(jobs * blocks, block, -1)
        z1 = torch.bmm(rows, per_block(first, blocks))
        a1 = torch.relu(z1)
        a1 = torch.cat([a1, torch.ones(a1.shape[:-1] + (1,), dtype=a1.dtype, device=a1.device)], -1)
        z2 = torch.bmm(a1, per_block(second, blocks))
        onehot = (yb.view(jobs * blocks, block, 1) == self.class_ids).to(torch.float32)
        mask = (self.positions < sizes.view(jobs, 1)).view(jobs * blocks, block, 1)
        count = sizes.clamp(min=1).to(torch.float32).view(jobs, 1, 1, 1)
        residual = ((torch.softmax(z2, -1) - onehot).view(jobs, blocks, block, k) / count).view_as(z2)
        g2 = torch.where(mask, residual, self.zero)
        grad_second = tree_sum(torch.bmm(a1.transpose(1, 2), g2).view(jobs, blocks, h + 1, k), 1)
        back = torch.bmm(g2, per_block(second[:, :h, :], blocks).transpose(1, 2))
        g1 = torch.where(z1 > 0, back, self.zero)
        grad_first = tree_sum(torch.bmm(rows.transpose(1, 2), g1).view(jobs, blocks, rows.shape[2], h), 1)
        return [grad_first, grad_second]
