"""Shared test helpers: data sets, .npy files in a temporary folder, and the runtime as a
child process spoken to over its protocol."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from typing import Any, Dict, List, Optional

import numpy as np

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if RUNTIME_DIR not in sys.path:
    sys.path.insert(0, RUNTIME_DIR)

from sieve_torch.device import configure_torch  # noqa: E402

configure_torch()

FINAL_EVENTS = ("ready", "result", "error")


def digits():
    """scikit-learn's 8x8 digits, features scaled to [0, 1] float32, labels int64."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64)


def digits_28(rows: int):
    """The first `rows` digits as 28 x 28 images (each pixel 3 x 3, then a 2-pixel border), flat."""
    x, y = digits()
    images = np.kron(x[:rows].reshape(rows, 8, 8), np.ones((3, 3), dtype=np.float32))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return images.reshape(rows, 784).astype(np.float32), y[:rows]


def blobs(n: int, d: int, classes: int, seed: int, spread: float = 1.0):
    """Gaussian blobs: n rows around `classes` random centres, float32, int64 labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (classes, d))
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.normal(0, spread, (n, d))
    return x.astype(np.float32), y.astype(np.int64)


def images(n: int, classes: int, seed: int):
    """28 x 28 images whose class is where a bright 8 x 8 square sits, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.uniform(0, 0.3, (n, 28, 28))
    for i, c in enumerate(y):
        r, col = divmod(int(c) * 9 % 20, 10)
        x[i, r * 10 : r * 10 + 8, col * 2 : col * 2 + 8] += 0.7
    return x.reshape(n, 784).astype(np.float32), y.astype(np.int64)


class Files:
    """A temporary folder of .npy files."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="sieve-torch-test-")
        self.dir = self._dir.name

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def save(self, name: str, array: np.ndarray) -> str:
        path = self.path(name)
        with open(path, "wb") as f:
            np.save(f, array)
        return path

    def job(self, prefix: str, x: np.ndarray, y: np.ndarray, px: np.ndarray) -> Dict[str, Any]:
        """A request's {train, predict, out} for these arrays."""
        return {
            "train": {"x": self.save(f"{prefix}-x.npy", x), "y": self.save(f"{prefix}-y.npy", y)},
            "predict": {"x": self.save(f"{prefix}-px.npy", px)},
            "out": self.path(f"{prefix}-out.npy"),
        }

    def close(self) -> None:
        self._dir.cleanup()


class Runtime:
    """`python3 -m sieve_torch` in workers/torch-runtime, as the TS worker starts it."""

    def __init__(self, env: Optional[Dict[str, str]] = None):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sieve_torch"],
            cwd=RUNTIME_DIR,
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self.lines: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.next_id = 0

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def send_raw(self, line: bytes) -> None:
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def next_event(self, timeout: float = 60) -> Dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise AssertionError(f"the runtime closed stdout; stderr:\n{self.stderr_text()}")
        return json.loads(line)

    def request(self, body: Dict[str, Any], timeout: float = 60) -> List[Dict[str, Any]]:
        """Sends one request (an id is added unless given) and returns its events, the final one last."""
        if "id" not in body:
            self.next_id += 1
            body = {"id": f"t{self.next_id}", **body}
        self.send_raw((json.dumps(body) + "\n").encode())
        return self.events_until_final(body["id"], timeout)

    def events_until_final(self, rid: Any, timeout: float = 60) -> List[Dict[str, Any]]:
        events = []
        while True:
            event = self.next_event(timeout)
            if event.get("id") != rid:
                raise AssertionError(f"an event for id {event.get('id')!r} while waiting for {rid!r}: {event}")
            events.append(event)
            if event["event"] in FINAL_EVENTS:
                return events

    def close(self, timeout: float = 30) -> int:
        """Closes stdin (EOF) and returns the exit status."""
        self.proc.stdin.close()
        code = self.proc.wait(timeout)
        self.proc.stdout.close()
        self.stderr.close()
        return code

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-4000:]
