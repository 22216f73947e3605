"""What the text and image search panels share: options, the results grid, running searches.

A search runs off the GUI thread through :meth:`AppContext.run_task`; every search and every
count carries a sequence number, and only the newest one's result is shown. Searches never load
a model themselves: when the model that would answer is not loaded, the panel asks the context to
load it and runs again when it is ready. The panel re-runs (at most every
``LIBRARY_THROTTLE_MS``) while the library changes, e.g. during indexing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from clipdesk.core.search import ModelNotLoaded, NothingIndexed, Query, SearchResult
from clipdesk.core.stacks import Stack, library_stacks
from clipdesk.core.types import Photo, Root, SearchHit
from clipdesk.gui.language_warning import language_warning
from clipdesk.gui.panels.filters import FilterBar, ModelModeCombo, ThresholdBar
from clipdesk.gui.results.header import ResultsHeader, view_settings
from clipdesk.gui.results.model import ResultsModel, tag_labels
from clipdesk.gui.results.thumbs import ThumbnailLoader
from clipdesk.gui.results.view import ResultsView

if TYPE_CHECKING:
    from clipdesk.core.engine import Engine
    from clipdesk.core.ocr.store import TextLine
    from clipdesk.core.search import PlannedQuery
    from clipdesk.gui.context import AppContext

log = logging.getLogger(__name__)

# PySide6's self.tr() looks strings up under the *runtime* class name (TextSearchPanel), while
# lupdate files them under the class they are written in: the base class names its context.
translate = QCoreApplication.translate

SEARCH_DELAY_MS = 300  # search-as-you-type waits this long after the last change
COUNT_DELAY_MS = 120  # the live count follows the threshold slider this closely
LIBRARY_THROTTLE_MS = 1500


class Outcome(str, Enum):
    RESULTS = "results"
    NOTHING_INDEXED = "nothing_indexed"
    MODEL_NOT_READY = "model_not_ready"


@dataclass(frozen=True)
class SearchOutcome:
    outcome: Outcome
    hits: tuple[SearchHit, ...] = ()
    photos: Mapping[int, Photo] = field(default_factory=dict)
    model_ids: tuple[str, ...] = ()
    notice: str = ""
    counts: Mapping[str, int] | None = None  # photos at or above the threshold, per model
    tags: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # tag labels per file id
    stacks: tuple[Stack, ...] | None = None  # near-identical hits grouped (clipdesk.core.stacks)
    fix: str | None = None  # the indexed model that reads the words, when the chosen one does not
    probability: bool = False  # scores and the threshold are the model's probability (SigLIP)
    words: Mapping[int, tuple[TextLine, ...]] = field(default_factory=dict)  # lines showing them
    texts_read: int | None = None  # photos whose text was read, when the words were looked for


@dataclass(frozen=True)
class LibraryFacts:
    model_counts: Mapping[str, int]
    roots: tuple[Root, ...]
    labels: Mapping[str, int] = field(default_factory=dict)  # tag label -> photos carrying it


class QueryPlans:
    """A panel's newest planned query, shared by its search and its live count (both run in
    pool threads, often at once): one question is encoded once, and asked again (a new
    threshold, a library refresh) it is not encoded again. Never loads a model."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._last: PlannedQuery | None = None

    def plan(self, query: Query, mode: str) -> PlannedQuery:
        with self._lock:  # the second asker waits for the first one's vectors
            plan = self._engine.plan(query, mode, load=False, reuse=self._last)
            self._last = plan
            return plan


def run_search(context: AppContext, plans: QueryPlans, query: Query, mode: str
               ) -> SearchOutcome:
    """The search job (runs in the context's pool)."""
    try:
        result = context.engine.run(plans.plan(query, mode))
    except NothingIndexed:
        return SearchOutcome(Outcome.NOTHING_INDEXED)
    except ModelNotLoaded as exc:
        return SearchOutcome(Outcome.MODEL_NOT_READY, model_ids=exc.model_ids)
    library = context.library()
    ids = [h.file_id for h in result.hits]
    photos = library.photos(ids)
    tags = tag_labels(library.tags(ids))
    notice = _notice(result, context.model_name)
    fix = result.mismatch.readers[0] if result.mismatch and result.mismatch.readers else None
    answered = result.model_ids[0] if result.model_ids else None  # its vectors tell twins
    stacks = tuple(library_stacks(library, result.hits, answered, photos))
    words = context.engine.word_lines(result)
    if result.texts_read == 0:
        notice = " ".join(filter(None, [notice, QCoreApplication.translate(
            "SearchPanel", "No text has been read in your photos yet: turn on “Read the text "
            "in photos” in Settings, and the next indexing reads it.")]))
    return SearchOutcome(Outcome.RESULTS, result.hits, photos, result.model_ids, notice, tags=tags,
                         stacks=stacks, fix=fix, probability=result.scale.is_probability,
                         words=words, texts_read=result.texts_read)


