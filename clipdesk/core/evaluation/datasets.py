"""Evaluation datasets: labelled class folders and caption files.

* **Class folders** (:func:`load_class_folders`): every sub-folder of the dataset folder is a
  class, its name the label (Chinese or English, ``_`` read as a space in prompts); pictures may
  sit at any depth below it. A folder named like "others", "negatives" or 其他
  (:data:`NEGATIVE_NAMES`) holds negatives: pictures of none of the classes. The same picture in
  several class folders (a symlink, or a copy with the same bytes) is one image with several
  labels.
* **Captions** (:func:`load_captions`): JSON lines ``{"query": "...", "positive": "path"}``
  (``positive`` may also be a list), paths relative to the file's folder, as in caption-retrieval
  benchmarks. Each distinct picture is one gallery image.

Images are identified by their real path (symlinks resolved): that is what the store indexes.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipdesk.core.errors import ClipdeskError
from clipdesk.core.hashing import sha256_file
from clipdesk.core.imaging import is_supported

log = logging.getLogger(__name__)

AUTO = "auto"
NEGATIVE_NAMES = frozenset({
    "others", "other", "negatives", "negative", "_others", "_negatives", "none",
    "其他", "其它", "负样本", "无",
})


class DatasetError(ClipdeskError):
    """A dataset folder or caption file that cannot be used."""


@dataclass(frozen=True, eq=False)
class ClassDataset:
    """Images with class labels; ``truth[i, c]``: image i belongs to class c."""

    root: Path
    classes: tuple[str, ...]
    images: tuple[Path, ...]  # real paths, one per distinct picture
    truth: np.ndarray  # bool (n_images, n_classes)
    negatives: np.ndarray  # bool (n_images,): from the negatives folder (and no class)
    negatives_folder: str | None = None

    @property
    def has_negatives(self) -> bool:
        return bool(self.negatives.any())

    def subset(self, keep: np.ndarray) -> ClassDataset:
        """The same dataset restricted to the images where ``keep`` is true."""
        idx = np.flatnonzero(keep)
        return ClassDataset(self.root, self.classes, tuple(self.images[i] for i in idx),
                            self.truth[idx], self.negatives[idx], self.negatives_folder)


@dataclass(frozen=True, eq=False)
class CaptionDataset:
    """Text queries and gallery images; ``relevance[q, i]``: image i answers query q."""

    source: Path
    queries: tuple[str, ...]
    images: tuple[Path, ...]  # real paths, one per distinct picture
    relevance: np.ndarray  # bool (n_queries, n_images)
    skipped_lines: int = 0  # lines whose pictures were missing

    def subset(self, keep: np.ndarray) -> CaptionDataset:
        """Only the images where ``keep`` is true; queries left without an answer are dropped."""
        idx = np.flatnonzero(keep)
        relevance = self.relevance[:, idx]
        answered = np.asarray(relevance.any(axis=1), dtype=bool)
        return CaptionDataset(self.source, tuple(q for q, a in zip(self.queries, answered,
                                                                   strict=True) if a),
                              tuple(self.images[i] for i in idx), relevance[answered],
                              self.skipped_lines)


Dataset = ClassDataset | CaptionDataset


def load_dataset(path: Path, kind: str = AUTO, **options: str | None) -> Dataset:
    """A class-folder dataset (``kind="classes"``, a folder) or a caption file
    (``kind="captions"``, a JSONL file); ``"auto"`` decides by what ``path`` is."""
    if kind == AUTO:
        kind = "classes" if path.is_dir() else "captions"
    if kind == "classes":
        return load_class_folders(path, **options)
    if kind == "captions":
        return load_captions(path)
    raise DatasetError(f"Unknown dataset kind {kind!r}: use classes or captions.")


def _pictures(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames)
                     if not f.startswith(".") and is_supported(f))
    return found


def _canonical(paths: Sequence[Path]) -> dict[Path, Path]:
    """Map each path to the real path that stands for its picture: symlinks resolved, and
    copies with equal bytes (only files of equal size are read) mapped to the first of them."""
    real = {p: Path(os.path.realpath(p)) for p in paths}
    by_size: dict[int, list[Path]] = defaultdict(list)
    for r in dict.fromkeys(real.values()):
        try:
            by_size[r.stat().st_size].append(r)
        except OSError:
            continue
    same: dict[Path, Path] = {}
    for group in by_size.values():
        if len(group) < 2:
            continue
        first: dict[str, Path] = {}
        for r in group:
            try:
                same[r] = first.setdefault(sha256_file(r), r)
            except OSError:
                continue
    return {p: same.get(r, r) for p, r in real.items()}


def load_class_folders(root: Path, negatives: str | None = AUTO) -> ClassDataset:
    """Read a class-folder dataset (see the module docstring). ``negatives``: the name of the
    negatives folder, ``"auto"`` to recognise one of :data:`NEGATIVE_NAMES`, None for none."""
    if not root.is_dir():
        raise DatasetError(f"Not a folder: {root}")
    subfolders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.name)
    if negatives == AUTO:
        neg = next((p for p in subfolders if p.name.lower() in NEGATIVE_NAMES), None)
    else:
        neg = next((p for p in subfolders if p.name == negatives), None) if negatives else None
        if negatives and neg is None:
            raise DatasetError(f"There is no folder {negatives!r} in {root}.")
    members: dict[str, list[Path]] = {}
    for folder in subfolders:
        if folder != neg:
            pictures = _pictures(folder)
            if pictures:
                members[folder.name] = pictures
            else:
                log.warning("class folder %s holds no pictures; left out", folder)
    if not members:
        raise DatasetError(f"{root} has no class sub-folders with pictures in them.")
    negative_files = _pictures(neg) if neg is not None else []
    canonical = _canonical([p for ps in members.values() for p in ps] + negative_files)
    images = list(dict.fromkeys(canonical[p] for ps in members.values() for p in ps))
    index = {p: i for i, p in enumerate(images)}
    classes = tuple(members)
    truth = np.zeros((len(images), len(classes)), dtype=bool)
    for c, name in enumerate(classes):
        for p in members[name]:
            truth[index[canonical[p]], c] = True
    extra = [canonical[p] for p in negative_files if canonical[p] not in index]
    extra = list(dict.fromkeys(extra))
    clash = len({canonical[p] for p in negative_files}) - len(extra)
    if clash:
        log.warning("%d pictures are both in a class and in %s: kept as class members", clash,
                    neg)
    all_images = images + extra
    truth = np.vstack([truth, np.zeros((len(extra), len(classes)), dtype=bool)])
    is_negative = np.r_[np.zeros(len(images), bool), np.ones(len(extra), bool)]
    return ClassDataset(root.resolve(), classes, tuple(all_images), truth, is_negative,
                        neg.name if neg is not None else None)


def load_captions(path: Path) -> CaptionDataset:
    """Read a caption JSONL file (see the module docstring); lines whose pictures do not exist
    are skipped and counted."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"Cannot read the caption file {path}: {exc}") from exc
    base = path.resolve().parent
    queries: list[str] = []
    answers: list[list[Path]] = []
    skipped = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            query = str(item["query"]).strip()
            positive = item["positive"]
            positives = [positive] if isinstance(positive, str) else [str(p) for p in positive]
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(
                f'Line {number} of {path.name} is not {{"query": ..., "positive": ...}}.'
            ) from exc
        files = [base / p for p in positives]
        present = [f for f in files if f.is_file()]
        if not query or not present:
            skipped += 1
            continue
        queries.append(query)
        answers.append(present)
    if not queries:
        raise DatasetError(f"{path} has no usable captions (with existing pictures).")
    if skipped:
        log.warning("%s: %d lines skipped (missing pictures or empty queries)", path, skipped)
    canonical = _canonical([f for fs in answers for f in fs])
    images = list(dict.fromkeys(canonical[f] for fs in answers for f in fs))
    index = {p: i for i, p in enumerate(images)}
    relevance = np.zeros((len(queries), len(images)), dtype=bool)
    for q, files in enumerate(answers):
        relevance[q, [index[canonical[f]] for f in files]] = True
    return CaptionDataset(path.resolve(), tuple(queries), tuple(images), relevance, skipped)


def index_roots(images: Sequence[Path], preferred: Path | None = None) -> list[Path]:
    """The folders to index so that every image is found: ``preferred`` (the dataset folder)
    when it holds them, plus the folders of the images outside it, nested ones dropped."""
    folders: set[Path] = set()
    pref = Path(os.path.realpath(preferred)) if preferred is not None else None
    for image in images:
        if pref is not None and pref in image.parents:
            folders.add(pref)
        else:
            folders.add(image.parent)
    kept: list[Path] = []
    for folder in sorted(folders, key=lambda p: len(p.parts)):
        if not any(k == folder or k in folder.parents for k in kept):
            kept.append(folder)
    return sorted(kept)
