"""Parts of the tagging panel: the rule sliders, the scope chooser, and the grid's photo lookups.

* :class:`TagRuleEditor`: minimum probability and minimum cosine sliders (leftmost: off), how
  the two combine, and at most n tags per photo, as a core :class:`~clipdesk.core.tagging.TagRule`.
* :class:`ScopeCombo`: the whole library, one library folder, or any folder picked.
* :class:`TagModelCombo`: the shared model choice as tagging offers it: automatic (by the labels'
  language) or one indexed model (a union chosen in a search panel is shown as it is).
* :func:`preview_photos` / :func:`saved_photos`: the photos of one tag, ranked, for the grid
  (run in the context's pool: they read the library).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from clipdesk.core.tagging import Combine, TagRule, TagScores
from clipdesk.core.types import Photo, Root, SearchHit
from clipdesk.gui.names import shown
from clipdesk.gui.results.model import tag_labels

if TYPE_CHECKING:
    from clipdesk.core.store import Library

PROB_OFF = 0  # the probability slider's leftmost position: no probability condition
COS_OFF = -20  # cosine slider in hundredths; leftmost: no cosine condition
COS_MAX = 100
DEFAULT_PROB = 50
_ALL, _ROOT, _FOLDER, _CHOOSE = "all", "root:", "folder:", "choose"
COL_LABEL, COL_PREVIEW, COL_SAVED = 0, 1, 2


class TagRuleEditor(QWidget):
    """The sliders and options of a tag rule; ``changed`` after any move."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prob_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.prob_slider.setRange(PROB_OFF, 100)
        self.prob_slider.setValue(DEFAULT_PROB)
        self.prob_value = QLabel(self)
        self.cos_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.cos_slider.setRange(COS_OFF, COS_MAX)
        self.cos_slider.setValue(COS_OFF)
        self.cos_value = QLabel(self)
        for label in (self.prob_value, self.cos_value):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("-0.00 "))
        self.combine_combo = QComboBox(self)
        self.combine_combo.addItem(self.tr("both conditions"), Combine.ALL.value)
        self.combine_combo.addItem(self.tr("either condition"), Combine.ANY.value)
        self.max_tags = QSpinBox(self)
        self.max_tags.setRange(0, 50)
        self.max_tags.setSpecialValueText(self.tr("no limit"))
        self.max_tags.setSuffix(self.tr(" tags per photo"))

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for text, slider, value in (
            (self.tr("Probability at least:"), self.prob_slider, self.prob_value),
            (self.tr("Cosine at least:"), self.cos_slider, self.cos_value),
        ):
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            row.addWidget(value)
            form.addRow(text, row)
        form.addRow(self.tr("Combine:"), self.combine_combo)
        form.addRow(self.tr("At most:"), self.max_tags)

        self.prob_slider.valueChanged.connect(self._on_changed)
        self.cos_slider.valueChanged.connect(self._on_changed)
        self.combine_combo.currentIndexChanged.connect(self._on_changed)
        self.max_tags.valueChanged.connect(self._on_changed)
        self._show_values()

    def rule(self) -> TagRule:
        prob, cos = self.prob_slider.value(), self.cos_slider.value()
        return TagRule(
            min_prob=None if prob == PROB_OFF else prob / 100,
            min_cos=None if cos == COS_OFF else cos / 100,
            combine=Combine(self.combine_combo.currentData()),
            max_tags=self.max_tags.value() or None,
        )

    def set_rule(self, min_prob: float | None, min_cos: float | None) -> None:
        self.prob_slider.setValue(PROB_OFF if min_prob is None else round(min_prob * 100))
        self.cos_slider.setValue(COS_OFF if min_cos is None else round(min_cos * 100))

    def _show_values(self) -> None:
        prob, cos = self.prob_slider.value(), self.cos_slider.value()
        self.prob_value.setText(self.tr("off") if prob == PROB_OFF else f"{prob / 100:.2f}")
        self.cos_value.setText(self.tr("off") if cos == COS_OFF else f"{cos / 100:.2f}")
        self.combine_combo.setEnabled(prob != PROB_OFF and cos != COS_OFF)

    def _on_changed(self) -> None:
        self._show_values()
        self.changed.emit()


AUTO_MODE = "auto"
UNION = "+"


