"""The request loop: one JSON request per stdin line, one JSON event per stdout line
(flushed at once), requests served one at a time in order. A bad request is answered
with an error event and the loop goes on; EOF on stdin ends it (exit status 0)."""

from __future__ import annotations

import gc
import json
import logging
import time
import traceback
from typing import Any, BinaryIO, Dict, Iterable, Optional

import torch

from . import RUNTIME_NAME, RUNTIME_VERSION
from .data import check_budget, load_jobs, write_predictions
from .device import device_name, resolve_device
from .errors import RequestError, error_code
from .requests import Hello, Train, parse_request, request_id
from .trainers import FEATURES, TRAINERS

log = logging.getLogger("sieve_torch")


class Server:
    def __init__(self, out: BinaryIO, budget: int = 0):
        self.out = out
        self.budget = budget  # bytes of data one request may hold (0: no limit)

    def send(self, event: Dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n"
        self.out.write(line.encode("utf-8"))
        self.out.flush()

    def serve(self, lines: Iterable[bytes]) -> int:
        for raw in lines:
            self.handle_line(raw)
        log.info("stdin closed; exiting")
        return 0

    def handle_line(self, raw: bytes) -> None:
        text = raw.strip()
        if not text:
            return
        rid: Optional[str] = None
        started = time.perf_counter()
        try:
            try:
                message = json.loads(text.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise RequestError(f"a request line must be one JSON object in UTF-8 ({error}); got {text[:80]!r}") from None
            rid = request_id(message)
            request = parse_request(message)
            if isinstance(request, Hello):
                self.hello(request)
            else:
                self.train(request)
        except Exception as error:  # a request never takes the runtime down
            self.fail(rid, error)
        finally:
            log.info("request %s done in %.0f ms", rid, (time.perf_counter() - started) * 1000)

    def hello(self, request: Hello) -> None:
        device = resolve_device("auto")
        self.send(
            {
                "id": request.id,
                "event": "ready",
                "runtime": {"name": RUNTIME_NAME, "version": RUNTIME_VERSION},
                "torch": str(torch.__version__),
                "device": device.type,
                "deviceName": device_name(device),
            }
        )

    def train(self, request: Train) -> None:
        device = resolve_device(request.device)
        module = TRAINERS[request.trainer]
        log.info(
            "request %s: %s %s, %d job(s), seed %d, on %s",
            request.id,
            "train_batch" if request.batch else "train",
            request.trainer,
            len(request.jobs),
            request.seed,
            device,
        )
        jobs = load_jobs(request.jobs, request.classes, FEATURES[request.trainer])
        check_budget(jobs, self.budget)

        def progress(done: int, total: int) -> None:
            self.send({"id": request.id, "event": "progress", "epoch": done, "epochs": total})

        fit = module.fit_predict(jobs, request.params, request.seed, request.classes, device, progress)
        for job, predictions in zip(jobs, fit.predictions):
            try:
                write_predictions(job.out, predictions)
            except (FileNotFoundError, NotADirectoryError, PermissionError, IsADirectoryError) as error:
                raise RequestError(f"{job.where}out: cannot write {job.out!r} ({error.strerror})") from None
        trainer = {"name": module.NAME, "version": module.VERSION, "device": device.type}
        ms = round(fit.train_ms, 1)
        if request.batch:
            results = [{"out": job.out, "iterations": it} for job, it in zip(jobs, fit.iterations)]
            self.send({"id": request.id, "event": "result", "results": results, "trainer": trainer, "ms": ms})
        else:
            self.send(
                {"id": request.id, "event": "result", "trainer": trainer, "out": jobs[0].out, "iterations": fit.iterations[0], "ms": ms}
            )

    def fail(self, rid: Optional[str], error: Exception) -> None:
        code = error_code(error)
        if code == "invalid_request":
            message = str(error)
            log.warning("request %s: invalid: %s", rid, message)
        elif code == "out_of_memory":
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            message = (
                f"out of memory while training ({first}); send fewer jobs per train_batch, "
                f"smaller data or params (hidden, batchSize), or device \"cpu\""
            )
            log.warning("request %s: out of memory: %s", rid, first)
            release_memory()
        else:
            message = f"{type(error).__name__}: {error} (a bug in sieve-torch; the traceback is on its stderr)"
            log.error("request %s: internal error\n%s", rid, traceback.format_exc())
        self.send({"id": rid, "event": "error", "code": code, "message": message})


def release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
