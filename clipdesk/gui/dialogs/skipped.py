"""The files indexing skipped, with the reason for each, and the folders it could not read, as
plain text."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.types import Photo
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.errors import plain_tooltip
from clipdesk.gui.names import shown


class SkippedFilesDialog(QDialog):
    """Lists skipped files (path, reason) and unreadable folders of one root, or of the whole
    library.

    The list is read in the background; ``loaded(count)`` is emitted when it is shown."""

    loaded = Signal(int)

    def __init__(self, context: AppContext, root_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.root_id = root_id
        self.setWindowTitle(self.tr("Skipped files"))
        self.resize(760, 420)
        self.summary = QLabel(self.tr("Loading…"))
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Reason")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 440)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(self.tr("Copy list"),
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_list)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self._rows: list[tuple[str, str]] = []
        context.run_task(self._read, self.set_files, self._failed)

    def _read(self) -> tuple[list[Photo], list[Path]]:
        library = self.context.library()
        skipped = library.skipped_files()
        if self.root_id is not None:
            skipped = [p for p in skipped if p.root_id == self.root_id]
        return skipped, library.unreadable_folders(self.root_id)

    def set_files(self, found: tuple[list[Photo], list[Path]]) -> None:
        photos, folders = found
        folder_reason = self.tr("folder could not be read; what was indexed in it is kept")
        self._rows = [(shown(f) + os.sep, folder_reason) for f in folders] + [
            (shown(p.path), p.skip_reason or self.tr("unknown reason")) for p in photos]
        self.table.setRowCount(len(self._rows))
        for row, (path, reason) in enumerate(self._rows):
            # table items never interpret markup: a name like <b>x</b>.jpg shows as typed
            item = QTableWidgetItem(path)
            item.setToolTip(plain_tooltip(path))
            self.table.setItem(row, 0, item)
            because = QTableWidgetItem(reason)
            because.setToolTip(plain_tooltip(reason))  # a long reason is cut at the edge
            self.table.setItem(row, 1, because)
        sentences = []
        if folders:
            sentences.append(self.tr("%n folder(s) could not be read (permissions, a failing "
                                     "disk); they are tried again at the next scan.", "",
                                     len(folders)))
        if photos:
            sentences.append(self.tr("%n file(s) could not be read and were skipped. They "
                                     "are tried again when they change.", "", len(photos)))
        self.summary.setText(" ".join(sentences) or self.tr("No files were skipped."))
        self.loaded.emit(len(self._rows))

    def _failed(self, message: str) -> None:
        self.summary.setText(message)
        self.loaded.emit(0)

    def rows(self) -> list[tuple[str, str]]:
        return list(self._rows)

    def copy_list(self) -> None:
        text = "\n".join(f"{path}\t{reason}" for path, reason in self._rows)
        QApplication.clipboard().setText(text)