class TagModelCombo(QComboBox):
    """"Automatic (by language)" and each indexed model (with its photo count); the data of
    an item is the mode it stands for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMaximumWidth(320)
        self.addItem(self.tr("Automatic (by language)"), AUTO_MODE)

    def set_models(self, counts: Mapping[str, int], name: Callable[[str], str],
                   mode: str) -> None:
        """Offer the indexed models (most photos first) and show ``mode``."""
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("Automatic (by language)"), AUTO_MODE)
        for model_id in sorted(counts, key=lambda m: -counts[m]):
            text = self.tr("%1 (%2 photos)").replace("%1", name(model_id))
            self.addItem(text.replace("%2", f"{counts[model_id]:,}"), model_id)
        self.blockSignals(False)
        self.set_mode(mode, name)

    def set_mode(self, mode: str, name: Callable[[str], str]) -> None:
        """Show ``mode``; one not offered (a union, a model not indexed) is added as it is."""
        index = self.findData(mode)
        if index < 0:
            parts = [p.strip() for p in mode.split(UNION) if p.strip()]
            if len(parts) > 1:
                text = self.tr("%1 + %2 (the one that reads the labels)").replace(
                    "%1", name(parts[0])).replace("%2", name(parts[1]))
            else:
                text = name(mode)
            self.addItem(text, mode)
            index = self.count() - 1
        self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(False)

    def mode(self) -> str:
        data = self.currentData()
        return data if isinstance(data, str) else AUTO_MODE


class ScopeCombo(QComboBox):
    """Which photos to tag: the whole library, a library folder, or a folder picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMaximumWidth(320)
        self._roots: list[Root] = []
        self._folders: list[Path] = []
        self._rebuild(None)
        self.activated.connect(self._on_activated)

    def set_roots(self, roots: Sequence[Root]) -> None:
        keep = self.currentData()
        self._roots = list(roots)
        self._rebuild(keep if isinstance(keep, str) else None)

    def _rebuild(self, keep: str | None) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("The whole library"), _ALL)
        for root in self._roots:
            self.addItem(shown(root.path), f"{_ROOT}{root.id}")
        for folder in self._folders:
            self.addItem(str(folder), f"{_FOLDER}{folder}")
        self.addItem(self.tr("Choose a folder…"), _CHOOSE)
        self.setCurrentIndex(max(0, self.findData(keep)) if keep else 0)
        self.blockSignals(False)

    def set_folder(self, folder: Path | None) -> None:
        """Only the photos under ``folder`` (None: the whole library)."""
        if folder is None:
            self.setCurrentIndex(0)
            return
        if folder not in self._folders:
            self._folders.append(folder)
        self._rebuild(f"{_FOLDER}{folder}")

    def _on_activated(self, index: int) -> None:
        if self.itemData(index) != _CHOOSE:
            return
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Tag the photos of a folder"))
        if chosen:
            self.set_folder(Path(chosen))
        else:
            self.setCurrentIndex(0)

    def scope(self) -> tuple[tuple[int, ...] | None, Path | None]:
        """``(root_ids, folder)`` of the chosen photos (both None: the whole library)."""
        data = str(self.currentData() or "")
        if data.startswith(_ROOT):
            return (int(data[len(_ROOT):]),), None
        if data.startswith(_FOLDER):
            return None, Path(data[len(_FOLDER):])
        return None, None


class TagTable(QTableWidget):
    """Tags with the number of photos the preview gives and the number carrying it saved."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels([self.tr("Tag"), self.tr("Preview"), self.tr("Saved")])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Stretch)
        for col in (COL_PREVIEW, COL_SAVED):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

    def fill(self, preview: Mapping[str, int], saved: Mapping[str, int],
             selected: str | None = None) -> None:
        """The preview's labels in their order, then the other saved tags by name."""
        labels = list(preview) + sorted(set(saved) - set(preview))
        self.setRowCount(len(labels))
        for row, label in enumerate(labels):
            self.setItem(row, COL_LABEL, QTableWidgetItem(label))
            for col, value in ((COL_PREVIEW, preview.get(label)), (COL_SAVED, saved.get(label))):
                cell = QTableWidgetItem("" if value is None else str(value))
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setData(Qt.ItemDataRole.UserRole, value)
                self.setItem(row, col, cell)
            if label == selected:
                self.selectRow(row)

    def counts(self, column: int = COL_PREVIEW) -> dict[str, int | None]:
        """``{label: count}`` of one column (None where the cell is empty)."""
        out: dict[str, int | None] = {}
        for row in range(self.rowCount()):
            label, cell = self.item(row, COL_LABEL), self.item(row, column)
            if label is not None:
                out[label.text()] = cell.data(Qt.ItemDataRole.UserRole) if cell else None
        return out

    def label_at(self, row: int) -> str | None:
        item = self.item(row, COL_LABEL)
        return item.text() if item is not None else None


@dataclass(frozen=True)
class TagPhotos:
    """The photos of one tag, best first; ``preview``: from kept scores, not saved tags."""

    label: str
    preview: bool
    hits: tuple[SearchHit, ...]
    photos: dict[int, Photo]
    tags: dict[int, tuple[str, ...]] = field(default_factory=dict)  # saved tag labels per id


def preview_photos(scores: TagScores, rule: TagRule, label: str
                   ) -> Callable[[Library], TagPhotos]:
    """A lookup of the photos ``rule`` would tag with ``label`` (ranked by cosine); the ranking
    is done now (on the GUI thread, pure numpy), the photo records are read by the lookup."""
    col = scores.labels.index(label)
    rows = np.flatnonzero(scores.mask(rule)[:, col])
    order = rows[np.argsort(-scores.cosines[rows, col], kind="stable")]
    ranked = [(int(scores.file_ids[i]), float(scores.cosines[i, col])) for i in order]

    def fetch(library: Library) -> TagPhotos:
        ids = [i for i, _ in ranked]
        photos = library.photos(ids)
        return TagPhotos(label, True, _hits(ranked, photos), photos, tag_labels(library.tags(ids)))

    return fetch


def saved_photos(library: Library, label: str) -> TagPhotos:
    """The photos carrying the saved tag ``label`` (automatic or manual), best score first."""
    ids = [int(i) for i in library.file_ids(tags=[label])]
    tags = library.tags(ids)
    scored = [(i, next((t.score or 0.0 for t in tags.get(i, []) if t.label == label), 0.0))
              for i in ids]
    scored.sort(key=lambda pair: -pair[1])
    photos = library.photos(ids)
    return TagPhotos(label, False, _hits(scored, photos), photos, tag_labels(tags))


def _hits(ranked: list[tuple[int, float]], photos: dict[int, Photo]) -> tuple[SearchHit, ...]:
    present = [(i, s) for i, s in ranked if i in photos]
    return tuple(SearchHit(file_id, photos[file_id].path, score, rank)
                 for rank, (file_id, score) in enumerate(present, start=1))
