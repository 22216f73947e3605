"""Settings: device, batch size, decode workers, GPU decoding, thumbnail size, data folder (shown,
can be opened), language.

Saved through ``Engine.settings`` + ``Engine.save_settings()``; the device and the language apply
the next time clipdesk starts (models already loaded stay where they are).
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.pipeline.processes import default_workers
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs.errors import show_error

log = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Edits the engine's settings; ``saved(names)`` lists the settings that changed."""

    saved = Signal(list)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        settings = context.engine.settings
        self.setWindowTitle(self.tr("Settings"))

        self.device = QComboBox()
        self.device.addItem(self.tr("Automatic (GPU when there is one)"), "auto")
        self.device.addItem(self.tr("CPU"), "cpu")
        self.device.addItem(self.tr("GPU (CUDA)"), "cuda")
        if sys.platform == "darwin" or settings.device == "mps":
            self.device.addItem(self.tr("Apple GPU (MPS)"), "mps")
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))

        self.batch_size = QSpinBox()
        self.batch_size.setRange(0, 4096)
        self.batch_size.setSpecialValueText(self.tr("Automatic"))
        self.batch_size.setValue(settings.batch_size)
        self.batch_size.setToolTip(self.tr("Photos the model looks at together. Larger is "
                                           "faster on a GPU with enough memory."))

        self.decode_workers = QSpinBox()
        self.decode_workers.setRange(0, 256)
        self.decode_workers.setSpecialValueText(
            self.tr("Automatic (%1, one per core)").replace("%1", str(default_workers())))
        self.decode_workers.setValue(settings.decode_workers)
        self.decode_workers.setToolTip(self.tr("Processes that read and decode photos while "
                                               "the model works. Fewer leave more of the "
                                               "computer free while indexing."))

        self.gpu_decode = QCheckBox(self.tr("Decode JPEG photos on the GPU"))
        self.gpu_decode.setChecked(settings.gpu_decode)
        self.gpu_decode.setToolTip(self.tr("When the model runs on an NVIDIA GPU, the GPU also "
                                           "decodes plain JPEG files; other files and those it "
                                           "cannot read are decoded by the processor."))

        self.read_text = QCheckBox(self.tr("Read the text in photos (signs, receipts, "
                                           "screenshots) to search by it"))
        self.read_text.setChecked(settings.read_text)
        self.read_text.setToolTip(self.tr("Indexing also reads the Chinese and English text in "
                                          "each photo, once, on the processor (a fraction of a "
                                          "second per photo). Search for the words with "
                                          "“Words in photos” in text search."))

        self.thumbnail_size = QSpinBox()
        self.thumbnail_size.setRange(64, 1024)
        self.thumbnail_size.setSingleStep(32)
        self.thumbnail_size.setSuffix(self.tr(" px"))
        self.thumbnail_size.setValue(settings.thumbnail_size)

        self.data_folder = QLabel(str(context.engine.paths.root))
        self.data_folder.setTextFormat(Qt.TextFormat.PlainText)
        self.data_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_folder.setWordWrap(True)
        self.open_folder = QPushButton(self.tr("Open"))
        self.open_folder.clicked.connect(self.open_data_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.data_folder, 1)
        folder_row.addWidget(self.open_folder)

        self.language = QComboBox()
        self.language.addItem(self.tr("System default"), "system")
        self.language.addItem("English", "en")  # language names are shown in that language
        self.language.addItem("中文（简体）", "zh_CN")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.ui_language)))

        form = QFormLayout()
        form.addRow(self.tr("Device:"), self.device)
        form.addRow(self.tr("Batch size:"), self.batch_size)
        form.addRow(self.tr("Decode workers:"), self.decode_workers)
        form.addRow("", self.gpu_decode)
        form.addRow("", self.read_text)
        form.addRow(self.tr("Thumbnail size:"), self.thumbnail_size)
        form.addRow(self.tr("Data folder:"), folder_row)
        form.addRow(self.tr("Language:"), self.language)
        note = QLabel(self.tr("Device and language changes apply the next time clipdesk "
                              "starts."))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> dict[str, object]:
        return {
            "device": self.device.currentData(),
            "batch_size": self.batch_size.value(),
            "decode_workers": self.decode_workers.value(),
            "gpu_decode": self.gpu_decode.isChecked(),
            "read_text": self.read_text.isChecked(),
            "thumbnail_size": self.thumbnail_size.value(),
            "ui_language": self.language.currentData(),
        }

    def apply(self) -> list[str]:
        """Store the values in the settings and save them; returns the names that changed."""
        settings = self.context.engine.settings
        changed = [name for name, value in self.values().items()
                   if getattr(settings, name) != value]
        for name in changed:
            setattr(settings, name, self.values()[name])
        if changed:
            self.context.engine.save_settings()
            log.info("settings changed: %s", ", ".join(changed))
        return changed

    def accept(self) -> None:
        try:
            changed = self.apply()
        except OSError as exc:
            log.warning("could not save the settings: %s", exc)
            show_error(self, self.tr("The settings could not be saved: %1").replace(
                "%1", exc.strerror or str(exc)))
            return
        self.saved.emit(changed)
        super().accept()

    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.engine.paths.root)))
