"""The trainers by request name: each module has NAME, VERSION and
fit_predict(jobs, params, seed, classes, device, progress) -> Fit."""

from types import ModuleType
from typing import Dict

from . import cnn, logreg, mlp

TRAINERS: Dict[str, ModuleType] = {"logreg": logreg, "mlp": mlp, "cnn": cnn}

# features per row a trainer needs (0: any)
FEATURES: Dict[str, int] = {"logreg": 0, "mlp": 0, "cnn": cnn.SIDE * cnn.SIDE}
