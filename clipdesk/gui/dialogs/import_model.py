"""Asking for a local model checkpoint: weights file, optional architecture config, name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.dialogs.errors import show_error

CHECKPOINT_FILTER = "*.pt *.pth *.bin *.safetensors *.ckpt"


class ImportModelDialog(QDialog):
    """Asks for a checkpoint file, an optional architecture config JSON and a name."""

    def __init__(self, parent: QWidget | None = None, checkpoint: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Use a checkpoint file"))
        self.checkpoint = QLineEdit(checkpoint)
        self.config = QLineEdit()
        self.config.setPlaceholderText(self.tr("optional: recognised from the weights"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("optional"))
        browse_checkpoint = QPushButton(self.tr("Browse…"))
        browse_checkpoint.clicked.connect(self._browse_checkpoint)
        browse_config = QPushButton(self.tr("Browse…"))
        browse_config.clicked.connect(self._browse_config)
        form = QFormLayout()
        form.addRow(self.tr("Weights file:"), self._row(self.checkpoint, browse_checkpoint))
        form.addRow(self.tr("Model config (JSON):"), self._row(self.config, browse_config))
        form.addRow(self.tr("Name:"), self.name)
        hint = QLabel(self.tr("A Chinese CLIP or OpenCLIP checkpoint (.pt, .pth, .bin or "
                              ".safetensors). For a model of your own architecture, also choose "
                              "its config JSON."))
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @staticmethod
    def _row(edit: QLineEdit, button: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return box

    def _browse_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose model weights"), self.checkpoint.text(),
            self.tr("Model checkpoints (%1);;All files (*)").replace("%1", CHECKPOINT_FILTER))
        if path:
            self.checkpoint.setText(path)

    def _browse_config(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose the model config"), self.config.text(),
            self.tr("JSON files (*.json);;All files (*)"))
        if path:
            self.config.setText(path)

    def accept(self) -> None:
        if not Path(self.checkpoint.text().strip()).is_file():
            show_error(self, self.tr("Choose a weights file that exists on this computer."))
            return
        super().accept()
