"""The strip above the results grid: how many photos, how they are sorted and shown.

"200 photos · best match 0.31", then the sort order (best match, date taken, name, folder), the
stack toggle (near-identical photos as one tile), the folder toggle (each tile's folder under its
name) and the thumbnail size slider. None of them re-runs the search: they arrange and draw the
results there are. The size, the folders and stacking are view settings, remembered in the
window's settings file (not in the library's settings: thumbnails are stored at one size, the
library's, and scaled to what the grid shows).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from clipdesk.gui.results.delegate import DEFAULT_ICON_SIZE
from clipdesk.gui.results.model import ResultsModel, SortKey
from clipdesk.gui.results.view import ICON_STEP, MAX_ICON_SIZE, MIN_ICON_SIZE, ResultsView
from clipdesk.paths import create_private_file

KEY_SIZE = "results/thumbnail_size"
KEY_FOLDERS = "results/show_folders"
KEY_STACKING = "results/stack_similar"


def view_settings(path: Path) -> QSettings:
    """The window's settings file (made private first, like the rest of the data folder)."""
    create_private_file(path)
    return QSettings(str(path), QSettings.Format.IniFormat)


class ResultsHeader(QWidget):
    """Result count, sort order, stacking, folders and thumbnail size of one results grid."""

    def __init__(
        self,
        model: ResultsModel,
        view: ResultsView,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.view = view
        self._settings = settings

        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sort_combo = QComboBox(self)
        self.sort_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sort_combo.setToolTip(self.tr("Order of the results (the search is not run again)"))
        for text, key in (
            (self.tr("Best match"), SortKey.SCORE),
            (self.tr("Date taken"), SortKey.DATE),
            (self.tr("Name"), SortKey.NAME),
            (self.tr("Folder"), SortKey.FOLDER),
        ):
            self.sort_combo.addItem(text, key.value)
        self.stack_button = QToolButton(self)
        self.stack_button.setText(self.tr("Stack similar"))
        self.stack_button.setCheckable(True)
        self.stack_button.setToolTip(self.tr(
            "Show copies and near-identical photos (bursts) as one tile; its “×N” badge opens "
            "the stack"))
        self.folder_button = QToolButton(self)
        self.folder_button.setDefaultAction(view.show_folder_action)  # "Folders"
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(MIN_ICON_SIZE, MAX_ICON_SIZE)
        self.size_slider.setSingleStep(ICON_STEP // 2)
        self.size_slider.setPageStep(ICON_STEP)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setToolTip(self.tr("Thumbnail size (Ctrl++, Ctrl+−; Ctrl+0: default)"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.count_label, 1)
        sort_label = QLabel(self.tr("Sort:"), self)
        sort_label.setBuddy(self.sort_combo)
        layout.addWidget(sort_label)
        layout.addWidget(self.sort_combo)
        layout.addSpacing(8)
        layout.addWidget(self.stack_button)
        layout.addWidget(self.folder_button)
        layout.addSpacing(8)
        size_label = QLabel(self.tr("Size:"), self)
        size_label.setBuddy(self.size_slider)
        layout.addWidget(size_label)
        layout.addWidget(self.size_slider)

        self._restore()
        self.sort_combo.currentIndexChanged.connect(self._on_sort)
        self.stack_button.toggled.connect(self._on_stacking)
        self.size_slider.valueChanged.connect(self.view.set_icon_size)
        view.iconSizeChanged.connect(self._on_icon_size)
        view.showFolderChanged.connect(self._on_show_folder)
        model.arrangementChanged.connect(self.update_count)
        model.modelReset.connect(self.update_count)
        self.update_count()

    # -- settings --------------------------------------------------------------------------------

    def _restore(self) -> None:
        size, folders, stacking = DEFAULT_ICON_SIZE, False, True
        if self._settings is not None:
            size = _int(self._settings.value(KEY_SIZE), DEFAULT_ICON_SIZE)
            folders = _bool(self._settings.value(KEY_FOLDERS), False)
            stacking = _bool(self._settings.value(KEY_STACKING), True)
        self.view.set_icon_size(size)
        self.view.set_show_folder(folders)
        self.view.set_stacking(stacking)
        self.size_slider.setValue(self.view.icon_size)
        self.stack_button.setChecked(self.model.is_stacking())
        index = self.sort_combo.findData(self.model.sort_key().value)
        self.sort_combo.setCurrentIndex(max(0, index))

    def _remember(self, key: str, value: object) -> None:
        if self._settings is not None:
            self._settings.setValue(key, value)

    # -- reacting --------------------------------------------------------------------------------

    def _on_sort(self, index: int) -> None:
        self.model.set_sort_key(SortKey(self.sort_combo.itemData(index)))
        current = self.view.currentIndex()
        if current.isValid():
            self.view.scrollTo(current)
        else:
            self.view.scrollToTop()

    def _on_stacking(self, on: bool) -> None:
        self.view.set_stacking(on)
        self._remember(KEY_STACKING, bool(on))

    def _on_icon_size(self, size: int) -> None:
        if self.size_slider.value() != size:
            self.size_slider.blockSignals(True)
            self.size_slider.setValue(size)
            self.size_slider.blockSignals(False)
        self._remember(KEY_SIZE, int(size))

    def _on_show_folder(self, on: bool) -> None:
        self._remember(KEY_FOLDERS, bool(on))

    def update_count(self) -> None:
        self.count_label.setText(self.count_text())

    def count_text(self) -> str:
        """"200 photos · best match 0.31" (and how many wait inside closed stacks)."""
        photos = self.model.photo_count()
        if photos == 0:
            return self.tr("No photos")
        parts = [self.tr("%n photo(s)", "", photos)]
        hidden = photos - self.model.rowCount()
        if hidden > 0:
            parts.append(self.tr("%n in stacks", "", hidden))
        best = self.model.best_score()
        if best is not None:
            parts.append(self.tr("best match %1").replace("%1", f"{best:.2f}"))
        return " · ".join(parts)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default


def _bool(value: object, default: bool) -> bool:
    """QSettings gives back "true"/"false" strings from an ini file."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default
