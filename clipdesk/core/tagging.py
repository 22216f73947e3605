"""Zero-shot tagging: score every photo against a label set, turn scores into tags, store them.

The flow a GUI panel follows (each step usable alone)::

    vectors = label_vectors(encoder, label_set)                      # clipdesk.core.labels
    scores = compute_scores(library, vectors, folder=f, token=t, progress=p)   # job, read-only
    scores.counts(TagRule(min_prob=0.5))          # live preview while sliders move: pure numpy
    report = apply_tags(writable_library, scores, rule, token=t, progress=p)   # job, writes

or :func:`tag_library` for all of it at once (what the CLI does).

For each photo and label: the cosine similarity of the photo's stored vector with the label
vector, and the probability over the labels (softmax of ``logit_scale * cosine``, the way CLIP
classifies zero-shot; an "others" label takes part in the softmax). A SigLIP model's probability
is its own per label (``sigmoid(scale * cosine + bias)``, see :mod:`clipdesk.core.scores`): each
label is judged alone, so a photo can be likely for several. A :class:`TagRule` decides
which labels become tags: probability ≥ ``min_prob`` and/or cosine ≥ ``min_cos``. "Others" is
never chosen by the thresholds: a photo gets it when no real label passes.

Stored tags have source ``AUTO``, the cosine as score and the model id; writing replaces only a
photo's automatic tags (manual ones stay), one transaction per batch, so a cancelled run leaves
every photo either fully re-tagged or untouched. Each save is journaled (the automatic tags of
these labels it replaced, and the ones it wrote) so that ``library.undo_last_tag_save()`` puts
back exactly what was there; :func:`plan_save` says beforehand what a save would write and
replace, per label, for the person to confirm.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import Cancelled, CancelToken, ProgressCallback, no_progress
from clipdesk.core.labels import DEFAULT_CACHE, LabelSet, LabelVectorCache, LabelVectors
from clipdesk.core.labels import label_vectors as make_label_vectors
from clipdesk.core.scores import COSINE, ScoreScale
from clipdesk.core.types import Progress, Stage

if TYPE_CHECKING:
    from clipdesk.core.models.base import Encoder
    from clipdesk.core.store import Library

log = logging.getLogger(__name__)

SCORE_BATCH = 4096  # photos read and scored per step
WRITE_BATCH = 1000  # photos whose tags are written per transaction


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (float32)."""
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return np.asarray(e / e.sum(axis=axis, keepdims=True), dtype=np.float32)


def score_matrix(
    image_vectors: np.ndarray, label_vectors: np.ndarray, logit_scale: float,
    scale: ScoreScale = COSINE,
) -> tuple[np.ndarray, np.ndarray]:
    """``(cosines, probabilities)``, both float32 (n_images, n_labels): cosines are inner
    products of unit vectors; probabilities are the softmax of ``logit_scale * cosines``, or on
    a probability ``scale`` (SigLIP) each label's own."""
    cos = np.asarray(image_vectors, dtype=np.float32) @ np.asarray(label_vectors,
                                                                   dtype=np.float32).T
    if scale.is_probability:
        return cos.astype(np.float32), np.asarray(scale.score(cos), dtype=np.float32)
    return cos.astype(np.float32), softmax(float(logit_scale) * cos, axis=1)


class Combine(str, Enum):
    """How the two thresholds of a :class:`TagRule` combine when both are set."""

    ALL = "all"  # probability >= p AND cosine >= t
    ANY = "any"  # probability >= p OR cosine >= t


@dataclass(frozen=True)
class TagRule:
    """When a label becomes a tag. With neither threshold set, each photo gets its top label.

    ``max_tags`` keeps only the most probable ones of the labels that pass."""

    min_prob: float | None = 0.5
    min_cos: float | None = None
    combine: Combine = Combine.ALL
    max_tags: int | None = None

    def __post_init__(self) -> None:
        if self.min_prob is not None and not 0.0 <= self.min_prob <= 1.0:
            raise ClipdeskError(f"A probability threshold is from 0 to 1, not {self.min_prob}.")
        if self.min_cos is not None and not -1.0 <= self.min_cos <= 1.0:
            raise ClipdeskError(f"A cosine threshold is from -1 to 1, not {self.min_cos}.")
        if self.max_tags is not None and self.max_tags < 1:
            raise ClipdeskError(f"At most {self.max_tags} tags per photo is not a number of tags.")


