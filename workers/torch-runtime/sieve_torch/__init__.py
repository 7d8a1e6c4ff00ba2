"""Sieve's PyTorch trainer runtime: `python3 -m sieve_torch`, spoken to over stdin/stdout.

The protocol, the trainers and the numeric contract are in ../PROTOCOL.md.

This file runs before any module of the package imports torch, so the cuBLAS setting
that deterministic CUDA matrix products need is in the environment before CUDA starts.
"""

import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

RUNTIME_NAME = "sieve-torch"
RUNTIME_VERSION = "1.0.0"