def _notice(result: SearchResult, model_name: Callable[[str], str]) -> str:
    """The core's routing notice, phrased in the UI language."""
    if result.mismatch is not None:
        return language_warning(result.mismatch, model_name)
    if result.fallback_language is None:
        return result.notice
    model = model_name(result.model_ids[0]) if result.model_ids else ""
    if result.fallback_language == "zh":
        text = QCoreApplication.translate(
            "SearchPanel", "No indexed model understands Chinese; searched with %1.")
    else:
        text = QCoreApplication.translate(
            "SearchPanel", "No indexed model understands English; searched with %1.")
    return text.replace("%1", model)


def run_count(context: AppContext, plans: QueryPlans, query: Query, mode: str,
              threshold: float) -> dict[str, int]:
    """Photos at or above ``threshold`` per answering model (empty when not ready)."""
    try:
        return context.engine.count(plans.plan(query, mode), threshold)
    except (NothingIndexed, ModelNotLoaded):
        return {}


class SearchPanel(QWidget):
    """Base of the search panels: subclasses build the query area and :meth:`build_query`."""

    searchFinished = Signal()  # the newest search's outcome (or error) is shown
    countFinished = Signal()  # the newest live count is shown
    findSimilarRequested = Signal(int)  # forwarded from the grid

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        thumbnails: ThumbnailLoader | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.plans = QueryPlans(context.engine)
        settings = context.engine.settings
        self.loader = thumbnails or ThumbnailLoader(context.engine.thumbnails(), parent=self)
        self.results = ResultsModel(self.loader, self)
        self.view = ResultsView(self)
        self.view.setModel(self.results)
        self.view.findSimilarRequested.connect(self.findSimilarRequested)
        self.header = ResultsHeader(self.results, self.view, self,
                                    settings=view_settings(context.engine.paths.window_state_file))
        self.model_combo = ModelModeCombo(self)
        self.filters = FilterBar(self)
        self.options = ThresholdBar(self, threshold=settings.search_threshold, top_k=settings.top_k)
        self.notice_label = QLabel(self)
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notice_label.hide()
        self.fix_button = QPushButton(self)  # "Use <the model that reads the words>"
        self.fix_button.hide()
        self.fix_button.clicked.connect(self._apply_fix)
        self._fix: str | None = None

        self._has_roots = False  # the library has folders (indexing may not have begun)
        self.match_count: int | None = None  # the live count shown (None: none)
        self.last_outcome: SearchOutcome | None = None
        self.last_error = ""
        self._search_seq = 0
        self._count_seq = 0
        self._counted: tuple[Query, str, float] | None = None  # the newest count asked for
        self._waiting_for: set[str] = set()
        self._search_timer = _single_shot(self, SEARCH_DELAY_MS, self.search_now)
        self._count_timer = _single_shot(self, COUNT_DELAY_MS, self.count_now)
        self._library_timer = _single_shot(self, LIBRARY_THROTTLE_MS, self._library_refresh)

        self.model_combo.modeChanged.connect(self._on_mode_chosen)
        context.searchModeChanged.connect(self._on_shared_mode)
        self.filters.changed.connect(lambda: self.schedule_search(0))
        self.options.thresholdChanged.connect(self._on_threshold)
        self.options.topKChanged.connect(lambda: self.schedule_search())
        context.libraryChanged.connect(self._on_library_changed)
        context.encoderStateChanged.connect(self._on_encoder_state)
        self.view.set_empty_message(self.idle_message())
        self.refresh_library_facts()
        app = QCoreApplication.instance()
        if app is not None:  # no thumbnail decoding left running while the app quits
            app.aboutToQuit.connect(self.shutdown)

    def _build_layout(self, query_area: QWidget) -> None:
        # the filters have a row of their own and the model shares the threshold's: the panel
        # fits beside the library sidebar in a 1024 px wide window
        answer = QHBoxLayout()
        answer.addWidget(self.model_combo)
        answer.addSpacing(12)
        answer.addWidget(self.options, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(query_area)
        layout.addWidget(self.filters)
        layout.addLayout(answer)
        notice = QHBoxLayout()
        notice.addWidget(self.notice_label, 1)
        notice.addWidget(self.fix_button)
        layout.addLayout(notice)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)

    # -- for subclasses --------------------------------------------------------------------------

    def build_query(self) -> Query | None:
        """The query the panel's inputs describe now; None when there is nothing to ask."""
        raise NotImplementedError

    def idle_message(self) -> str:
        """What the empty grid says before anything was asked."""
        raise NotImplementedError

    def _with_options(self, query: Query) -> Query:
        values = self.filters.values()
        return dataclasses.replace(
            query,
            top_k=self.options.top_k(),
            threshold=self.options.threshold(),
            root_ids=values.root_ids,
            folder=values.folder,
            date_from=values.date_from,
            date_to=values.date_to,
            tags=values.tags,
        )

    # -- searching -------------------------------------------------------------------------------

    def schedule_search(self, delay_ms: int = SEARCH_DELAY_MS) -> None:
        self._search_timer.start(delay_ms)

    def search_now(self) -> None:
        """Run the search for the current inputs now (only its result will be shown)."""
        self._search_timer.stop()
        self._search_seq += 1
        seq = self._search_seq
        query = self.build_query()
        if query is None:
            self._show_empty(self.idle_message())
            self._set_count(None)
            self.searchFinished.emit()
            return
        mode = self.model_combo.mode()
        self.context.run_task(
            lambda: run_search(self.context, self.plans, query, mode),
            lambda outcome: self._apply(seq, outcome),
            lambda message: self._failed(seq, message),
        )
        self.count_now()

    def count_now(self) -> None:
        """Count the photos at or above the threshold for the current inputs (live count)."""
        self._count_timer.stop()
        threshold = self.options.threshold()
        query = self.build_query()
        mode = self.model_combo.mode()
        key = (query, mode, threshold) if query is not None and threshold is not None else None
        if key is not None and key == self._counted:
            return  # asked already (the slider's live count), nothing changed since
        self._counted = key
        self._count_seq += 1
        seq = self._count_seq
        if query is None or threshold is None:
            self._set_count(None)
            self.countFinished.emit()
            return
        self.context.run_task(
            lambda: run_count(self.context, self.plans, query, mode, threshold),
            lambda counts: self._apply_count(seq, counts),
            lambda _message: self._apply_count(seq, {}),
        )

    def _apply(self, seq: int, outcome: SearchOutcome) -> None:
        if seq != self._search_seq:
            return  # an older search finished after a newer one started
        self.last_outcome = outcome
        self.last_error = ""
        if outcome.outcome == Outcome.NOTHING_INDEXED:
            self._show_empty(self._nothing_indexed_message())
        elif outcome.outcome == Outcome.MODEL_NOT_READY:
            self._waiting_for = set(outcome.model_ids)
            for model_id in outcome.model_ids:
                self.context.request_encoder(model_id)
            self._show_empty(self._model_message(outcome.model_ids))
        else:
            self._waiting_for = set()
            self.results.set_results(outcome.hits, outcome.photos, outcome.tags, outcome.stacks)
            self.results.set_words(outcome.words)
            self.options.set_probability(outcome.probability)
            self.view.set_empty_message(
                translate(
                    "SearchPanel",
                    "No photos match. Try other words, a lower threshold or fewer filters.",
                )
            )
            self._show_notice(outcome.notice, outcome.fix)
            if outcome.hits:
                self.view.scrollToTop()
        self.searchFinished.emit()

    def _failed(self, seq: int, message: str) -> None:
        if seq != self._search_seq:
            return
        self.last_outcome = None
        self.last_error = message
        self._show_empty(message)
        self.searchFinished.emit()

    def _apply_count(self, seq: int, counts: Mapping[str, int]) -> None:
        if seq != self._count_seq:
            return
        self._set_count(counts)
        self.countFinished.emit()

    def _set_count(self, counts: Mapping[str, int] | None) -> None:
        if not counts:
            self.match_count = None
            self.options.set_count_text("")
            return
        self.match_count = max(counts.values())
        if len(counts) == 1:
            text = translate("SearchPanel", "%n photo(s) match", "", self.match_count)
        else:
            parts = [f"{self.context.model_name(m)}: {n}" for m, n in counts.items()]
            text = translate("SearchPanel", "matches: %1").replace("%1", ", ".join(parts))
        self.options.set_count_text(text)

    def _nothing_indexed_message(self) -> str:
        if self._has_roots:
            return translate("SearchPanel", "No photo is indexed yet. They appear here as soon "
                             "as indexing has done the first ones.")
        return translate(
            "SearchPanel", "Nothing is indexed yet: add a photo folder (Ctrl+O) or drop one here."
        )

    def _model_message(self, model_ids: tuple[str, ...]) -> str:
        from clipdesk.gui.context import ERROR, MISSING

        for model_id in model_ids:
            state, detail = self.context.encoder_state(model_id)
            if state in (MISSING, ERROR):
                return translate("SearchPanel", "No model is ready: %1").replace(
                    "%1", detail or model_id
                )
        names = ", ".join(self.context.model_name(m) for m in model_ids)
        return translate(
            "SearchPanel", "Loading the model %1… the search runs when it is ready."
        ).replace("%1", names)

    def _show_empty(self, message: str) -> None:
        self.results.clear()
        self.view.set_empty_message(message)
        self._show_notice("")

    def _show_notice(self, text: str, fix: str | None = None) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))
        self._fix = fix
        if fix is not None:
            self.fix_button.setText(translate("SearchPanel", "Use %1").replace(
                "%1", self.context.model_name(fix)))
        self.fix_button.setVisible(fix is not None)

    def _apply_fix(self) -> None:
        """Answer with the model that reads the words, in every panel."""
        if self._fix is not None:
            self.context.set_search_mode(self._fix)

    # -- reacting --------------------------------------------------------------------------------

    def _on_threshold(self) -> None:
        self._count_timer.start(COUNT_DELAY_MS)
        self.schedule_search()

    def _on_encoder_state(self, model_id: str, state: str) -> None:
        from clipdesk.gui.context import LOADING, READY

        if model_id not in self._waiting_for:
            return
        if state == READY:
            self.schedule_search(0)
        elif state != LOADING:
            self._show_empty(self._model_message((model_id,)))

    def _on_library_changed(self) -> None:
        if not self._library_timer.isActive():  # throttle: at most one refresh per interval
            self._library_timer.start(LIBRARY_THROTTLE_MS)

    def _library_refresh(self) -> None:
        self.refresh_library_facts()
        if self.build_query() is not None:
            self._counted = None  # the library changed: counts are stale
            self.search_now()

    def refresh_library_facts(self) -> None:
        """Re-read the indexed models and root folders (in the background)."""

        def facts() -> LibraryFacts:
            library = self.context.library()
            counts = {m: n for m, n in library.model_counts().items() if n > 0}
            return LibraryFacts(counts, tuple(library.roots()), library.labels())

        self.context.run_task(facts, self._apply_facts)

    def _apply_facts(self, facts: LibraryFacts) -> None:
        model_ids = sorted(facts.model_counts, key=lambda m: -facts.model_counts[m])
        self.model_combo.set_models(model_ids, {m: self.context.model_name(m) for m in model_ids},
                                    self.context.search_mode())
        self.filters.set_roots(facts.roots)
        self.filters.set_labels(facts.labels)
        self._has_roots = bool(facts.roots)
        if self.build_query() is None:  # "nothing indexed" gives way once photos are in
            self.view.set_empty_message(self.idle_message() if model_ids
                                        else self._nothing_indexed_message())

    def _on_mode_chosen(self, mode: str) -> None:
        self.context.set_search_mode(mode)  # every panel follows
        self.schedule_search(0)

    def _on_shared_mode(self, mode: str) -> None:
        if mode != self.model_combo.mode():
            self.model_combo.set_mode(mode)  # chosen in another panel

    def shutdown(self) -> None:
        """Stop loading thumbnails (call when the window closes)."""
        self._search_timer.stop()
        self._count_timer.stop()
        self._library_timer.stop()
        self.loader.shutdown()


def _single_shot(parent: QWidget, interval: int, slot: Callable[[], Any]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval)
    timer.timeout.connect(slot)
    return timer
