"""Search options shared by the text and image panels: filters, threshold, top-k, model mode.

* :class:`FilterBar`: folder (a root, or any folder picked), a date range and a tag (automatic
  or manual), each with an "any" state.
* :class:`ThresholdBar`: similarity threshold slider (cosine similarity, -0.19 to 1; the leftmost
  position is "off") with the live number of matches, and the top-k spin box.
* :class:`ModelModeCombo`: automatic (by language), one indexed model, or the union of two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

from clipdesk.core.search import AUTO, UNION_SEPARATOR
from clipdesk.core.types import Root, RootState
from clipdesk.gui.names import shown

ANY_DATE = QDate(1900, 1, 1)  # the minimum of the date edits, shown as "any date"
# the folder combo's item data
_ALL, _ROOT, _FOLDER, _CHOOSE = "all", "root:", "folder:", "choose"
THRESHOLD_STEPS = 100  # the slider moves in hundredths of cosine similarity
THRESHOLD_MIN = -20  # in steps; the leftmost position means "off" (no threshold)
THRESHOLD_MAX = 100
TAG_LABEL_WIDTH = 160  # px: a longer tag label is elided in its middle (its count never is)


@dataclass(frozen=True)
class FilterValues:
    root_ids: tuple[int, ...] | None = None
    folder: Path | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # inclusive: midnight means that whole day
    tags: tuple[str, ...] = ()  # photos carrying every one of these tag labels


class OptionalDateEdit(QDateEdit):
    """A date edit whose minimum means "any date"; its calendar opens on today meanwhile."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText(self.tr("Any date"))
        self.setDisplayFormat("yyyy-MM-dd")
        self.setDate(ANY_DATE)
        self.calendarWidget().installEventFilter(self)

    def value(self) -> datetime | None:
        date = self.date()
        if date == ANY_DATE:
            return None
        return datetime(date.year(), date.month(), date.day())

    def set_value(self, value: datetime | None) -> None:
        self.setDate(ANY_DATE if value is None else QDate(value.year, value.month, value.day))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.date() == ANY_DATE:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)


