"""AdamW for J models side by side, each with its own step count.

The update is torch.optim.AdamW's (amsgrad off, decoupled weight decay on every
parameter), for each job j at its own step t_j:

    p <- p * (1 - lr * weightDecay)
    m <- m * beta1 + g * (1 - beta1)
    v <- v * beta2 + (g * g) * (1 - beta2)
    p <- p - (m / (sqrt(v) / sqrt(1 - beta2^t_j) + eps)) * (lr / (1 - beta1^t_j))

written with one rounding per operation (no fused multiply-adds, which CPU kernels use
in their vector bodies but not their tails, so results would depend on a value's
position in the stacked tensor). torch.optim.AdamW itself is not used: its arithmetic
differs between releases (1.13 mul_/add_, 2.x lerp_) and it has one step count for all.
Bias corrections are computed in float64 and rounded to float32 once (a table
indexed by each job's step count).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


class BatchedAdamW:
    def __init__(
        self,
        params: Sequence[torch.Tensor],
        jobs: int,
        lr: float,
        weight_decay: float,
        max_steps: int,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
    ):
        """params: tensors whose first dimension is the job (J, ...), updated in place;
        max_steps: the most steps any job will take."""
        self.params = list(params)
        device = self.params[0].device
        self.decay = 1 - lr * weight_decay
        self.beta1, self.beta2 = betas
        self.eps = eps
        # step_size[t] = lr / (1 - beta1^t), bc2_sqrt[t] = sqrt(1 - beta2^t), t = 1..max_steps
        # (index 0 is never used by an active job), looked up on the device: no host round trip per step
        t = np.arange(max_steps + 1, dtype=np.float64)
        t[0] = 1
        self.step_size = torch.from_numpy((lr / (1 - self.beta1**t)).astype(np.float32)).to(device)
        self.bc2_sqrt = torch.from_numpy(np.sqrt(1 - self.beta2**t).astype(np.float32)).to(device)
        self.steps = torch.zeros(jobs, dtype=torch.long, device=device)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], active: torch.Tensor) -> None:
        """One update of the active jobs' parameters (active: (J,) bool on the parameters'
        device); the others are left exactly as they are."""
        self.steps += active.to(torch.long)
        step_size = self.step_size[self.steps]
        bc2_sqrt = self.bc2_sqrt[self.steps]
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            keep = active.view(shape)
            decayed = p * self.decay
            m1 = m * self.beta1 + g * (1 - self.beta1)
            v1 = v * self.beta2 + (g * g) * (1 - self.beta2)
            denom = torch.sqrt(v1) / bc2_sqrt.view(shape) + self.eps
            p1 = decayed - (m1 / denom) * step_size.view(shape)
            p.copy_(torch.where(keep, p1, p))
            m.copy_(torch.where(keep, m1, m))
            v.copy_(torch.where(keep, v1, v))
