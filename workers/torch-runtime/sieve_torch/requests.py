"""Request validation: a JSON object in, a typed request out, or a RequestError that names
the field (`params.C`, `jobs[2].train.x`), what was wrong and what is expected."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Union

from .errors import RequestError

TRAINERS = ("logreg", "mlp", "cnn")
DEVICES = ("auto", "cpu")
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Param:
    """One trainer parameter: an integer or a real number with a lower bound."""

    kind: str  # "int" | "number"
    low: float
    low_inclusive: bool

    def describe(self) -> str:
        what = "an integer" if self.kind == "int" else "a number"
        op = ">=" if self.low_inclusive else ">"
        return f"{what} {op} {self.low:g}"

    def check(self, value: Any, where: str) -> Union[int, float]:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError(f"{where} must be {self.describe()}, got {json_repr(value)}")
        if self.kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise RequestError(f"{where} must be {self.describe()}, got {value!r}")
                value = int(value)
        elif not math.isfinite(value):
            raise RequestError(f"{where} must be a finite number, got {value!r}")
        ok = value >= self.low if self.low_inclusive else value > self.low
        if not ok:
            raise RequestError(f"{where} must be {self.describe()}, got {value!r}")
        return value


# The parameters each trainer takes: all required, no others (a typo is an error, not a default).
PARAMS: Dict[str, Dict[str, Param]] = {
    "logreg": {
        "C": Param("number", 0, False),
        "maxIter": Param("int", 1, True),
        "tol": Param("number", 0, True),
    },
    "mlp": {
        "hidden": Param("int", 1, True),
        "epochs": Param("int", 1, True),
        "batchSize": Param("int", 1, True),
        "learningRate": Param("number", 0, False),
        "weightDecay": Param("number", 0, True),
    },
    "cnn": {
        "epochs": Param("int", 1, True),
        "batchSize": Param("int", 1, True),
        "learningRate": Param("number", 0, False),
        "weightDecay": Param("number", 0, True),
    },
}


@dataclass(frozen=True)
class Hello:
    id: str


@dataclass(frozen=True)
class JobFiles:
    """The files of one model: where they were named in the request, for messages."""

    where: str  # "" for op train, "jobs[3]." for op train_batch
    train_x: str
    train_y: str
    predict_x: str
    out: str


@dataclass(frozen=True)
class Train:
    id: str
    batch: bool  # op train_batch
    trainer: str
    params: Mapping[str, Union[int, float]]
    seed: int
    classes: int
    device: str
    jobs: List[JobFiles]


Request = Union[Hello, Train]

_TRAIN_KEYS = {"id", "op", "trainer", "params", "seed", "classes", "train", "predict", "out", "device"}
_BATCH_KEYS = {"id", "op", "trainer", "params", "seed", "classes", "jobs", "device"}
_JOB_KEYS = {"train", "predict", "out"}


def request_id(message: Any) -> Optional[str]:
    """The id to answer with: the request's when it is a string, else null."""
    if isinstance(message, dict) and isinstance(message.get("id"), str):
        return message["id"]
    return None


def parse_request(message: Any) -> Request:
    if not isinstance(message, dict):
        raise RequestError(f"a request must be a JSON object, got {json_repr(message)}")
    rid = message.get("id")
    if not isinstance(rid, str):
        raise RequestError(f'field "id" must be a string, got {json_repr(rid)}')
    op = message.get("op")
    if op == "hello":
        return Hello(rid)
    if op == "train":
        check_keys(message, _TRAIN_KEYS, "the request")
        jobs = [parse_job(message, "")]
        return parse_train(message, rid, batch=False, jobs=jobs)
    if op == "train_batch":
        check_keys(message, _BATCH_KEYS, "the request")
        raw_jobs = message.get("jobs")
        if not isinstance(raw_jobs, list) or not raw_jobs:
            raise RequestError(f'field "jobs" must be a non-empty array of {{train, predict, out}}, got {json_repr(raw_jobs)}')
        jobs = []
        for i, job in enumerate(raw_jobs):
            if not isinstance(job, dict):
                raise RequestError(f"jobs[{i}] must be an object {{train, predict, out}}, got {json_repr(job)}")
            check_keys(job, _JOB_KEYS, f"jobs[{i}]")
            jobs.append(parse_job(job, f"jobs[{i}]."))
        outs = [job.out for job in jobs]
        for i, out in enumerate(outs):
            if outs.index(out) != i:
                raise RequestError(f"jobs[{i}].out and jobs[{outs.index(out)}].out are the same file {out!r}; give every job its own out")
        return parse_train(message, rid, batch=True, jobs=jobs)
    raise RequestError(f'field "op" must be one of "hello", "train", "train_batch", got {json_repr(op)}')


def parse_train(message: Dict[str, Any], rid: str, batch: bool, jobs: List[JobFiles]) -> Train:
    trainer = message.get("trainer")
    if trainer not in TRAINERS:
        raise RequestError(f'field "trainer" must be one of {", ".join(TRAINERS)}, got {json_repr(trainer)}')
    params = parse_params(trainer, message.get("params"))
    seed = message.get("seed")
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise RequestError(f'field "seed" must be an integer in 0..2^63-1, got {json_repr(seed)}')
    classes = message.get("classes")
    if isinstance(classes, float) and classes.is_integer():
        classes = int(classes)
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise RequestError(f'field "classes" must be an integer >= 2 (the size of the label set), got {json_repr(classes)}')
    device = message.get("device", "auto")
    if device not in DEVICES:
        raise RequestError(f'field "device" must be "auto" or "cpu", got {json_repr(device)}')
    return Train(rid, batch, trainer, params, seed, classes, device, jobs)


def parse_params(trainer: str, raw: Any) -> Dict[str, Union[int, float]]:
    spec = PARAMS[trainer]
    expected = ", ".join(spec)
    if not isinstance(raw, dict):
        raise RequestError(f'field "params" must be an object with {expected} for trainer {trainer}, got {json_repr(raw)}')
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise RequestError(f"params.{unknown[0]} is not a parameter of trainer {trainer}; it takes exactly {expected}")
    params: Dict[str, Union[int, float]] = {}
    for name, param in spec.items():
        if name not in raw:
            raise RequestError(f"params.{name} is missing: trainer {trainer} takes {expected}, all required")
        params[name] = param.check(raw[name], f"params.{name}")
    return params


def parse_job(raw: Dict[str, Any], where: str) -> JobFiles:
    train = raw.get("train")
    if not isinstance(train, dict):
        raise RequestError(f'{where}train must be an object {{"x": "<path.npy>", "y": "<path.npy>"}}, got {json_repr(train)}')
    check_keys(train, {"x", "y"}, f"{where}train")
    predict = raw.get("predict")
    if not isinstance(predict, dict):
        raise RequestError(f'{where}predict must be an object {{"x": "<path.npy>"}}, got {json_repr(predict)}')
    check_keys(predict, {"x"}, f"{where}predict")
    return JobFiles(
        where=where,
        train_x=path_field(train.get("x"), f"{where}train.x"),
        train_y=path_field(train.get("y"), f"{where}train.y"),
        predict_x=path_field(predict.get("x"), f"{where}predict.x"),
        out=path_field(raw.get("out"), f"{where}out"),
    )


def path_field(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestError(f"{where} must be a file path (a non-empty string), got {json_repr(value)}")
    return value


def check_keys(obj: Dict[str, Any], allowed: set, where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise RequestError(f'{where} has an unknown field "{unknown[0]}"; allowed: {", ".join(sorted(allowed))}')


def json_repr(value: Any, limit: int = 80) -> str:
    if value is None:
        return "null (or missing)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
