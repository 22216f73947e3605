"""What a model's score means: CLIP's cosine, or SigLIP's sigmoid probability.

CLIP-family models are trained with a softmax over a batch, so a cosine means something only
against other cosines. SigLIP is trained with a sigmoid per image-text pair: ``sigmoid(scale ·
cosine + bias)`` is the model's own probability that a text matches a picture, and its thresholds,
counts and tags are set on that scale. Both are monotonic in the cosine, so the vector index keeps
searching cosines; a threshold is turned into a cosine before the search and the scores back after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

COSINE_KIND = "cosine"
SIGMOID_KIND = "sigmoid"
EDGE = 1e-7  # probabilities are kept inside (0, 1) before the logit


@dataclass(frozen=True)
class ScoreScale:
    """How a model turns the cosine of a text and a picture into its score."""

    kind: str = COSINE_KIND
    scale: float = 1.0  # SigLIP's exp(logit_scale)
    bias: float = 0.0  # SigLIP's logit_bias

    @property
    def is_probability(self) -> bool:
        return self.kind == SIGMOID_KIND

    @property
    def name(self) -> str:
        """``cosine`` or ``probability``: what a score and a threshold are."""
        return "probability" if self.is_probability else "cosine"

    def score(self, cosine: Any) -> Any:
        """The score of a cosine (a float, or an array of float32)."""
        if not self.is_probability:
            return cosine
        if isinstance(cosine, np.ndarray):
            x = cosine.astype(np.float64) * self.scale + self.bias
            return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
        return 1.0 / (1.0 + math.exp(-(float(cosine) * self.scale + self.bias)))

    def cosine(self, score: float) -> float:
        """The cosine at which the score is ``score`` (for a threshold)."""
        if not self.is_probability:
            return float(score)
        p = min(max(float(score), EDGE), 1.0 - EDGE)
        return (math.log(p / (1.0 - p)) - self.bias) / self.scale


COSINE = ScoreScale()


def scale_of(encoder: Any) -> ScoreScale:
    """The score scale of a loaded encoder (cosine unless it says otherwise)."""
    found = getattr(encoder, "score_scale", None)
    return found if isinstance(found, ScoreScale) else COSINE
