"""A compact progress line for the tagging and evaluation jobs: bar, text and a Cancel button.

:class:`JobBar` follows one :class:`~clipdesk.gui.workers.JobWorker` at a time; it only shows what
the worker's signals say (delivered on the GUI thread) and cancels through the worker's token.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from clipdesk.core.types import Progress, Stage
from clipdesk.gui.indexing import progress_text
from clipdesk.gui.workers import JobWorker


class JobBar(QWidget):
    """Progress of the current job; hidden parts while idle, the last message stays."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(220)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button)
        self._worker: JobWorker[Any] | None = None
        self.cancel_button.clicked.connect(self.cancel)
        self._set_running(False)

    def follow(self, worker: JobWorker[Any], text: str) -> None:
        """Show ``worker``'s progress until it is done (``text`` until the first report)."""
        self._worker = worker
        worker.progress.connect(self.show_progress)
        worker.done.connect(lambda: self._on_done(worker))
        self.bar.setRange(0, 0)
        self.label.setText(text)
        self._set_running(True)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.label.setText(self.tr("Cancelling…"))

    def is_running(self) -> bool:
        return self._worker is not None

    def set_message(self, text: str) -> None:
        self.label.setText(text)

    def show_progress(self, p: Progress) -> None:
        if p.total > 0:
            self.bar.setRange(0, p.total)
            self.bar.setValue(min(p.done, p.total))
        else:
            self.bar.setRange(0, 0)
        self.label.setText(self.stage_text(p))

    def stage_text(self, p: Progress) -> str:
        if p.stage is Stage.TAGGING:
            return self.tr("Scoring photos: %1 of %2").replace("%1", str(p.done)).replace(
                "%2", str(p.total))
        if p.stage is Stage.EVALUATING:
            return self.tr("Encoding labels and computing scores: %1 of %2").replace(
                "%1", str(p.done)).replace("%2", str(p.total))
        if p.stage is Stage.SAVING and p.total > 0:
            return self.tr("Saving: %1 of %2").replace("%1", str(p.done)).replace(
                "%2", str(p.total))
        return progress_text(p)

    def _on_done(self, worker: JobWorker[Any]) -> None:
        if self._worker is worker:
            self._worker = None
            self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.bar.setVisible(running)
        self.cancel_button.setVisible(running)
        if not running:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
