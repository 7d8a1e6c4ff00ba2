"""The three error codes of the protocol and how exceptions map onto them."""

from __future__ import annotations

import torch


class RequestError(Exception):
    """The request is wrong (a field, a file, a parameter): code invalid_request.

    The message says what was wrong, where (the field path, the file, the row) and how to fix it.
    """


class MemoryBudgetExceeded(MemoryError):
    """A batch's data would exceed SIEVE_TORCH_MEMORY_MB: reported as out_of_memory, like a
    real allocation failure, so that the client splits the batch."""


def error_code(error: BaseException) -> str:
    """invalid_request | out_of_memory | internal."""
    if isinstance(error, RequestError):
        return "invalid_request"
    if is_out_of_memory(error):
        return "out_of_memory"
    return "internal"


def is_out_of_memory(error: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)  # torch >= 1.13
    if oom is not None and isinstance(error, oom):
        return True
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, RuntimeError):
        text = str(error)
        # CUDA: "CUDA out of memory"; the CPU allocator: "DefaultCPUAllocator: can't allocate memory"
        return "out of memory" in text or "can't allocate memory" in text
    return False