def tag_mask(
    cosines: np.ndarray,
    probabilities: np.ndarray,
    rule: TagRule,
    others_index: int | None = None,
    confirmed: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean (n_images, n_labels): which labels each photo is tagged with under ``rule``.

    Pure and vectorised, for live previews. ``confirmed`` (bool, the same shape) keeps only the
    tags a VLM did not reject. The ``others_index`` column is set exactly for the rows where no
    other label passes."""
    cos = np.asarray(cosines)
    prob = np.asarray(probabilities)
    n, k = prob.shape
    conditions = []
    if rule.min_prob is not None:
        conditions.append(prob >= rule.min_prob)
    if rule.min_cos is not None:
        conditions.append(cos >= rule.min_cos)
    if not conditions:
        mask = np.zeros((n, k), dtype=bool)
        if n and k:
            mask[np.arange(n), prob.argmax(axis=1)] = True
    elif rule.combine is Combine.ANY:
        mask = np.logical_or.reduce(conditions)
    else:
        mask = np.logical_and.reduce(conditions)
    if rule.max_tags is not None and k:
        # rank of each label within its row by probability (0 = best); keep the best passing ones
        ranked = np.where(mask, prob, -np.inf)
        order = np.argsort(-ranked, axis=1, kind="stable")
        keep = np.zeros_like(mask)
        top = order[:, : max(0, rule.max_tags)]
        np.put_along_axis(keep, top, True, axis=1)
        mask = mask & keep
    if confirmed is not None:
        mask = mask & np.asarray(confirmed, dtype=bool)
    if others_index is not None:
        mask[:, others_index] = False
        mask[:, others_index] = ~mask.any(axis=1)
    return np.asarray(mask, dtype=bool)


@dataclass(frozen=True, eq=False)
class TagScores:
    """Every photo's scores against a label set: keep it to preview rules without recomputing.

    Rows follow ``file_ids``; columns follow ``labels`` ("others" at ``others_index``)."""

    model_id: str
    labels: tuple[str, ...]
    file_ids: np.ndarray  # int64 (n,)
    cosines: np.ndarray  # float32 (n, n_labels)
    probabilities: np.ndarray  # float32 (n, n_labels)
    others_index: int | None = None
    missing: int = 0  # photos in the chosen scope that have no vector for this model
    # bool (n, n_labels): False where a VLM rejected the tag (None: no check)
    confirmed: np.ndarray | None = None

    def mask(self, rule: TagRule) -> np.ndarray:
        return tag_mask(self.cosines, self.probabilities, rule, self.others_index,
                        self.confirmed)

    def tags(self, rule: TagRule, rows: slice | None = None) -> dict[int, dict[str, float]]:
        """``{file id: {label: cosine}}`` under ``rule`` (every photo, possibly with ``{}``)."""
        part = slice(None) if rows is None else rows
        mask = tag_mask(self.cosines[part], self.probabilities[part], rule, self.others_index,
                        None if self.confirmed is None else self.confirmed[part])
        out: dict[int, dict[str, float]] = {}
        for file_id, row, cos in zip(self.file_ids[part], mask, self.cosines[part], strict=True):
            out[int(file_id)] = {self.labels[j]: float(cos[j]) for j in np.flatnonzero(row)}
        return out

    def counts(self, rule: TagRule) -> dict[str, int]:
        """Photos per label under ``rule`` (every label listed, zeros included)."""
        totals = self.mask(rule).sum(axis=0)
        return {label: int(n) for label, n in zip(self.labels, totals, strict=True)}

    def top_labels(self) -> list[str]:
        """The most probable label of each photo."""
        if not len(self.file_ids):
            return []
        return [self.labels[j] for j in self.probabilities.argmax(axis=1)]


@dataclass(frozen=True)
class TaggingReport:
    """What a tagging run did."""

    model_id: str
    photos: int  # photos scored
    written: int  # photos whose automatic tags were replaced
    tagged: int  # of those, photos given at least one label other than "others"
    counts: Mapping[str, int] = field(default_factory=dict)  # written photos per label
    missing: int = 0  # photos in the scope without a vector for the model (not touched)
    cancelled: bool = False
    replaced: int = 0  # earlier automatic tags of these labels that were replaced
    change_id: int | None = None  # the journaled change (undo it with undo_last_tag_save)


@dataclass(frozen=True)
class SavePlan:
    """What saving ``scores`` under a rule would do, before anything is written."""

    model_id: str
    photos: int  # photos whose automatic tags of these labels are replaced (every scored one)
    tagged: int  # of those, photos given at least one label other than "others"
    counts: Mapping[str, int]  # photos per label that get it
    replaced: Mapping[str, int]  # earlier automatic tags per label that go

    @property
    def replaced_total(self) -> int:
        return sum(self.replaced.values())


def plan_save(library: Library, scores: TagScores, rule: TagRule) -> SavePlan:
    """What :func:`apply_tags` with ``rule`` would write and replace (reads only)."""
    mask = scores.mask(rule)
    counts = scores.counts(rule)
    real = mask.copy()
    if scores.others_index is not None:
        real[:, scores.others_index] = False
    replaced = library.auto_tag_counts(scores.labels, scores.file_ids)
    return SavePlan(scores.model_id, len(scores.file_ids), int(real.any(axis=1).sum()), counts,
                    replaced)


def compute_scores(
    library: Library,
    vectors: LabelVectors,
    *,
    folder: str | Path | None = None,
    root_ids: Sequence[int] | None = None,
    file_ids: Sequence[int] | np.ndarray | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    batch_size: int = SCORE_BATCH,
) -> TagScores:
    """Score the photos of the library (or of ``folder``/``root_ids``, or exactly ``file_ids``)
    with their stored vectors of ``vectors.model_id``. Reads only. Raises :class:`Cancelled`
    when ``token`` is cancelled (checked once per batch; progress reported once per batch)."""
    if file_ids is not None:
        ids = np.asarray(file_ids, dtype=np.int64)
    else:
        ids = library.file_ids(root_ids=root_ids, folder=folder)
    kept: list[np.ndarray] = []
    cos_parts: list[np.ndarray] = []
    prob_parts: list[np.ndarray] = []
    started = time.monotonic()
    total = len(ids)
    progress(Progress(Stage.TAGGING, 0, total))
    for start in range(0, total, batch_size):
        if token is not None:
            token.check()
        part = [int(i) for i in ids[start:start + batch_size]]
        found = library.vector_map(vectors.model_id, part)
        have = [i for i in part if i in found]
        if have:
            matrix = np.stack([found[i] for i in have])
            cos, prob = score_matrix(matrix, vectors.vectors, vectors.logit_scale,
                                     vectors.scale)
            kept.append(np.asarray(have, dtype=np.int64))
            cos_parts.append(cos)
            prob_parts.append(prob)
        done = min(total, start + batch_size)
        rate = done / max(time.monotonic() - started, 1e-6)
        progress(Progress(Stage.TAGGING, done, total, rate=rate,
                          eta_s=(total - done) / rate if rate else None))
    k = len(vectors.names)
    n_scored = sum(len(p) for p in kept)
    return TagScores(
        model_id=vectors.model_id,
        labels=vectors.names,
        file_ids=np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64),
        cosines=np.concatenate(cos_parts) if cos_parts else np.zeros((0, k), np.float32),
        probabilities=np.concatenate(prob_parts) if prob_parts else np.zeros((0, k), np.float32),
        others_index=vectors.others_index,
        missing=total - n_scored,
    )


def apply_tags(
    library: Library,
    scores: TagScores,
    rule: TagRule,
    *,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    batch_size: int = WRITE_BATCH,
) -> TaggingReport:
    """Write the automatic tags ``rule`` gives each scored photo (``library`` must be writable).

    Each batch replaces, in one transaction, the automatic tags *of this label set* of its
    photos: manual tags and automatic tags of other labels (an earlier run with other labels)
    are kept; a photo that gets none of these labels loses its old automatic ones of them. A
    cancel is noticed between batches: the report then says ``cancelled`` and ``written``
    counts the photos done; ``replaced`` says how many earlier tags of these labels went.

    The save is journaled (one change, created with the first batch): undo it with
    ``library.undo_last_tag_save()``."""
    from clipdesk.core.store.records import TagChangeKind, TagJournal

    journal = TagJournal(TagChangeKind.SAVE, scores.labels, scores.model_id)
    total = len(scores.file_ids)
    counts = dict.fromkeys(scores.labels, 0)
    written = tagged = replaced = 0
    cancelled = False
    try:
        for start in range(0, total, batch_size):
            if token is not None:
                token.check()
            tags = scores.tags(rule, slice(start, start + batch_size))
            replaced += library.replace_tags(tags, model_id=scores.model_id,
                                             labels=scores.labels, journal=journal)
            written += len(tags)
            for labels in tags.values():
                for label in labels:
                    counts[label] += 1
                if any(label != _others(scores) for label in labels):
                    tagged += 1
            progress(Progress(Stage.SAVING, written, total))
    except Cancelled:
        cancelled = True
        log.info("tagging cancelled after %d of %d photos", written, total)
    return TaggingReport(scores.model_id, total, written, tagged, counts, scores.missing,
                         cancelled, replaced, journal.change_id)


def _others(scores: TagScores) -> str | None:
    return scores.labels[scores.others_index] if scores.others_index is not None else None


def tag_library(
    library: Library,
    encoder: Encoder,
    label_set: LabelSet,
    rule: TagRule,
    *,
    folder: str | Path | None = None,
    root_ids: Sequence[int] | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    cache: LabelVectorCache | None = DEFAULT_CACHE,
    confirm: Callable[[TagScores], TagScores] | None = None,
) -> tuple[TaggingReport, TagScores | None]:
    """Label vectors, scores and stored tags in one call (``library`` writable). Returns the
    report and the scores (``None`` when cancelled before scoring finished). ``confirm`` (a VLM
    check, :mod:`clipdesk.core.tag_check`) may drop tags between scoring and saving."""
    token = token if token is not None else CancelToken()
    try:
        vectors = make_label_vectors(encoder, label_set, cache=cache, token=token)
        scores = compute_scores(library, vectors, folder=folder, root_ids=root_ids, token=token,
                                progress=progress)
        if confirm is not None:
            scores = confirm(scores)
    except Cancelled:
        return TaggingReport(encoder.info.model_id, 0, 0, 0, cancelled=True), None
    return apply_tags(library, scores, rule, token=token, progress=progress), scores


# -- export ------------------------------------------------------------------------------------

CSV_COLUMNS = ("path", "file_id", "label", "source", "score", "model_id")


def export_tags_csv(
    library: Library, out: Path | TextIO, file_ids: Sequence[int] | np.ndarray | None = None
) -> int:
    """Write the stored tags (automatic and manual) of ``file_ids`` (default: every photo) as
    CSV, one row per tag, columns :data:`CSV_COLUMNS`; returns the number of rows. A path is
    written in UTF-8 with a byte-order mark, so spreadsheet programs read Chinese labels right."""
    ids = library.file_ids() if file_ids is None else np.asarray(file_ids, dtype=np.int64)
    if isinstance(out, Path):
        # a file name that is not UTF-8 keeps its own bytes (the CSV names the real file)
        with out.open("w", encoding="utf-8-sig", errors="surrogateescape", newline="") as fp:
            return export_tags_csv(library, fp, ids)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for start in range(0, len(ids), WRITE_BATCH):
        part = [int(i) for i in ids[start:start + WRITE_BATCH]]
        photos = library.photos(part)
        tags = library.tags(part)
        for file_id in part:
            photo = photos.get(file_id)
            for tag in tags.get(file_id, []):
                writer.writerow([
                    str(photo.path) if photo is not None else "", file_id, tag.label,
                    tag.source.value, "" if tag.score is None else f"{tag.score:.6f}",
                    tag.model_id or "",
                ])
                rows += 1
    return rows
