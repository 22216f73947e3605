"""The core service of one data folder: its settings, models and library, and the person's jobs.

The CLI's commands and the GUI's workers are one call each on an :class:`Engine`:
:meth:`~Engine.index`, :meth:`~Engine.search` (or :meth:`~Engine.plan` a query once for its
results and its live count), :meth:`~Engine.score_tags` / :meth:`~Engine.save_tags` (or
:meth:`~Engine.tag` for both), :meth:`~Engine.evaluate`, :meth:`~Engine.check`,
:meth:`~Engine.backup` / :meth:`~Engine.restore` and :meth:`~Engine.purge_missing`. Long jobs
take a :class:`~clipdesk.core.jobs.CancelToken` and a progress callback. Every write goes through
the one serialized, queued writer of :class:`~clipdesk.core.store.access.LibraryAccess`
(``engine.store``), whose listeners hear of each change. Encoders are loaded once per model id
(one load at a time per model, whichever thread asks) and kept.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.config import Settings, load_settings, save_settings
from clipdesk.core.errors import ClipdeskError, StoreCorrupt
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.types import IndexReport, Progress, SearchHit, Stage
from clipdesk.paths import DataPaths

if TYPE_CHECKING:
    from clipdesk.core.duplicates import DuplicateGroup, DuplicateScan
    from clipdesk.core.evaluation import CaptionComparison, ClassComparison
    from clipdesk.core.evaluation.checked import CheckedComparison
    from clipdesk.core.evaluation.datasets import Dataset
    from clipdesk.core.indexer import EncoderOnDemand, Indexer
    from clipdesk.core.labels import LabelSet
    from clipdesk.core.languages import LanguageMismatch
    from clipdesk.core.models.base import Encoder, ModelInfo
    from clipdesk.core.models.registry import ModelRegistry
    from clipdesk.core.ocr.runner import TextReport
    from clipdesk.core.ocr.store import TextCounts, TextLine, TextStore
    from clipdesk.core.rerank.actions import CheckedHits
    from clipdesk.core.rerank.answers import AnswerCache
    from clipdesk.core.rerank.recheck import Judge
    from clipdesk.core.search import PlannedQuery, Query, Searcher, SearchResult
    from clipdesk.core.store import Library, LibraryStats
    from clipdesk.core.store.access import LibraryAccess
    from clipdesk.core.store.backup import Backup
    from clipdesk.core.store.records import MissingFiles, TagChange, TagCount
    from clipdesk.core.tag_check import TagCheckReport
    from clipdesk.core.tagging import SavePlan, TaggingReport, TagRule, TagScores
    from clipdesk.core.thumbnails import ThumbnailCache
    from clipdesk.core.trash import TrashFn, TrashReport

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class TagRun:
    """What :meth:`Engine.tag` did: the model that scored (and why, in ``notice``), the
    report, and the CSV rows exported (``None`` without an export)."""

    model_id: str
    notice: str
    report: TaggingReport
    exported: int | None = None
    mismatch: LanguageMismatch | None = None  # the model does not read the labels' language
    check: TagCheckReport | None = None  # a VLM confirmed the tags (``check_with``)


def label_texts(label_set: LabelSet) -> list[str]:
    """The texts whose language decides which model reads a label set: each label's prompt
    (a translation) or name."""
    return [label.prompt or label.name for label in label_set.labels]


@dataclass(frozen=True)
class EvaluationRun:
    """A finished evaluation: the dataset as loaded, the comparison of the models, and the
    dataset's name (its file or folder name, for reports). With descriptions, ``plain`` is
    the same evaluation with templates only."""

    dataset: Dataset
    result: ClassComparison | CaptionComparison
    name: str
    plain: ClassComparison | None = None


class Engine:
    """Everything that belongs to one data folder, and the jobs a person runs on it."""

    def __init__(self, paths: DataPaths, settings: Settings | None = None) -> None:
        self.paths = paths.ensure()
        self.settings = settings if settings is not None else load_settings(paths.settings_file)
        self._encoders: dict[str, Encoder] = {}
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        self._registry: ModelRegistry | None = None
        self._store: LibraryAccess | None = None
        self._judges: dict[str, Judge] = {}
        self._answers: AnswerCache | None = None
        self._texts: TextStore | None = None
        from clipdesk.core.imaging import set_pillow_pixel_limit

        # Pillow's own global bomb limit (179 MP) would refuse what our setting allows
        set_pillow_pixel_limit(self.settings.max_megapixels * 1_000_000)

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> Engine:
        return cls(DataPaths.resolve(data_dir))

    def save_settings(self) -> None:
        save_settings(self.settings, self.paths.settings_file)

    def close(self) -> None:
        """Close the shared reader and the VLM answer cache (a later call opens them again)."""
        if self._store is not None:
            self._store.close()
        with self._lock:
            answers, self._answers = self._answers, None
            texts, self._texts = self._texts, None
        for side in (answers, texts):
            if side is not None:
                side.close()

    # -- models --------------------------------------------------------------------------------

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            from clipdesk.core.models.registry import ModelRegistry

            self._registry = ModelRegistry(self.paths)
        return self._registry

    def model_info(self, model_id: str) -> ModelInfo:
        return self.registry.get(model_id)

    def encoder(
        self,
        model_id: str,
        *,
        download: bool = False,
        progress: Callable[[int, int], None] | None = None,
        token: CancelToken | None = None,
    ) -> Encoder:
        """The loaded encoder for ``model_id``; loads it (and downloads if asked) the first
        time. Two threads asking for the same model wait for one load."""
        with self._lock:
            cached = self._encoders.get(model_id)
            load_lock = self._load_locks.setdefault(model_id, threading.Lock())
        if cached is not None:
            return cached
        with load_lock:
            with self._lock:
                cached = self._encoders.get(model_id)
            if cached is not None:
                return cached
            from clipdesk.core.models import load_encoder

            info = self.registry.get(model_id)
            encoder = load_encoder(
                info,
                self.paths,
                device=self.settings.device,
                batch_size=self.settings.batch_size or None,
                download=download,
                progress=progress,
                token=token,
            )
            with self._lock:
                return self._encoders.setdefault(model_id, encoder)

    def loaded_encoders(self) -> dict[str, Encoder]:
        with self._lock:
            return dict(self._encoders)

    def loaded_encoder(self, model_id: str) -> Encoder:
        """The encoder of ``model_id`` if it is loaded; :class:`ModelNotLoaded` otherwise."""
        encoder = self.loaded_encoders().get(model_id)
        if encoder is None:
            from clipdesk.core.search import ModelNotLoaded

            raise ModelNotLoaded(model_id)
        return encoder

    # -- vision-language checks ----------------------------------------------------------------

    def judge(self, spec: str, *, download: bool = False,
              progress: ProgressCallback = no_progress,
              token: CancelToken | None = None) -> Judge:
        """The loaded VLM of ``spec`` (``vlm:<repo>`` or a folder); loads it (and downloads it
        if asked, ``progress`` hearing :attr:`Stage.DOWNLOADING`) the first time."""
        from clipdesk.core.models.device import default_precision, pick_device
        from clipdesk.core.rerank.catalog import ensure_vlm, find_vlm
        from clipdesk.core.rerank.vlm import HfJudge

        model = find_vlm(spec)
        with self._lock:
            load_lock = self._load_locks.setdefault(model.model_id, threading.Lock())
        with load_lock:  # two checks asking at once wait for one load
            with self._lock:
                found = self._judges.get(model.model_id)
            if found is not None:
                return found
            folder = ensure_vlm(model, self.paths, download=download, token=token,
                                progress=lambda d, t: progress(Progress(Stage.DOWNLOADING, d, t)))
            device = pick_device(self.settings.device)
            judge = HfJudge(model.model_id, folder, device=device,
                            precision=default_precision(device))
            with self._lock:
                return self._judges.setdefault(model.model_id, judge)

    def answer_cache(self) -> AnswerCache:
        from clipdesk.core.rerank.answers import FILENAME, AnswerCache

        with self._lock:
            if self._answers is None:
                self._answers = AnswerCache(self.paths.root / FILENAME)
            return self._answers

    def check_hits(self, hits: Sequence[SearchHit], query: str, spec: str, *,
                   top: int = 50, mode: str = "rerank", weight: float = 0.5,
                   download: bool = False, token: CancelToken | None = None,
                   progress: ProgressCallback = no_progress) -> CheckedHits:
        """Let the VLM ``spec`` look at the first ``top`` hits of a search for ``query`` and
        re-rank, filter or blend them (see :mod:`clipdesk.core.rerank`)."""
        from clipdesk.core.rerank.actions import check_hits

        judge = self.judge(spec, download=download, token=token, progress=progress)
        return check_hits(self.reader(), judge, hits, query, cache=self.answer_cache(), top=top,
                          mode=mode, weight=weight, token=token, progress=progress)

    def check_evaluation(self, result: ClassComparison, thresholds: Mapping[str, float],
                         spec: str, *, class_texts: Sequence[str] | None = None,
                         download: bool = False, token: CancelToken | None = None,
                         progress: ProgressCallback = no_progress) -> CheckedComparison:
        """The evaluation's hits at each model's threshold checked by the VLM ``spec``: per class
        P/R/F1 before and after, for each model and the union (the seed study's table)."""
        from clipdesk.core.evaluation.checked import check_comparison

        judge = self.judge(spec, download=download, token=token, progress=progress)
        return check_comparison(result, judge, thresholds, class_texts=class_texts,
                                cache=self.answer_cache(), token=token, progress=progress)

    def describe_labels(self, labels: Sequence[str], spec: str, *, per_question: int = 2,
                        seed: int = 0, download: bool = False,
                        token: CancelToken | None = None,
                        progress: ProgressCallback = no_progress) -> dict[str, list[str]]:
        """Descriptions of ``labels`` written by the language model ``spec`` (``llm:<repo>``
        or a folder) with CuPL's questions: ``{label: [sentences]}``, for the person to keep
        or edit (see :mod:`clipdesk.core.descriptions`)."""
        from clipdesk.core.descriptions.writer import HfWriter, describe_labels, find_writer
        from clipdesk.core.models.device import default_precision, pick_device
        from clipdesk.core.rerank.catalog import ensure_vlm

        model = find_writer(spec)
        folder = ensure_vlm(model, self.paths, download=download, token=token)
        device = pick_device(self.settings.device)
        writer = HfWriter(model.model_id, folder, device=device,
                          precision=default_precision(device))
        return describe_labels(writer, labels, per_question=per_question, seed=seed,
                               token=token, progress=progress)

    # -- duplicates ----------------------------------------------------------------------------

    def scan_duplicates(self, model_id: str | None = None, floor: float | None = None, *,
                        token: CancelToken | None = None,
                        progress: ProgressCallback = no_progress) -> DuplicateScan:
        """One neighbour search by ``model_id``'s vectors (default: the current model if it
        indexed photos, else the model with the most) keeping the pairs at or above ``floor``
        (default :data:`~clipdesk.core.duplicates.FLOOR`): its ``groups(threshold)`` and
        ``count(threshold)`` answer any threshold from there up without searching again."""
        from clipdesk.core.duplicates import FLOOR, scan_duplicates
        from clipdesk.core.search import NothingIndexed

        floor = FLOOR if floor is None else floor
        if not -1.0 <= floor <= 1.0:
            raise ClipdeskError(f"A similarity threshold is from -1 to 1, not {floor}.")
        reader = self.reader()
        counts = {m: n for m, n in reader.model_counts().items() if n > 0}
        if model_id is None:
            if not counts:
                raise NothingIndexed("Nothing is indexed yet: add a photo folder and index it "
                                     "first.")
            model_id = self.settings.model_id if self.settings.model_id in counts else max(
                counts, key=lambda m: counts[m])
        elif model_id not in counts:
            self.model_info(model_id)  # an unknown model says so
            raise ClipdeskError(f"No photos are indexed with {model_id} yet.")
        return scan_duplicates(reader, model_id, floor, token=token, progress=progress)

    def find_duplicates(self, model_id: str | None = None, threshold: float = 0.95, *,
                        token: CancelToken | None = None,
                        progress: ProgressCallback = no_progress) -> list[DuplicateGroup]:
        """Groups of near-duplicate photos (and exact copies) at ``threshold``, the photo to
        keep first (see :meth:`scan_duplicates` and :mod:`clipdesk.core.duplicates`)."""
        from clipdesk.core.duplicates import FLOOR

        if not -1.0 <= threshold <= 1.0:
            raise ClipdeskError(f"A similarity threshold is from -1 to 1, not {threshold}.")
        return self.scan_duplicates(model_id, min(threshold, FLOOR), token=token,
                                    progress=progress).groups(threshold)

    def trash_photos(self, file_ids: Sequence[int], *,
                     groups: Sequence[DuplicateGroup] | None = None,
                     trash: TrashFn | None = None, token: CancelToken | None = None,
                     progress: ProgressCallback = no_progress) -> TrashReport:
        """Move these photos' files to the system trash (``trash``: default
        :func:`clipdesk.core.trash.system_trash`), one at a time, never deleting anything;
        with ``groups``, refuse first a choice that would empty a group.

        The photos moved are marked missing in the library (through the one writer, even if
        the job fails half-way), not forgotten: they leave search, tagging and the duplicate
        groups at once, while their rows, vectors and the tags the person set stay. Put back
        from the trash, a photo is found again by the next scan of its folder, as it was;
        "Forget missing photos" (``clipdesk-cli purge``) forgets them for good. A file that
        could not be moved stays where it was and is reported (see
        :class:`~clipdesk.core.trash.TrashReport`)."""

        from clipdesk.core import trash as trashing

        ids = list(dict.fromkeys(int(i) for i in file_ids))
        if groups is not None:
            trashing.check_groups(ids, groups)
        photos = self.reader().photos(ids)
        moved: list[int] = []
        with self.store.writer(token, progress) as library:
            try:
                report = trashing.move_to_trash(
                    [photos[i] for i in ids if i in photos], trash or trashing.system_trash,
                    token=token, progress=progress, moved=moved.append)
            finally:
                library.apply_scan([], moved)
        log.info("moved %d photos to the trash (%d not moved)", len(report.moved),
                 len(report.not_moved))
        return replace(report, unknown=tuple(i for i in ids if i not in photos))

    # -- the library ---------------------------------------------------------------------------

    @property
    def store(self) -> LibraryAccess:
        """The shared reader, the serialized writer and the change listeners."""
        if self._store is None:
            from clipdesk.core.store.access import LibraryAccess

            self._store = LibraryAccess(self.paths, spaces=self.registry.image_sharing)
        return self._store

    def library(self, *, write: bool = False) -> Library:
        """A library of its own (closed by the caller). Jobs use :attr:`store` instead; this
        is for a reader that must not share (a check) or for tests."""
        from clipdesk.core.store import Library

        return Library.open(self.paths, write=write, spaces=self.registry.image_sharing)

    def reader(self) -> Library:
        """The shared read-only library (thread-safe; its vector indexes stay loaded)."""
        return self.store.reader()

    def stats(self) -> LibraryStats:
        return self.reader().stats()

    def thumbnails(self) -> ThumbnailCache:
        from clipdesk.core.thumbnails import ThumbnailCache

        return ThumbnailCache(self.paths.thumbnail_dir, size=self.settings.thumbnail_size)

    def indexer(self, library: Library, encoder: Encoder | EncoderOnDemand) -> Indexer:
        """An indexer with the settings: the batch fills the device (the encoder's own batch
        size, chosen from free memory, unless the settings name one), one decode worker per
        core unless set, GPU decoding of JPEGs unless turned off. ``encoder`` may be loaded on
        demand: only when the run finds something to embed."""
        from clipdesk.core.indexer import Indexer

        return Indexer(
            library,
            encoder,
            thumbnails=self.thumbnails(),
            batch_size=self.settings.batch_size or None,
            decode_workers=self.settings.decode_workers,
            max_pixels=self.settings.max_megapixels * 1_000_000,
            gpu_decode=self.settings.gpu_decode,
        )

    # -- indexing ------------------------------------------------------------------------------

    def index(
        self,
        paths: Sequence[str | os.PathLike[str]] | None = None,
        *,
        model_id: str | None = None,
        remove_roots: Sequence[int] = (),
        purge: bool = False,
        scan: bool = True,
        download: bool = False,
        read_text: bool | None = None,
        token: CancelToken | None = None,
        progress: ProgressCallback | None = None,
        download_progress: Callable[[int, int], None] | None = None,
    ) -> IndexReport | None:
        """Forget ``remove_roots``, forget missing photos when ``purge``, then (when ``scan``)
        add ``paths`` as roots and index them (``None``: every root) with ``model_id``
        (default: the settings'), then read the text in the photos when ``read_text`` (default:
        the settings') and the indexing was not cancelled (see :meth:`read_text`).

        The writer is taken first (queued behind another writer), so a refusal comes before a
        model loads; new roots are in the library before the model loads. Returns ``None``
        when nothing was indexed (``scan=False``)."""
        token = token or CancelToken()
        report = progress or no_progress
        folders = [Path(p) for p in paths or ()]
        for folder in folders:
            if not folder.is_dir():
                raise ClipdeskError(f"Not a folder: {folder}")
        model_id = model_id or self.settings.model_id
        with self.store.writer(token, report) as library:
            for root_id in remove_roots:
                library.remove_root(root_id)
                log.info("removed root %d", root_id)
            if purge:
                purged = library.purge_missing()
                log.info("forgot %d missing photos (%d manual tags)", purged.files,
                         purged.manual_tags)
            if not scan:
                return None
            root_ids = [library.add_root(folder).id for folder in folders] or None
            report(Progress(Stage.SCANNING, 0, 0))  # the roots are there: panels may show them
            from clipdesk.core.indexer import EncoderOnDemand

            chosen = model_id
            # scanned and compared first: the model loads only when something must be embedded
            on_demand = EncoderOnDemand(self.model_info(chosen), lambda: self.encoder(
                chosen, download=download, progress=download_progress, token=token))
            indexed = self.indexer(library, on_demand).run_roots(root_ids, token=token,
                                                                 progress=report)
            reading = self.settings.read_text if read_text is None else read_text
            if not reading or indexed.cancelled:
                return indexed
            text = self._read_text(library, root_ids, token, report)
            return replace(indexed, texts_read=text.read, texts_found=text.with_text,
                           text_failures=tuple(text.errors),
                           cancelled=indexed.cancelled or text.cancelled)

    # -- text in photos ------------------------------------------------------------------------

    def text_store(self, *, create: bool = True) -> TextStore | None:
        """The text read in photos (:mod:`clipdesk.core.ocr.store`); ``create=False``: None
        when nothing was ever read (a search does not make the file)."""
        from clipdesk.core.ocr.store import FILENAME, TextStore

        with self._lock:
            if self._texts is None:
                path = self.paths.root / FILENAME
                if not create and not path.exists():
                    return None
                self._texts = TextStore(path)
            return self._texts

    def read_text(self, root_ids: Sequence[int] | None = None, *,
                  token: CancelToken | None = None,
                  progress: ProgressCallback = no_progress) -> TextReport:
        """Read the text in the indexed photos (of ``root_ids``; None: all) that were not read
        yet: PP-OCRv4 Chinese + English, in worker processes, resumable
        (see :mod:`clipdesk.core.ocr.runner`)."""
        from clipdesk.core.ocr.reader import require_ocr

        require_ocr()
        with self.store.writer(token, progress) as library:
            return self._read_text(library, list(root_ids) if root_ids else None,
                                   token or CancelToken(), progress)

    def _read_text(self, library: Library, root_ids: Sequence[int] | None,
                   token: CancelToken, progress: ProgressCallback) -> TextReport:
        from clipdesk.core.ocr.runner import read_text

        store = self.text_store()
        assert store is not None
        return read_text(library, store, root_ids=list(root_ids) if root_ids else None,
                         workers=self.settings.decode_workers,
                         max_pixels=self.settings.max_megapixels * 1_000_000,
                         token=token, progress=progress)

    def word_lines(self, result: SearchResult) -> dict[int, tuple[TextLine, ...]]:
        """For each hit of ``result`` showing its words, the lines read in it that hold them
        (what the grid's badge, the loupe and the CLI show)."""
        store = self.text_store(create=False)
        if store is None or not result.word_hits:
            return {}
        photos = self.reader().photos(result.word_hits)
        out = {}
        for file_id, photo in photos.items():
            reading = store.reading(photo.content_hash) if photo.content_hash else None
            if reading is not None:
                out[file_id] = tuple(li for li in reading.lines if li.matches(result.words))
        return out

    def text_counts(self) -> TextCounts:
        """How many photo contents were read, with text, and failed."""
        from clipdesk.core.ocr.store import TextCounts

        store = self.text_store(create=False)
        return store.counts() if store is not None else TextCounts(0, 0, 0)

    def purge_missing(self, older_than_days: float | None = None, *, apply: bool = True,
                      token: CancelToken | None = None) -> MissingFiles:
        """Forget the photos marked missing (for more than ``older_than_days``), with their
        vectors and tags; with ``apply=False`` only say what that would forget."""
        cutoff = (datetime.now() - timedelta(days=older_than_days)
                  if older_than_days is not None else None)
        if not apply:
            return self.reader().missing_files(cutoff)
        with self.store.writer(token) as library:
            return library.purge_missing(cutoff)

    # -- searching -----------------------------------------------------------------------------

    def searcher(self, library: Library | None = None, *, load: bool = True) -> Searcher:
        """A searcher over ``library`` (default: the shared reader). ``load=False``: it never
        loads a model (a model that is not loaded raises :class:`ModelNotLoaded`)."""
        from clipdesk.core.search import Searcher

        return Searcher(
            library if library is not None else self.reader(),
            self.encoder if load else self.loaded_encoder,
            self.model_info,
            preferred_model=self.settings.model_id,
            available=lambda m: self.registry.is_available(self.registry.get(m)),
            texts=lambda: self.text_store(create=False),
        )

    def plan(self, query: Query, model: str = "auto", *, load: bool = True,
             reuse: PlannedQuery | None = None) -> PlannedQuery:
        """``query`` with its models chosen and its vectors computed (see
        :meth:`Searcher.plan`); run it with :meth:`run` and count with :meth:`count`."""
        return self.searcher(load=load).plan(query, model, reuse=reuse)

    def run(self, plan: PlannedQuery) -> SearchResult:
        return self.searcher(load=False).run(plan)

    def count(self, plan: PlannedQuery, threshold: float) -> dict[str, int]:
        return self.searcher(load=False).count(plan, threshold)

    def search(self, query: Query, model: str = "auto", *, load: bool = True) -> SearchResult:
        """Run ``query`` with ``model`` (an id, ``"auto"``, or ``"A+B"`` for union)."""
        return self.run(self.plan(query, model, load=load))

    # -- languages -----------------------------------------------------------------------------

    def language_check(self, texts: Sequence[str], model_id: str) -> LanguageMismatch | None:
        """Whether ``model_id`` reads the language of ``texts`` (a query, labels, class names);
        the mismatch names the indexed models that do, else those that could index."""
        from clipdesk.core.languages import check_language

        registry = self.registry
        available = [i.model_id for i in registry.all() if registry.is_available(i)]
        return check_language(texts, model_id, registry.get, self.reader().model_counts(),
                              available)

    def model_for(self, texts: Sequence[str], mode: str = "auto") -> str:
        """The one model that reads ``texts`` under the search mode ``mode``: for ``"auto"``
        the indexed model that reads their language (as a search routes), for ``"A+B"`` the
        first of the two that reads it, else ``mode`` itself."""
        from clipdesk.core.languages import text_language

        model_ids, _ = self.searcher(load=False).resolve_models(mode, " ".join(texts))
        language = text_language(texts)
        for model_id in model_ids:
            try:
                if self.model_info(model_id).speaks(language):
                    return model_id
            except ClipdeskError:
                continue
        return model_ids[0]

    # -- tagging -------------------------------------------------------------------------------

    def score_tags(
        self,
        label_set: LabelSet,
        model_id: str,
        *,
        folder: Path | None = None,
        root_ids: Sequence[int] | None = None,
        token: CancelToken | None = None,
        progress: ProgressCallback = no_progress,
    ) -> TagScores:
        """Score the photos (of ``folder`` / ``root_ids``) against ``label_set`` (reads only)."""
        from clipdesk.core.labels import label_vectors
        from clipdesk.core.tagging import compute_scores

        vectors = label_vectors(self.encoder(model_id, token=token), label_set, token=token)
        return compute_scores(self.reader(), vectors, folder=folder, root_ids=root_ids,
                              token=token, progress=progress)

    def save_tags(self, scores: TagScores, rule: TagRule, *, token: CancelToken | None = None,
                  progress: ProgressCallback = no_progress) -> TaggingReport:
        """Store the automatic tags ``rule`` gives the scored photos (through the writer);
        journaled: :meth:`undo_tag_save` puts back what it replaced."""
        from clipdesk.core.tagging import apply_tags

        with self.store.writer(token, progress) as library:
            return apply_tags(library, scores, rule, token=token, progress=progress)

    def plan_tag_save(self, scores: TagScores, rule: TagRule) -> SavePlan:
        """What :meth:`save_tags` would write and replace, per label (reads only): for the
        person to confirm before a bulk write."""
        from clipdesk.core.tagging import plan_save

        return plan_save(self.reader(), scores, rule)

    def tag_model(self, label_set: LabelSet, mode: str = "auto"
                  ) -> tuple[str, LanguageMismatch | None]:
        """The model that scores ``label_set`` under the search mode ``mode`` (see
        :meth:`model_for`) and whether it reads the labels' language (None: it does)."""
        texts = label_texts(label_set)
        model_id = self.model_for(texts, mode)
        return model_id, self.language_check(texts, model_id)

    def tag(
        self,
        label_set: LabelSet,
        rule: TagRule,
        model: str = "auto",
        *,
        folder: Path | None = None,
        export: Path | None = None,
        check_with: str | None = None,
        download: bool = False,
        token: CancelToken | None = None,
        progress: ProgressCallback = no_progress,
    ) -> TagRun:
        """Score and store tags in one job (``"auto"`` or ``"A+B"``: the model that reads the
        labels' language, :meth:`model_for`); ``export`` also writes the tags of the scored
        photos as CSV; ``check_with`` (a VLM) keeps only the tags it confirms. The run says when
        the model does not read the labels' language."""
        from clipdesk.core.tagging import export_tags_csv, tag_library

        if folder is not None and not folder.is_dir():
            raise ClipdeskError(f"Not a folder: {folder}")
        model_id, mismatch = self.tag_model(label_set, model)
        token = token or CancelToken()
        checks: list[TagCheckReport] = []
        confirm = None
        if check_with is not None:
            judge = self.judge(check_with, download=download, token=token, progress=progress)

            def confirm(scores: TagScores) -> TagScores:
                confirmed, check = self.confirm_tags(scores, rule, label_set, judge,
                                                     token=token, progress=progress)
                checks.append(check)
                return confirmed
        with self.store.writer(token, progress) as library:  # the turn before the model loads
            encoder = self.encoder(model_id, token=token)
            report, scores = tag_library(library, encoder, label_set, rule, folder=folder,
                                         token=token, progress=progress, confirm=confirm)
            exported = None
            if export is not None and scores is not None:
                exported = export_tags_csv(library, export, scores.file_ids)
        return TagRun(model_id, "", report, exported, mismatch, checks[0] if checks else None)

    def confirm_tags(self, scores: TagScores, rule: TagRule, label_set: LabelSet,
                     judge: Judge | str, *, download: bool = False,
                     token: CancelToken | None = None,
                     progress: ProgressCallback = no_progress,
                     ) -> tuple[TagScores, TagCheckReport]:
        """``scores`` keeping only the tags under ``rule`` that the VLM ``judge`` confirms (for
        the tagging panel's "keep only confirmed tags" before it saves)."""
        from clipdesk.core.tag_check import confirm_tags

        if isinstance(judge, str):
            judge = self.judge(judge, download=download, token=token, progress=progress)
        words = {lb.name: lb.subjects[0] for lb in label_set.labels}  # its prompt, or name
        return confirm_tags(self.reader(), judge, scores, rule, words,
                            cache=self.answer_cache(), token=token, progress=progress)

    # -- tag management (journaled: undo_tag_save undoes the newest change) ---------------------

    def tag_counts(self) -> list[TagCount]:
        """Every tag with the photos carrying it, manual and automatic."""
        return self.reader().tag_counts()

    def last_tag_change(self) -> TagChange | None:
        """What :meth:`undo_tag_save` would undo (None: nothing)."""
        return self.reader().last_tag_change()

    def rename_tag(self, old: str, new: str, *, token: CancelToken | None = None,
                   progress: ProgressCallback | None = None) -> TagChange:
        with self.store.writer(token, progress) as library:
            return library.rename_tag(old, new)

    def merge_tags(self, labels: Sequence[str], into: str, *, token: CancelToken | None = None,
                   progress: ProgressCallback | None = None) -> TagChange:
        with self.store.writer(token, progress) as library:
            return library.merge_tags(labels, into)

    def delete_tag(self, label: str, *, token: CancelToken | None = None,
                   progress: ProgressCallback | None = None) -> TagChange:
        with self.store.writer(token, progress) as library:
            return library.delete_tag(label)

    def undo_tag_save(self, *, token: CancelToken | None = None,
                      progress: ProgressCallback | None = None) -> TagChange | None:
        """Undo the newest tag change (a save, rename, merge or delete) not undone yet: the
        tags it replaced come back exactly; None when there is nothing to undo."""
        with self.store.writer(token, progress) as library:
            return library.undo_last_tag_save()

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(
        self,
        dataset: Path,
        model_ids: Sequence[str],
        *,
        kind: str = "auto",
        negatives: str | None = None,
        label_files: Mapping[str, Path] | None = None,
        templates: str | Sequence[str] | None = None,
        others: bool | None = None,
        store: str = "evaluation",
        descriptions: Mapping[str, Sequence[str]] | None = None,
        token: CancelToken | None = None,
        progress: ProgressCallback = no_progress,
    ) -> EvaluationRun:
        """Measure ``model_ids`` on a labelled ``dataset`` (class folders or a caption file).

        Pictures are embedded into the separate evaluation store (``store="evaluation"``) or
        the library (``"library"``, through the writer). ``label_files`` gives a model its own
        prompts; ``templates`` (a set's name, a file, or the templates) and ``others`` apply to
        class folders (``None``: the label file's setting, else the defaults), and so do
        ``descriptions`` (CuPL's ``{class: [sentences]}``, added to the classes' labels; the
        run then also has the templates-only result, :attr:`EvaluationRun.plain`)."""
        from clipdesk.core import evaluation as ev

        if not model_ids:
            raise ev.EvaluationError("Choose at least one model.")
        if not dataset.exists():
            raise ev.DatasetError(f"No such dataset: {dataset}")
        options = {"negatives": negatives} if negatives else {}
        loaded = ev.load_dataset(dataset, kind, **options)
        label_sets = None
        if isinstance(loaded, ev.ClassDataset) and label_files:
            label_sets = ev.label_sets_from_files(label_files, templates=templates,
                                                  others=others,
                                                  has_negatives=loaded.has_negatives)
        from clipdesk.core.prompts import template_choice

        chosen = template_choice(templates)
        for model_id in model_ids:  # fail on an unknown model before embedding anything
            self.model_info(model_id)
        if store not in ("library", "evaluation"):
            raise ev.EvaluationError(f"Unknown store {store!r}: use evaluation or library.")
        plain = None
        with (self.store.writer(token, progress) if store == "library"
              else ev.open_evaluation_library(self)) as library:
            if descriptions and isinstance(loaded, ev.ClassDataset):
                found = ev.evaluate(self, library, loaded, model_ids, label_set=label_sets,
                                    templates=chosen, others=others, token=token,
                                    progress=progress)
                plain = found if isinstance(found, ev.ClassComparison) else None
            result = ev.evaluate(self, library, loaded, model_ids, label_set=label_sets,
                                 templates=chosen, others=others, descriptions=descriptions,
                                 token=token, progress=progress)
        return EvaluationRun(loaded, result, dataset.name, plain)

    # -- upkeep --------------------------------------------------------------------------------

    def check(self, *, full: bool = True) -> list[str]:
        """SQLite's integrity check (``full``) or quick check of the library; the problems
        found (one sentence each), or none."""
        try:
            with self.library() as library:
                return library.db.check(full=full)
        except StoreCorrupt as exc:
            return [str(exc)]

    def backups(self) -> list[Backup]:
        """The library's backups, newest first."""
        from clipdesk.core.store import backup

        return backup.list_backups(self.paths)

    def backup(self, reason: str = "manual") -> Backup:
        """Back the library up now (SQLite's online backup: jobs may go on meanwhile)."""
        from clipdesk.core.store import backup

        return backup.take_backup(self.paths, reason)

    def restore(self, path: Path | None = None, *, token: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> Backup:
        """Replace the library with the backup ``path`` (default: the newest that checks
        out), in its writing turn; the replaced file is kept beside it."""
        from clipdesk.core.store import backup

        with self.store.exclusive(token, progress):
            return backup.restore_unlocked(self.paths, path)
