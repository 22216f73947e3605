"""Templates only against templates with descriptions (CuPL), per model and class: the
average precision, F1 at the model's threshold and zero-shot accuracy of each, side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clipdesk.core.evaluation.results import ClassComparison


def compare_descriptions(plain: ClassComparison, described: ClassComparison,
                         thresholds: Mapping[str, float]) -> dict[str, Any]:
    """JSON-ready: ``{model: {"accuracy": [templates, descriptions], "per_class": {class:
    {"ap": [..], "f1": [..]}}}}`` (the same images, the same threshold)."""
    out: dict[str, Any] = {}
    for before, after in zip(plain.evaluations, described.evaluations, strict=True):
        th = thresholds.get(before.model_id, 0.25)
        f1 = (before.text_to_image(th).f1, after.text_to_image(th).f1)
        per_class = {
            c: {"ap": [before.curves[i].average_precision, after.curves[i].average_precision],
                "f1": [float(f1[0][i]), float(f1[1][i])]}
            for i, c in enumerate(before.classes)}
        out[before.model_id] = {
            "accuracy": [before.classification.accuracy, after.classification.accuracy],
            "per_class": per_class}
    return out
