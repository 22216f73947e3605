"""Running an evaluation: embed the dataset's pictures through the store, score, keep matrices.

Pictures are embedded by the real :class:`~clipdesk.core.indexer.Indexer` into a library: the
dataset's folder becomes one of its roots, so a second evaluation (or another model) reuses the
stored vectors and only embeds what is missing. By default that library is a separate
*evaluation store* inside the data folder (:func:`open_evaluation_library`), so test pictures do
not show up in the person's searches; passing the main library instead reuses the vectors of
folders already indexed there.

Both ``evaluate_*`` functions are cancellable jobs (``token`` checked between batches, progress
once per batch: the indexer's stages, then :attr:`Stage.EVALUATING` while texts are encoded)
and return comparisons of one or more models over the *same* images: pictures that some model
could not embed (undecodable files) are left out for all and listed in ``skipped``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.evaluation.datasets import (
    CaptionDataset,
    ClassDataset,
    Dataset,
    index_roots,
)
from clipdesk.core.evaluation.results import (
    CaptionComparison,
    CaptionEvaluation,
    ClassComparison,
    ClassEvaluation,
)
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.labels import LabelError, LabelSet, label_vectors
from clipdesk.core.types import Progress, Stage
from clipdesk.paths import DataPaths

if TYPE_CHECKING:
    from clipdesk.core.engine import Engine
    from clipdesk.core.models.base import Encoder
    from clipdesk.core.store import Library

log = logging.getLogger(__name__)

EVALUATION_FOLDER = "evaluation"
TEXT_BATCH = 256


class EvaluationError(ClipdeskError):
    """An evaluation that cannot run (no models, pictures not indexed, nothing to compare)."""


def label_sets_from_files(
    files: Mapping[str, Path],
    *,
    templates: str | Sequence[str] | None = None,
    others: bool | None = None,
    has_negatives: bool = False,
) -> dict[str, LabelSet]:
    """Each model's label set from its labels file (``name = prompt | description ...`` lines,
    or JSON). ``templates`` and ``others`` given here win over the file's own settings; without
    either, "others" is added when the dataset has a negatives folder."""
    from clipdesk.core.labels import load_label_file
    from clipdesk.core.prompts import template_choice

    out: dict[str, LabelSet] = {}
    for model_id, path in files.items():
        labels, settings = load_label_file(path)
        chosen = template_choice(templates, settings.get("templates", "auto"))
        with_others = others if others is not None else settings.get("others", has_negatives)
        out[model_id] = LabelSet.build(labels, templates=chosen, others=with_others)
    return out


def evaluation_paths(paths: DataPaths) -> DataPaths:
    """The data paths of the evaluation store inside the data folder ``paths``."""
    return DataPaths(paths.root / EVALUATION_FOLDER)


def open_evaluation_library(engine: Engine, *, write: bool = True) -> Library:
    """The evaluation store's library (its own database and writer lock)."""
    from clipdesk.core.store import Library

    return Library.open(evaluation_paths(engine.paths), write=write,
                        spaces=engine.registry.image_sharing)


