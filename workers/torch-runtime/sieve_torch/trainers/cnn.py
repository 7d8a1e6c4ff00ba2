"""torch-cnn: a small fixed CNN for 28 x 28 grayscale images (rows of 784 pixels, row-major,
scaled by the caller):

  conv(1 -> 16, 3x3, pad 1) ReLU maxpool2 -> conv(16 -> 32, 3x3, pad 1) ReLU maxpool2
  -> flatten -> linear(32*7*7 -> 64) ReLU -> linear(64 -> classes)

trained on the softmax cross-entropy, mean over each mini-batch, with AdamW (adamw.py),
mini-batches as the mlp's (a seeded randperm per epoch). Initial weights: the modules'
default init, built on the CPU right after torch.manual_seed(seed).

A batch of cnn jobs trains one job after another inside the request (the same code as
one job alone, so the same numbers); only logreg and mlp batch their arithmetic.
"""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
import torch
from torch import nn

from ..adamw import BatchedAdamW
from ..data import JobData
from ..errors import RequestError
from .common import Fit, Progress, Stopwatch

NAME = "torch-cnn"
VERSION = "1.0.0"
SIDE = 28
PREDICT_ROWS = 1024


def build(classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, classes),
    )


def fit_predict(jobs: Sequence[JobData], params: Dict, seed: int, classes: int, device: torch.device, progress: Progress) -> Fit:
    epochs = int(params["epochs"])
    predictions, iterations, train_ms = [], [], 0.0
    for j, job in enumerate(jobs):
        done = j * epochs
        fit_ms, model = _train(job, params, seed, classes, device, lambda e: progress(done + e, epochs * len(jobs)))
        train_ms += fit_ms
        predictions.append(_predict(model, job.px, device))
        iterations.append(epochs * -(-job.n // int(params["batchSize"])))
    return Fit(predictions, iterations, train_ms)


def _train(job: JobData, params: Dict, seed: int, classes: int, device: torch.device, progress) -> "tuple[float, nn.Module]":
    epochs, batch = int(params["epochs"]), int(params["batchSize"])
    torch.manual_seed(seed)
    model = build(classes).to(device)
    shuffler = torch.Generator().manual_seed(seed)
    weights = list(model.parameters())
    steps = epochs * -(-job.n // batch)
    optimizer = BatchedAdamW([p.detach().unsqueeze(0) for p in weights], 1, float(params["learningRate"]), float(params["weightDecay"]), steps)
    active = torch.ones(1, dtype=torch.bool, device=device)
    x = torch.from_numpy(job.x).to(device).view(job.n, 1, SIDE, SIDE)
    y = torch.from_numpy(job.y).to(device)
    class_ids = torch.arange(classes, device=device)

    watch = Stopwatch(device)
    for epoch in range(epochs):
        order = torch.randperm(job.n, generator=shuffler).to(device)
        for start in range(0, job.n, batch):
            rows = order[start : start + batch]
            onehot = (y[rows].view(-1, 1) == class_ids).to(torch.float32)
            # cross-entropy via a one-hot product: nll_loss / gather backward have no
            # deterministic CUDA kernels in some torch releases
            loss = -(torch.log_softmax(model(x[rows]), 1) * onehot).sum() / rows.numel()
            for p in weights:
                p.grad = None
            loss.backward()
            optimizer.step([p.grad.unsqueeze(0) for p in weights], active)
        progress(epoch + 1)
    if not all(torch.isfinite(p).all() for p in weights):
        raise RequestError(
            f"cnn: training diverged for {job.where.rstrip('.') or 'the model'} (a weight became non-finite); "
            f"lower params.learningRate ({params['learningRate']})"
        )
    return watch.ms(), model


@torch.no_grad()
def _predict(model: nn.Module, px: np.ndarray, device: torch.device) -> np.ndarray:
    out = np.zeros(px.shape[0], dtype=np.int32)
    for start in range(0, px.shape[0], PREDICT_ROWS):
        rows = torch.from_numpy(px[start : start + PREDICT_ROWS]).to(device).view(-1, 1, SIDE, SIDE)
        out[start : start + rows.shape[0]] = torch.argmax(model(rows), dim=1).cpu().numpy()
    return out
