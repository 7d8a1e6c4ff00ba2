"""torch-logreg: L2-penalized multinomial logistic regression, the TS logreg's model
(workers/trainers/logreg/logreg.ts, scikit-learn 1.2's LogisticRegression(C, lbfgs)):

- fit on the classes PRESENT in the job's labels, predict only those; absent classes'
  scores are -inf (probability 0), so their weights stay at exactly 0;
- objective  sum_i [log sum_k exp(z_ik) - z_i,y_i] + ||W||^2 / (2C), intercepts not penalized,
  from zero weights, z = x W + b, float32;
- exactly 2 present classes: scikit-learn fits ONE weight vector w (sigmoid) with penalty
  ||w||^2 / (2C). The softmax model over 2 classes has the same minimizer for
  w = w1 - w0 when its penalty is ||W||^2 / C (w0 = -w1 = -w/2 at the optimum), so the
  penalty factor doubles for such jobs; the gradient of each of w0, w1 then equals the
  binary model's, so `tol` means the same;
- torch.optim.LBFGS's algorithm (lbfgs.py): strong Wolfe line search, history 10,
  max_iter = maxIter, tolerance_grad = tol, max_eval = maxIter * 5 // 4, tolerance_change 1e-9, lr 1;
- fewer than 2 present classes: invalid_request (scikit-learn refuses too).

No random numbers: the seed changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

from ..blocks import ROW_BLOCK, ceil_div, chunk_bounds, per_block, row_mask, stack_labels, stack_rows, tree_sum
from ..data import JobData
from ..errors import RequestError
from ..lbfgs import minimize_jobs
from .common import Fit, Progress, Stopwatch, predict_rows

NAME = "torch-logreg"
VERSION = "1.0.0"


@dataclass
class LogRegFit:
    weights: torch.Tensor  # (J, d + 1, classes): weight rows, then the intercepts; absent classes 0
    absent: torch.Tensor  # (J, classes) bool: classes not in the job's training labels
    iterations: List[int]  # L-BFGS iterations per job
    train_ms: float


def fit(jobs: Sequence[JobData], params: Dict, classes: int, device: torch.device) -> LogRegFit:
    absent = np.ones((len(jobs), classes), dtype=bool)
    l2 = []
    for j, job in enumerate(jobs):
        present = np.unique(job.y)
        if present.size < 2:
            raise RequestError(
                f"{job.where}train.y holds only class {present[0]}; logreg needs at least 2 classes in the training labels"
            )
        absent[j, present] = False
        l2.append((2.0 if present.size == 2 else 1.0) / params["C"])

    objective = LogLoss([job.x for job in jobs], [job.y for job in jobs], absent, l2, device)
    watch = Stopwatch(device)
    results = minimize_jobs(
        objective,
        torch.zeros(len(jobs), (objective.d + 1) * classes),
        max_iter=int(params["maxIter"]),
        tolerance_grad=float(params["tol"]),
        history_size=10,
    )
    weights = torch.stack([r.x for r in results]).view(len(jobs), objective.d + 1, classes).to(device)
    for j, job in enumerate(jobs):
        if not torch.isfinite(weights[j]).all():
            raise RequestError(
                f"logreg: training diverged for {job.where.rstrip('.') or 'the model'} (a weight became non-finite "
                f"in float32); scale the features to a moderate range"
            )
    return LogRegFit(weights, torch.from_numpy(absent).to(device), [r.iterations for r in results], watch.ms())


def fit_predict(jobs: Sequence[JobData], params: Dict, seed: int, classes: int, device: torch.device, progress: Progress) -> Fit:
    torch.manual_seed(seed)  # nothing here draws random numbers; set for the protocol's rule
    model = fit(jobs, params, classes, device)
    predictions = predict_rows([job.px for job in jobs], device, lambda rows, blocks: logits(model, rows, blocks))
    return Fit(predictions, model.iterations, model.train_ms)


def logits(model: LogRegFit, rows: torch.Tensor, blocks: int) -> torch.Tensor:
    """rows (J * blocks, r, d + 1) -> scores (J * blocks, r, classes), -inf for absent classes."""
    jobs, _, classes = model.weights.shape
    z = torch.bmm(rows, per_block(model.weights, blocks))
    mask = model.absent.view(jobs, 1, 1, classes)
    return z.view(jobs, blocks, -1, classes).masked_fill(mask, float("-inf")).view_as(z)


class LogLoss:
    """The objective of J jobs, evaluated together: for the listed jobs at their points
    (flat (d+1) x k matrices: the weight rows, then the intercepts), each job's
    sum of log-losses + penalty and its gradient.

    A job's rows are in blocks of ROW_BLOCK (zero rows and a 0 mask after its last row);
    scores, probabilities and gradient parts are per block (products of fixed shapes), and
    the sums over blocks are tree sums (blocks.py): a job's loss and gradient do not depend
    on the jobs evaluated with it.
    """

    def __init__(self, xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], absent: np.ndarray, l2: Sequence[float], device: torch.device):
        self.device = device
        self.jobs = len(xs)
        self.d = xs[0].shape[1]
        self.k = absent.shape[1]
        blocks = ceil_div(max(x.shape[0] for x in xs), ROW_BLOCK)
        rows = blocks * ROW_BLOCK
        x = stack_rows(xs, rows, ones_column=True).reshape(self.jobs, blocks, ROW_BLOCK, self.d + 1)
        labels = stack_labels(ys, rows).reshape(self.jobs, blocks, ROW_BLOCK, 1)
        mask = row_mask([x.shape[0] for x in xs], rows).reshape(self.jobs, blocks, ROW_BLOCK, 1)
        self.blocks = [ceil_div(x.shape[0], ROW_BLOCK) for x in xs]
        self.starts: List[int] = []
        self.chunks: List[Tuple[torch.Tensor, ...]] = []
        for run in chunk_bounds(blocks):
            self.starts.append(run.start)
            xc = torch.from_numpy(np.ascontiguousarray(x[:, run.start : run.stop])).to(device)
            lc = torch.from_numpy(np.ascontiguousarray(labels[:, run.start : run.stop])).to(device)
            mc = torch.from_numpy(np.ascontiguousarray(mask[:, run.start : run.stop])).to(device)
            hot = (labels[:, run.start : run.stop] == np.arange(self.k)) & mask[:, run.start : run.stop]
            onehot = torch.from_numpy(hot.astype(np.float32)).to(device)
            self.chunks.append((xc, lc, mc, onehot))
        self.absent = torch.from_numpy(absent).to(device).view(self.jobs, 1, 1, self.k)
        l2_t = torch.tensor(list(l2), dtype=torch.float32)
        self.half_l2 = torch.tensor([0.5 * v for v in l2], dtype=torch.float32).to(device)
        pen = l2_t.view(-1, 1, 1).repeat(1, self.d + 1, 1)
        pen[:, self.d, :] = 0.0  # intercepts are not penalized
        self.pen = pen.to(device)
        self.zero = torch.zeros((), dtype=torch.float32, device=device)
        self._subset: Tuple[Tuple[int, ...], List[Tuple[torch.Tensor, ...]], torch.Tensor, torch.Tensor, torch.Tensor] = (
            tuple(range(self.jobs)),
            self.chunks,
            self.absent,
            self.half_l2,
            self.pen,
        )

    def _select(self, jobs: Tuple[int, ...]):
        """The data of the listed jobs; chunks where none of them has rows are left out
        (they would only add zeros)."""
        if jobs != self._subset[0]:
            index = torch.tensor(jobs, dtype=torch.long, device=self.device)
            needed = max(self.blocks[j] for j in jobs)
            chunks = [tuple(t.index_select(0, index) for t in chunk) for start, chunk in zip(self.starts, self.chunks) if start < needed]
            self._subset = (
                jobs,
                chunks,
                self.absent.index_select(0, index),
                self.half_l2.index_select(0, index),
                self.pen.index_select(0, index),
            )
        return self._subset[1:]

    @torch.no_grad()
    def __call__(self, jobs: Sequence[int], points: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        chunks, absent, half_l2, pen = self._select(tuple(jobs))
        n_jobs, d, k = len(jobs), self.d, self.k
        w = points.to(self.device).view(n_jobs, d + 1, k)
        grad_parts, loss_parts = [], []
        for xc, lc, mc, onehot in chunks:
            blocks = xc.shape[1]
            xb = xc.view(n_jobs * blocks, ROW_BLOCK, d + 1)
            z = torch.bmm(xb, per_block(w, blocks)).view(n_jobs, blocks, ROW_BLOCK, k)
            z = z.masked_fill(absent, float("-inf"))
            residual = torch.where(mc, torch.softmax(z, -1) - onehot, self.zero)
            grad = torch.bmm(xb.transpose(1, 2), residual.view(n_jobs * blocks, ROW_BLOCK, k))
            grad_parts.append(tree_sum(grad.view(n_jobs, blocks, d + 1, k), 1))
            row_loss = torch.where(mc, -torch.log_softmax(z, -1).gather(-1, lc), self.zero)
            ones = torch.ones(n_jobs * blocks, ROW_BLOCK, 1, dtype=torch.float32, device=self.device)
            loss = torch.bmm(row_loss.view(n_jobs * blocks, 1, ROW_BLOCK), ones)
            loss_parts.append(tree_sum(loss.view(n_jobs, blocks), 1))
        grad = tree_sum(torch.stack(grad_parts, 1), 1)
        loss = tree_sum(torch.stack(loss_parts, 1), 1)
        weights = w[:, :d, :].reshape(n_jobs, 1, d * k)
        squares = torch.bmm(weights, weights.transpose(1, 2)).view(n_jobs)
        f = loss + half_l2 * squares
        g = grad + w * pen
        return f, g.view(n_jobs, (d + 1) * k)