def embed_images(
    engine: Engine,
    library: Library,
    model_id: str,
    images: Sequence[Path],
    *,
    root: Path | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors, ok)``: the stored vector of each picture (rows of zeros where ``ok`` is
    false: the picture could not be decoded). Pictures without a vector are indexed first
    (folders from :func:`index_roots`, ``root`` preferred), which needs a writable library."""
    found = _stored_vectors(library, model_id, images)
    if len(found) < len(images):
        if not library.writable:
            raise EvaluationError(
                f"{len(images) - len(found)} pictures of the dataset have no {model_id} vectors "
                "yet, and the library is open for reading only."
            )
        encoder = engine.encoder(model_id, token=token)
        report = engine.indexer(library, encoder).run(
            index_roots(images, root), token=token or CancelToken(), progress=progress)
        if report.cancelled:
            from clipdesk.core.jobs import Cancelled

            raise Cancelled()
        found = _stored_vectors(library, model_id, images)
    dim = next((len(v) for v in found.values()), engine.model_info(model_id).embed_dim)
    vectors = np.zeros((len(images), dim), dtype=np.float32)
    ok = np.zeros(len(images), dtype=bool)
    for i, path in enumerate(images):
        vec = found.get(path)
        if vec is not None:
            vectors[i] = vec
            ok[i] = True
    return vectors, ok


def _stored_vectors(library: Library, model_id: str, images: Sequence[Path]
                    ) -> dict[Path, np.ndarray]:
    wanted = set(images)
    ids: dict[Path, int] = {}
    for folder in index_roots(images):
        photos = library.photos(library.file_ids(folder=folder))
        for file_id, photo in photos.items():
            path = photo.path if photo.path in wanted else Path(os.path.realpath(photo.path))
            if path in wanted:
                ids.setdefault(path, file_id)
    if not ids or model_id not in library.model_counts():
        return {}
    vectors = library.vector_map(model_id, ids.values())
    return {path: vectors[i] for path, i in ids.items() if i in vectors}


def _encode(encoder: Encoder, texts: Sequence[str], token: CancelToken | None,
            progress: ProgressCallback) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), TEXT_BATCH):
        if token is not None:
            token.check()
        parts.append(np.asarray(encoder.encode_texts(texts[start:start + TEXT_BATCH]),
                                dtype=np.float32))
        progress(Progress(Stage.EVALUATING, min(len(texts), start + TEXT_BATCH), len(texts)))
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def _embed_all(
    engine: Engine, library: Library, model_ids: Sequence[str], images: Sequence[Path],
    root: Path | None, token: CancelToken | None, progress: ProgressCallback,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    if not model_ids:
        raise EvaluationError("Choose at least one model to evaluate.")
    vectors: dict[str, np.ndarray] = {}
    keep = np.ones(len(images), dtype=bool)
    for model_id in dict.fromkeys(model_ids):
        vecs, ok = embed_images(engine, library, model_id, images, root=root, token=token,
                                progress=progress)
        vectors[model_id] = vecs
        keep &= ok
    if not keep.any():
        raise EvaluationError("None of the dataset's pictures could be read.")
    return vectors, keep


def class_label_set(
    dataset: ClassDataset,
    label_set: LabelSet | None = None,
    *,
    templates: str | Sequence[str] = "auto",
    others: bool | None = None,
) -> LabelSet:
    """The label set that scores ``dataset``: ``label_set`` reordered to the dataset's classes
    (it must name every class, and no other), or one built from the folder names with
    ``templates``; "others" is added when the dataset has negatives (or as ``others`` says)."""
    with_others = dataset.has_negatives if others is None else others
    if label_set is None:
        return LabelSet.build(dataset.classes, templates=templates, others=with_others)
    by_name = {label.name: label for label in label_set.labels}
    missing = [c for c in dataset.classes if c not in by_name]
    extra = [n for n in by_name if n not in dataset.classes]
    if missing or extra:
        raise LabelError(
            "The labels must be the dataset's class folders"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not a folder: {', '.join(extra)}" if extra else "") + "."
        )
    labels = tuple(by_name[c] for c in dataset.classes)
    return LabelSet(labels, label_set.templates, label_set.others, label_set.others_descriptions)


def evaluate_classes(
    engine: Engine,
    library: Library,
    dataset: ClassDataset,
    model_ids: Sequence[str],
    *,
    label_set: LabelSet | Mapping[str, LabelSet] | None = None,
    templates: str | Sequence[str] = "auto",
    others: bool | None = None,
    descriptions: Mapping[str, Sequence[str]] | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> ClassComparison:
    """Score every picture of a class-folder dataset against every class label, per model;
    ``descriptions`` (CuPL's ``{class: [sentences]}``) are added to the classes' labels.

    ``label_set``: one for every model, or one per model id (e.g. Chinese prompts for a Chinese
    model and ``Label("红色", prompt="red")`` for an English one; models not in the mapping get
    labels built from the folder names); see :func:`class_label_set`."""
    per_model = {
        m: class_label_set(dataset, label_set.get(m) if isinstance(label_set, Mapping)
                           else label_set, templates=templates, others=others)
        for m in model_ids
    }
    if descriptions:
        from clipdesk.core.descriptions.cupl import with_descriptions

        per_model = {m: with_descriptions(ls, descriptions)[0] for m, ls in per_model.items()}
    vectors, keep = _embed_all(engine, library, model_ids, dataset.images, dataset.root, token,
                               progress)
    kept = dataset.subset(keep)
    skipped = tuple(p for p, k in zip(dataset.images, keep, strict=True) if not k)
    results = []
    n_classes = len(kept.classes)
    for model_id, all_vectors in vectors.items():
        labels = per_model[model_id]
        encoder = engine.encoder(model_id, token=token)
        progress(Progress(Stage.EVALUATING, 0, len(labels.names)))
        lv = label_vectors(encoder, labels, token=token)
        progress(Progress(Stage.EVALUATING, len(labels.names), len(labels.names)))
        image_vectors = all_vectors[keep]
        # on the model's own scale: SigLIP's probability, CLIP's cosine
        cos = np.asarray(lv.scale.score((image_vectors @ lv.vectors.T).astype(np.float32)),
                         dtype=np.float32)
        results.append(ClassEvaluation(
            model_id=model_id, classes=kept.classes, images=kept.images, truth=kept.truth,
            negatives=kept.negatives, scores=cos[:, :n_classes], image_vectors=image_vectors,
            logit_scale=lv.logit_scale, others_label=labels.others, scale=lv.scale,
            others_scores=cos[:, n_classes] if labels.others is not None else None,
            skipped=skipped,
        ))
    return ClassComparison(tuple(results))


def evaluate_captions(
    engine: Engine,
    library: Library,
    dataset: CaptionDataset,
    model_ids: Sequence[str],
    *,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> CaptionComparison:
    """Rank every picture for every caption (and every caption for every picture), per model."""
    vectors, keep = _embed_all(engine, library, model_ids, dataset.images,
                               dataset.source.parent, token, progress)
    kept = dataset.subset(keep)
    skipped = tuple(p for p, k in zip(dataset.images, keep, strict=True) if not k)
    if not kept.queries:
        raise EvaluationError("No caption is left whose picture could be read.")
    results = []
    for model_id, all_vectors in vectors.items():
        encoder = engine.encoder(model_id, token=token)
        texts = _encode(encoder, kept.queries, token, progress)
        similarity = (texts @ all_vectors[keep].T).astype(np.float32)
        results.append(CaptionEvaluation(model_id, kept.queries, kept.images, kept.relevance,
                                         similarity, skipped))
    return CaptionComparison(tuple(results))


def evaluate(
    engine: Engine,
    library: Library,
    dataset: Dataset,
    model_ids: Sequence[str],
    *,
    label_set: LabelSet | Mapping[str, LabelSet] | None = None,
    templates: str | Sequence[str] = "auto",
    others: bool | None = None,
    descriptions: Mapping[str, Sequence[str]] | None = None,
    token: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> ClassComparison | CaptionComparison:
    """:func:`evaluate_classes` or :func:`evaluate_captions`, by the kind of ``dataset``
    (``label_set``, ``templates``, ``others`` and ``descriptions`` only matter for class
    folders)."""
    if isinstance(dataset, ClassDataset):
        return evaluate_classes(engine, library, dataset, model_ids, label_set=label_set,
                                templates=templates, others=others, descriptions=descriptions,
                                token=token, progress=progress)
    return evaluate_captions(engine, library, dataset, model_ids, token=token,
                             progress=progress)
