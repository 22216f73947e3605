"""Checks around an evaluation, shared by the panel and ``clipdesk-cli eval``:

* does each model read the texts it is given (class names, captions, or a model's own labels
  file)? :func:`language_mismatches` (with the fix: :class:`~clipdesk.core.languages.
  LanguageMismatch`) and :func:`models_not_reading` (no library access);
* may a model's suggested threshold be offered as a default search threshold?
  :func:`suggest_threshold` refuses one without a true positive at it, a negative one, and one
  from a model that does not read the class names' language, with the reason in one sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.evaluation.datasets import AUTO, NEGATIVE_NAMES, DatasetError, load_captions
from clipdesk.core.evaluation.results import ClassComparison, ClassEvaluation
from clipdesk.core.languages import LANGUAGE_NAMES, LanguageMismatch, check_language

if TYPE_CHECKING:
    from clipdesk.core.engine import Engine

#: why a suggested threshold is not offered (:attr:`Suggestion.refused`)
REFUSED_LANGUAGE = "language"  # the model does not read the class names' language
REFUSED_NO_HITS = "no_hits"  # not one true positive at the threshold
REFUSED_NEGATIVE = "negative"  # below zero: nearly every picture matches


def dataset_texts(path: Path, kind: str = AUTO, negatives: str | None = AUTO) -> list[str]:
    """The texts of a dataset that meet the models: the class folders' names (without the
    negatives folder) or the caption file's queries. No picture is read or hashed."""
    if kind == AUTO:
        kind = "classes" if path.is_dir() else "captions"
    if kind == "captions":
        return list(load_captions(path).queries)
    if not path.is_dir():
        raise DatasetError(f"Not a folder: {path}")
    names = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if negatives == AUTO:
        return [n for n in names if n.lower() not in NEGATIVE_NAMES]
    return [n for n in names if n != negatives]


def label_file_texts(path: Path) -> list[str]:
    """What a labels file puts into the prompts: each label's prompt (or name) and
    descriptions."""
    from clipdesk.core.labels import load_label_file

    labels, _ = load_label_file(path)
    return [text for label in labels for text in label.subjects]


def language_mismatches(
    engine: Engine,
    texts: Sequence[str],
    model_ids: Sequence[str],
    per_model: Mapping[str, Sequence[str]] | None = None,
) -> list[LanguageMismatch]:
    """The chosen models that do not read ``texts`` (``per_model[m]`` instead, for a model
    with its own labels), each with the models that would (:meth:`Engine.language_check`)."""
    found = []
    for model_id in dict.fromkeys(model_ids):
        mismatch = engine.language_check(list((per_model or {}).get(model_id, texts)), model_id)
        if mismatch is not None:
            found.append(mismatch)
    return found


def models_not_reading(
    info_of: Callable[[str], object],
    texts: Sequence[str],
    model_ids: Sequence[str],
    per_model: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """``{model id: language}`` for the models that do not read the language of ``texts``
    (``per_model[m]`` for a model with its own labels); the library is not opened."""
    out: dict[str, str] = {}
    for model_id in dict.fromkeys(model_ids):
        mismatch = check_language(list((per_model or {}).get(model_id, texts)), model_id,
                                  info_of, {})
        if mismatch is not None:
            out[model_id] = mismatch.language
    return out


@dataclass(frozen=True)
class Suggestion:
    """A model's suggested threshold (the best macro F1), and whether it may be offered."""

    model_id: str
    threshold: float
    refused: str | None = None  # REFUSED_* (None: it may be offered)
    language: str = ""  # the language the model does not read (REFUSED_LANGUAGE)

    @property
    def offered(self) -> bool:
        return self.refused is None

    def sentence(self, name: Callable[[str], str] = str) -> str:
        """Why no threshold is suggested, in one English sentence ("" when one is)."""
        if self.refused == REFUSED_LANGUAGE:
            lang = LANGUAGE_NAMES.get(self.language, self.language)
            return (f"No threshold is suggested: {name(self.model_id)} does not read {lang}, so "
                    "its scores for these class names mean little.")
        if self.refused == REFUSED_NO_HITS:
            return (f"No threshold is suggested: at its best ({self.threshold:.3f}) not one "
                    "picture is found in its own class, so the number means nothing.")
        if self.refused == REFUSED_NEGATIVE:
            return (f"No threshold is suggested: the best one, {self.threshold:.3f}, is below "
                    "zero, where nearly every picture matches; this model does not tell these "
                    "classes apart.")
        return ""


def suggest_threshold(evaluation: ClassEvaluation, not_read: str | None = None) -> Suggestion:
    """``evaluation``'s suggested threshold, refused (in this order) when the model does not
    read the class names' language ``not_read``, when no picture is a true positive at it, or
    when it is negative."""
    threshold = float(evaluation.suggested_threshold)
    if not_read:
        return Suggestion(evaluation.model_id, threshold, REFUSED_LANGUAGE, not_read)
    if int(evaluation.text_to_image(threshold).tp.sum()) == 0:
        return Suggestion(evaluation.model_id, threshold, REFUSED_NO_HITS)
    if threshold < 0:
        return Suggestion(evaluation.model_id, threshold, REFUSED_NEGATIVE)
    return Suggestion(evaluation.model_id, threshold)


def suggestions(result: ClassComparison, not_read: Mapping[str, str] | None = None
                ) -> dict[str, Suggestion]:
    """:func:`suggest_threshold` of every model of ``result``."""
    return {e.model_id: suggest_threshold(e, (not_read or {}).get(e.model_id))
            for e in result.evaluations}
