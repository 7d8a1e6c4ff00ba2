"""Torch's global settings for reproducible float32 training, and the choice of device."""

from __future__ import annotations

import os
import platform

import torch


def configure_torch() -> None:
    """Deterministic kernels, no autotuning, no TF32: float32 means float32 on every device."""
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
    # CPU kernels may split a reduction differently with another thread count, so a fixed
    # count (not "as many as there are cores") keeps CPU results the same on every machine.
    torch.set_num_threads(int(os.environ.get("SIEVE_TORCH_THREADS", "1")))


def resolve_device(requested: str) -> torch.device:
    """'auto': the first CUDA device when torch sees one, else the CPU; 'cpu': the CPU."""
    if requested == "auto" and torch.cuda.is_available():
        return torch.device("cuda", 0)
    return torch.device("cpu")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def synchronize(device: torch.device) -> None:
    """Waits for the device's queued work (for honest timings)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
