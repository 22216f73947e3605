"""Asking for a local model checkpoint: weights file, optional architecture config or
architecture name, and a name.

The form is reopened with what the person typed when an import fails (:meth:`show_error`), so
a wrong guess costs one field, not the whole form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
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
# the architectures clipdesk can build without a config (the importer's built-in ones)
CN_CLIP_ARCHES = ("ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14", "RN50")
OPEN_CLIP_ARCHES = ("ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14", "ViT-g-14",
                    "ViT-bigG-14", "ViT-B-16-plus-240", "RN50", "RN101")


def known_architectures() -> list[str]:
    """Architecture names for the Architecture field, as the importer reads them."""
    return [f"cn_clip:{a}" for a in CN_CLIP_ARCHES] + [f"open_clip:{a}" for a in OPEN_CLIP_ARCHES]


@dataclass(frozen=True)
class ImportValues:
    """What the form holds: ``config``, ``arch`` and ``name`` are None when left empty."""

    checkpoint: str
    config: str | None = None
    arch: str | None = None
    name: str | None = None
    image_model: str | None = None  # a text tower's image model (Taiyi-CLIP's OpenAI CLIP)


class ImportModelDialog(QDialog):
    """Asks for a checkpoint file, an optional architecture (config JSON or a known
    architecture's name) and a name."""

    def __init__(self, parent: QWidget | None = None, checkpoint: str = "", *,
                 values: ImportValues | None = None,
                 image_models: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Use a checkpoint file"))
        self.checkpoint = QLineEdit(checkpoint)
        self.config = QLineEdit()
        self.config.setPlaceholderText(self.tr("optional: recognised from the weights"))
        self.arch = QComboBox()
        self.arch.setEditable(True)
        self.arch.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.arch.addItem(self.tr("recognise from the weights"), "")
        for name in known_architectures():
            self.arch.addItem(name, name)
        self.arch.setToolTip(self.tr("The architecture the weights are for, when clipdesk cannot "
                                     "recognise it and you have no config JSON"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("optional"))
        self.image_model = QComboBox()
        self.image_model.addItem(self.tr("its own"), "")
        for model_id, display in image_models:
            self.image_model.addItem(display, model_id)
        self.image_model.setToolTip(self.tr(
            "Only for a text tower without images of its own (Taiyi-CLIP): the model whose "
            "image vectors it was trained for. It then searches that model's photos, with no "
            "second indexing."))
        browse_checkpoint = QPushButton(self.tr("Browse…"))
        browse_checkpoint.clicked.connect(self._browse_checkpoint)
        browse_folder = QPushButton(self.tr("Folder…"))
        browse_folder.setToolTip(self.tr("A model folder: OpenCLIP's, or a Hugging Face "
                                         "transformers folder as save_pretrained writes it"))
        browse_folder.clicked.connect(self._browse_folder)
        browse_config = QPushButton(self.tr("Browse…"))
        browse_config.clicked.connect(self._browse_config)
        form = QFormLayout()
        form.addRow(self.tr("Weights file:"),
                    self._row(self.checkpoint, browse_checkpoint, browse_folder))
        form.addRow(self.tr("Model config (JSON):"), self._row(self.config, browse_config))
        form.addRow(self.tr("Architecture:"), self.arch)
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Photos of:"), self.image_model)
        hint = QLabel(self.tr("A Chinese CLIP or OpenCLIP checkpoint (.pt, .pth, .bin or "
                              ".safetensors). For a model of your own architecture, also choose "
                              "its config JSON.") + " " + self.tr(
            "Or choose a model folder: a Hugging Face transformers folder (CLIP, Chinese-CLIP, "
            "AltCLIP, SigLIP, a LiT dual encoder) as save_pretrained writes it, or a text tower "
            "(Taiyi-CLIP) with the model whose photos it searches."))
        hint.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        if values is not None:
            self.set_values(values)

    @staticmethod
    def _row(edit: QLineEdit, *buttons: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        for button in buttons:
            row.addWidget(button)
        return box

    # -- values --------------------------------------------------------------------------------

    def arch_value(self) -> str | None:
        """The architecture typed or chosen; None for "recognise from the weights"."""
        text = self.arch.currentText().strip()
        if not text or text == self.arch.itemText(0):
            return None
        return text

    def values(self) -> ImportValues:
        return ImportValues(self.checkpoint.text().strip(), self.config.text().strip() or None,
                            self.arch_value(), self.name.text().strip() or None,
                            self.image_model.currentData() or None)

    def set_values(self, values: ImportValues) -> None:
        self.checkpoint.setText(values.checkpoint)
        self.config.setText(values.config or "")
        if values.arch:
            self.arch.setCurrentText(values.arch)
        else:
            self.arch.setCurrentIndex(0)
        self.name.setText(values.name or "")
        self.image_model.setCurrentIndex(max(0, self.image_model.findData(values.image_model
                                                                          or "")))

    def show_error(self, message: str) -> None:
        """Say in the form why the import failed (the fields keep what was typed)."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    # -- files ---------------------------------------------------------------------------------

    def _browse_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose model weights"), self.checkpoint.text(),
            self.tr("Model checkpoints (%1);;All files (*)").replace("%1", CHECKPOINT_FILTER))
        if path:
            self.checkpoint.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder"),
                                                self.checkpoint.text())
        if path:
            self.checkpoint.setText(path)

    def _browse_config(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose the model config"), self.config.text(),
            self.tr("JSON files (*.json);;All files (*)"))
        if path:
            self.config.setText(path)

    def accept(self) -> None:
        text = self.checkpoint.text().strip()
        # a folder is welcome too: open_clip's, or transformers' save_pretrained
        if not text or not (Path(text).is_file() or Path(text).is_dir()):
            show_error(self, self.tr("Choose a weights file or model folder that exists on this "
                                     "computer."))
            return
        super().accept()
