"""Text search: type what you are looking for (Chinese or English) and see a ranked grid.

Enter searches at once; typing searches after a short pause. Negative terms go in the text
(``beach -people``); the hint under the box says so. "Words in photos" also finds the photos
whose text (read when indexing, see Settings) holds the words, fused with the picture search or
as the only ones shown; such a photo's grid cell shows the line, and its preview the boxes. With
"Check the top N" on, a
vision-language model then looks at the top hits and re-ranks or filters them (a ✓/✗ badge on
each checked photo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from clipdesk.core.search import PhotoText, Query, parse_query_text
from clipdesk.gui.panels.check_bar import CheckBar, HitChecker
from clipdesk.gui.panels.search_base import Outcome, SearchPanel
from clipdesk.gui.results.thumbs import ThumbnailLoader

if TYPE_CHECKING:
    from clipdesk.core.rerank.actions import CheckedHits
    from clipdesk.gui.context import AppContext


class TextSearchPanel(SearchPanel):
    """A query box over the shared search options and results grid; optionally a VLM checks the
    top hits (:mod:`.check_bar`)."""

    checkFinished = Signal()  # a VLM check's results are shown

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        thumbnails: ThumbnailLoader | None = None,
    ) -> None:
        super().__init__(context, parent, thumbnails=thumbnails)
        area = QWidget(self)
        self.query_edit = QLineEdit(area)
        self.query_edit.setClearButtonEnabled(True)
        self.query_edit.setPlaceholderText(
            self.tr("Describe the photo: 海边的日落, a dog on a beach, …")
        )
        self.hint_label = QLabel(
            self.tr('Leave things out with a minus sign: beach -people -"red car"'), area
        )
        self.hint_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hint_label.setEnabled(False)  # shown dimmed: a hint, not content
        self.words_combo = QComboBox(area)
        self.words_combo.addItem(self.tr("Not looked for"), PhotoText.OFF.value)
        self.words_combo.addItem(self.tr("Also find photos showing them"), PhotoText.FUSE.value)
        self.words_combo.addItem(self.tr("Only photos showing them"), PhotoText.ONLY.value)
        self.words_combo.setToolTip(self.tr(
            "Look for the words in the text read in the photos (signs, receipts, "
            "screenshots). \"Quoted words\" must appear exactly."))
        words_label = QLabel(self.tr("Words in photos:"), area)
        words_label.setBuddy(self.words_combo)
        self.check_bar = CheckBar(context, area)
        self.checker = HitChecker(context, self.check_bar, self)
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.query_edit)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.hint_label, 1)
        hint_row.addWidget(words_label)
        hint_row.addWidget(self.words_combo)
        layout.addLayout(hint_row)
        layout.addWidget(self.check_bar)
        self._build_layout(area)
        self.setFocusProxy(self.query_edit)
        self.last_check: CheckedHits | None = None

        self.query_edit.textChanged.connect(lambda _text: self.schedule_search())
        self.query_edit.returnPressed.connect(self.search_now)
        self.searchFinished.connect(self._check_results)
        self.check_bar.changed.connect(self._on_check_choice)
        self.words_combo.currentIndexChanged.connect(lambda _i: self.search_now())
        self.checker.checked.connect(self._show_checked)

    # -- the VLM check -----------------------------------------------------------------------

    def _check_results(self) -> None:
        """A search's results are shown: let the VLM look at them when the check is on."""
        self.last_check = None
        outcome, choice = self.last_outcome, self.check_bar.choice()
        if choice is None or outcome is None or outcome.outcome != Outcome.RESULTS \
                or not outcome.hits:
            self.checker.stop()
            self.check_bar.set_status("")
            return
        positive, _ = parse_query_text(self.query_text())
        self.checker.start(outcome.hits, positive, choice)

    def _on_check_choice(self) -> None:
        outcome = self.last_outcome
        if self.check_bar.choice() is None and self.last_check is not None and outcome:
            # off again: the search's own order
            self.results.set_results(outcome.hits, outcome.photos, outcome.tags, outcome.stacks)
            self.results.set_words(outcome.words)
        self._check_results()

    def _show_checked(self, checked: CheckedHits) -> None:
        outcome = self.last_outcome
        if outcome is None:
            return
        self.last_check = checked
        self.results.set_results(checked.hits, outcome.photos, outcome.tags, ())
        self.results.set_words(outcome.words)
        self.results.set_answers(checked.answers)
        self.checkFinished.emit()

    def shutdown(self) -> None:
        self.checker.shutdown()
        super().shutdown()

    def query_text(self) -> str:
        return self.query_edit.text().strip()

    def set_query_text(self, text: str, *, search: bool = True) -> None:
        self.query_edit.setText(text)
        if search:
            self.search_now()

    def build_query(self) -> Query | None:
        text = self.query_text()
        positive, _negatives = parse_query_text(text)
        if not positive:
            return None  # only negative terms (or nothing): nothing to look for yet
        return self._with_options(Query(text=text, photo_text=self.photo_text()))

    def photo_text(self) -> PhotoText:
        """Whether the words are looked for in the photos' text too."""
        return PhotoText(self.words_combo.currentData())

    def set_photo_text(self, mode: PhotoText) -> None:
        self.words_combo.setCurrentIndex(max(0, self.words_combo.findData(mode.value)))

    def idle_message(self) -> str:
        return self.tr("Type what you are looking for, in Chinese or English.")
