"""Text search: type what you are looking for (Chinese or English) and see a ranked grid.

Enter searches at once; typing searches after a short pause. Negative terms go in the text
(``beach -people``); the hint under the box says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from clipdesk.core.search import Query, parse_query_text
from clipdesk.gui.panels.search_base import SearchPanel
from clipdesk.gui.results.thumbs import ThumbnailLoader

if TYPE_CHECKING:
    from clipdesk.gui.context import AppContext


class TextSearchPanel(SearchPanel):
    """A query box over the shared search options and results grid."""

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
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.query_edit)
        layout.addWidget(self.hint_label)
        self._build_layout(area)
        self.setFocusProxy(self.query_edit)

        self.query_edit.textChanged.connect(lambda _text: self.schedule_search())
        self.query_edit.returnPressed.connect(self.search_now)

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
        return self._with_options(Query(text=text))

    def idle_message(self) -> str:
        return self.tr("Type what you are looking for, in Chinese or English.")