class FilterBar(QWidget):
    """Folder, date and tag filters; ``changed`` after any of them changed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder_combo = QComboBox(self)
        self.folder_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.folder_combo.setMaximumWidth(360)
        self.date_from = OptionalDateEdit(self)
        self.date_to = OptionalDateEdit(self)
        self.tag_combo = QComboBox(self)
        # as wide as the chosen tag needs (see _fit_tag_combo), not as the longest one: a bar
        # short of room squeezes every widget below what it asks for, cutting "红色 (47)"
        self.tag_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tag_combo.setMinimumContentsLength(4)
        self.tag_combo.setToolTip(self.tr("Show only photos with this tag"))
        self.tag_combo.currentIndexChanged.connect(lambda _i: self._fit_tag_combo())
        self.set_labels({})
        self._roots: list[Root] = []
        self._folders: list[Path] = []  # folders picked by hand, kept across refreshes
        self._rebuild(None)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Folder:"), self))
        layout.addWidget(self.folder_combo)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("From:"), self))
        layout.addWidget(self.date_from)
        layout.addWidget(QLabel(self.tr("To:"), self))
        layout.addWidget(self.date_to)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("Tag:"), self))
        layout.addWidget(self.tag_combo)
        layout.addStretch(1)

        self.folder_combo.activated.connect(self._on_folder_activated)
        self.date_from.dateChanged.connect(self.changed)
        self.date_to.dateChanged.connect(self.changed)
        self.tag_combo.activated.connect(lambda _i: self.changed.emit())

    # -- folders ---------------------------------------------------------------------------------

    def set_roots(self, roots: Sequence[Root]) -> None:
        """Offer these library folders (the current choice is kept when still there)."""
        current = self.folder_combo.currentData()
        self._roots = list(roots)
        current = current if isinstance(current, str) else None
        self._rebuild(current)

    def _rebuild(self, keep: str | None) -> None:
        combo = self.folder_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(self.tr("All folders"), _ALL)
        for root in self._roots:
            text = shown(root.path)
            if root.state == RootState.OFFLINE:
                text = self.tr("%1 (offline)").replace("%1", text)
            combo.addItem(text, f"{_ROOT}{root.id}")
            combo.setItemData(combo.count() - 1, shown(root.path), Qt.ItemDataRole.ToolTipRole)
        for folder in self._folders:
            combo.addItem(str(folder), f"{_FOLDER}{folder}")
        combo.addItem(self.tr("Choose a folder…"), _CHOOSE)
        found = combo.findData(keep) if keep else 0
        combo.setCurrentIndex(max(0, found))
        combo.blockSignals(False)
        if keep and found < 0:
            self.changed.emit()  # the folder shown so far is gone

    def set_folder(self, folder: Path | None) -> None:
        """Filter by ``folder`` (None: all folders); a library root is chosen as such."""
        if folder is None:
            self.folder_combo.setCurrentIndex(0)
            self.changed.emit()
            return
        root = next((r for r in self._roots if r.path == folder), None)
        if root is not None:
            data = f"{_ROOT}{root.id}"
        else:
            if folder not in self._folders:
                self._folders.append(folder)
            data = f"{_FOLDER}{folder}"
            self._rebuild(data)
        self.folder_combo.setCurrentIndex(max(0, self.folder_combo.findData(data)))
        self.changed.emit()

    def _on_folder_activated(self, index: int) -> None:
        if self.folder_combo.itemData(index) == _CHOOSE:
            start = str(self._folders[-1]) if self._folders else ""
            chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose a Folder"), start)
            if chosen:
                self.set_folder(Path(chosen))
            else:
                self.folder_combo.setCurrentIndex(0)
                self.changed.emit()
            return
        self.changed.emit()

    # -- tags ------------------------------------------------------------------------------------

    def set_labels(self, labels: Mapping[str, int]) -> None:
        """Offer these tag labels (label -> photos carrying it); the choice is kept when still
        there, otherwise the filter falls back to "any tag" and ``changed`` is emitted."""
        combo = self.tag_combo
        keep = combo.currentData() if combo.count() else None
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(self.tr("Any tag"), None)
        metrics = combo.fontMetrics()
        for label in sorted(labels, key=lambda text: (text.casefold(), text)):
            short = metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, TAG_LABEL_WIDTH)
            text = self.tr("%1 (%2)").replace("%2", str(labels[label])).replace("%1", short)
            combo.addItem(text, label)
            if short != label:  # the whole label, as plain text
                combo.setItemData(combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        found = combo.findData(keep) if isinstance(keep, str) else 0
        combo.setCurrentIndex(max(0, found))
        combo.blockSignals(False)
        self._fit_tag_combo()
        if isinstance(keep, str) and found < 0:
            self.changed.emit()  # the tag chosen so far is gone

    def set_tag(self, label: str | None) -> None:
        """Filter by the tag ``label`` (None: any tag); an unknown label is added."""
        combo = self.tag_combo
        found = combo.findData(label) if label is not None else 0
        if found < 0 and label is not None:
            combo.addItem(label, label)
            found = combo.count() - 1
        combo.setCurrentIndex(found)
        self.changed.emit()

    def _fit_tag_combo(self) -> None:
        """Keep the chosen tag readable: "红色 (47)" whole, however short of room the bar is
        (the folder combo gives way first)."""
        combo = self.tag_combo
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        metrics = combo.fontMetrics()
        text = QSize(metrics.horizontalAdvance(combo.currentText()) + 2, metrics.height())
        size = combo.style().sizeFromContents(
            QStyle.ContentsType.CT_ComboBox, option, text, combo)
        combo.setMinimumWidth(size.width())
        combo.updateGeometry()

    def tag(self) -> str | None:
        data = self.tag_combo.currentData()
        return data if isinstance(data, str) else None

    # -- values ----------------------------------------------------------------------------------

    def values(self) -> FilterValues:
        data = str(self.folder_combo.currentData() or "")
        root_ids: tuple[int, ...] | None = None
        folder: Path | None = None
        if data.startswith(_ROOT):
            root_ids = (int(data[len(_ROOT) :]),)
        elif data.startswith(_FOLDER):
            folder = Path(data[len(_FOLDER) :])
        tag = self.tag()
        return FilterValues(
            root_ids,
            folder,
            self.date_from.value(),
            self.date_to.value(),
            (tag,) if tag is not None else (),
        )

    def reset(self) -> None:
        widgets = (self.folder_combo, self.date_from, self.date_to, self.tag_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.folder_combo.setCurrentIndex(0)
        self.tag_combo.setCurrentIndex(0)
        self.date_from.set_value(None)
        self.date_to.set_value(None)
        for widget in widgets:
            widget.blockSignals(False)
        self.changed.emit()


class ThresholdBar(QWidget):
    """Threshold slider (leftmost: off) with its value and the live match count, and top-k."""

    thresholdChanged = Signal()
    topKChanged = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, threshold: float = 0.0, top_k: int = 200
    ) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(THRESHOLD_MIN, THRESHOLD_MAX)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(5)
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip(
            self.tr("Show only photos at least this similar (leftmost: no limit)")
        )
        self.value_label = QLabel(self)
        self.value_label.setMinimumWidth(40)
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.top_k_spin = QSpinBox(self)
        self.top_k_spin.setRange(1, 100_000)
        self.top_k_spin.setSingleStep(50)
        self.top_k_spin.setValue(top_k)
        self.top_k_spin.setToolTip(self.tr("The most results to show"))
        self.set_threshold(threshold if threshold > 0 else None)
        self._show_value()

        self.scale_label = QLabel(self)
        self.set_probability(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scale_label)
        layout.addWidget(self.slider)
        layout.addWidget(self.value_label)
        layout.addWidget(self.count_label, 1)
        layout.addWidget(QLabel(self.tr("Show up to:"), self))
        layout.addWidget(self.top_k_spin)

        self.slider.valueChanged.connect(self._on_slider)
        self.top_k_spin.valueChanged.connect(self.topKChanged)

    def threshold(self) -> float | None:
        value = self.slider.value()
        return value / THRESHOLD_STEPS if value > THRESHOLD_MIN else None

    def set_threshold(self, value: float | None) -> None:
        """Set the threshold (rounded to the slider's hundredths; None or too low: off)."""
        steps = THRESHOLD_MIN if value is None else round(value * THRESHOLD_STEPS)
        self.slider.setValue(max(THRESHOLD_MIN, min(THRESHOLD_MAX, steps)))

    def set_probability(self, probability: bool) -> None:
        """Say what the threshold is: the cosine similarity, or the model's own probability
        that a photo shows the words (SigLIP)."""
        if probability:
            self.scale_label.setText(self.tr("Probability at least:"))
            self.scale_label.setToolTip(self.tr(
                "This model (SigLIP) scores each photo with its own probability that the photo "
                "shows the words: 0.5 is as likely as not."))
        else:
            self.scale_label.setText(self.tr("Similarity at least:"))
            self.scale_label.setToolTip(self.tr(
                "The cosine similarity of the photo with the words: only its order matters, "
                "and each model has its own range."))
        self.is_probability = probability

    def top_k(self) -> int:
        return int(self.top_k_spin.value())

    def set_count_text(self, text: str) -> None:
        self.count_label.setText(text)

    def _on_slider(self) -> None:
        self._show_value()
        self.thresholdChanged.emit()

    def _show_value(self) -> None:
        threshold = self.threshold()
        self.value_label.setText(self.tr("off") if threshold is None else f"{threshold:.2f}")


class ModelModeCombo(QComboBox):
    """Which model(s) answer: ``"auto"``, one model id, or ``"A+B"`` (union of two)."""

    modeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # long union names ("A + B (both)") are cut in the closed box, whole in the list
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setToolTip(self.tr("Which model answers the query"))
        self.set_models([], {})
        self.currentIndexChanged.connect(lambda _i: self.modeChanged.emit(self.mode()))

    def set_models(self, model_ids: Sequence[str], names: Mapping[str, str],
                   mode: str | None = None) -> None:
        """Offer ``model_ids`` (the indexed ones), each alone and each pair as a union, and
        choose ``mode`` (default: keep the current choice) when it is offered."""
        current = mode or self.mode()
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("Automatic (by language)"), AUTO)
        for model_id in model_ids:
            self.addItem(names.get(model_id, model_id), model_id)
        for a, b in combinations(model_ids, 2):
            label = self.tr("%1 + %2 (both)")
            label = label.replace("%1", names.get(a, a)).replace("%2", names.get(b, b))
            self.addItem(label, f"{a}{UNION_SEPARATOR}{b}")
        found = self.findData(current)
        self.setCurrentIndex(max(0, found))
        self.blockSignals(False)
        if found < 0 and current != AUTO:
            self.modeChanged.emit(self.mode())

    def mode(self) -> str:
        data = self.currentData()
        return data if isinstance(data, str) else AUTO

    def set_mode(self, mode: str) -> bool:
        index = self.findData(mode)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0
