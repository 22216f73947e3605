"""Choosing a model: download a built-in one (progress, speed, cancel) or import a local file.

Shown on the first run when no model's weights are on this computer, and from Models > Model
setup. Without a network it says so plainly and offers the file route; closing it without a model
leaves the app usable for browsing the library.

An imported checkpoint does not silently become the current model: the person is asked "Use
<name> for indexing and search now?" (:meth:`ModelSetupDialog.ask_use_now`); a failed import
reopens the form with what was typed and the reason.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.errors import WeightsMissing
from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.types import Progress, Stage
from clipdesk.gui.context import AppContext
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.errors import show_error
from clipdesk.gui.dialogs.import_model import ImportModelDialog, ImportValues
from clipdesk.gui.indexing import format_duration
from clipdesk.gui.model_texts import model_description
from clipdesk.gui.workers import JobWorker, start_job, stop_job

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole


def data_size(n: int, precision: int = 1) -> str:
    """Bytes as the person reads them (SI units: "753 MB", as download sizes are quoted)."""
    return QLocale().formattedDataSize(int(n), precision,
                                       QLocale.DataSizeFormat.DataSizeSIFormat)


@dataclass(frozen=True)
class _Offline:
    """The download could not start: no network (or nothing to download from)."""

    message: str


class ModelSetupDialog(QDialog):
    """Lists the built-in (and imported) models; downloads or imports one and makes it current.

    ``modelReady(model_id)`` is emitted when a model was set up and made the current one."""

    modelReady = Signal(str)
    modelImported = Signal(str)  # a checkpoint was imported (current or not)
    offlineShown = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 first_run: bool = False) -> None:
        super().__init__(parent)
        self.context = context
        self._job: JobWorker[object] | None = None
        self._job_model: str | None = None
        self._import_values: ImportValues | None = None  # of the import running now
        self.import_form: ImportModelDialog | None = None
        self._select_after: str | None = None  # selected once the list is refreshed
        self.setWindowTitle(self.tr("Set up a model"))
        self.resize(860, 460)

        intro = QLabel(self.tr(
            "clipdesk needs a model to understand your photos. Download one (once), or use a "
            "checkpoint file you already have. Until then you can still browse your library.")
            if first_run else self.tr("Models that clipdesk can use. The current model indexes "
                                      "and searches; switching keeps what other models indexed."))
        intro.setWordWrap(True)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels([self.tr("Model"), self.tr("Languages"), self.tr("Size"),
                                   self.tr("Status"), self.tr("Description")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.use_selected())

        self.notice = QLabel()
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.progress = QProgressBar()
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.cancel_button.clicked.connect(self.cancel_download)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        box_layout = QVBoxLayout(self.progress_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addLayout(progress_row)
        box_layout.addWidget(self.progress_label)
        self.progress_box.hide()

        buttons = QDialogButtonBox()
        self.use_button = buttons.addButton(self.tr("Use this model"),
                                            QDialogButtonBox.ButtonRole.AcceptRole)
        self.download_button = buttons.addButton(self.tr("Download and use"),
                                                 QDialogButtonBox.ButtonRole.ActionRole)
        self.file_button = buttons.addButton(self.tr("Use a checkpoint file on this computer…"),
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = buttons.addButton(
            self.tr("Not now") if first_run else self.tr("Close"),
            QDialogButtonBox.ButtonRole.RejectRole)
        self.use_button.clicked.connect(self.use_selected)
        self.download_button.clicked.connect(self.download_selected)
        self.file_button.clicked.connect(self.choose_checkpoint)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.progress_box)
        layout.addWidget(buttons)
        self.refresh()

    # -- the list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        registry = self.context.engine.registry
        current = self.context.current_model_id()
        selected = self.selected_model_id() or current
        self.tree.clear()
        select: QTreeWidgetItem | None = None
        for info in registry.all():
            available = registry.is_available(info)
            name = info.display_name
            if info.recommended and info.backend.value == "cn_clip":
                name = self.tr("%1 (recommended)").replace("%1", name)
            status = (self.tr("current") if info.model_id == current else
                      self.tr("on this computer") if available else
                      self.tr("imported, file missing") if info.user else
                      self.tr("download"))
            item = QTreeWidgetItem([name, self.languages_text(info), self.size_text(info),
                                    status, self.description_text(info)])
            item.setData(0, ID_ROLE, info.model_id)
            item.setToolTip(4, item.text(4))
            self.tree.addTopLevelItem(item)
            if info.model_id == selected or (select is None and info.model_id == current):
                select = item
        if select is None:
            select = self.item_for(registry.default().model_id)
        if select is not None:
            self.tree.setCurrentItem(select)
        self._update_buttons()

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def model_ids(self) -> list[str]:
        return [str(item.data(0, ID_ROLE)) for item in self._items()]

    def item_for(self, model_id: str) -> QTreeWidgetItem | None:
        return next((item for item in self._items() if item.data(0, ID_ROLE) == model_id), None)

    def languages_text(self, info: ModelInfo) -> str:
        if "*" in info.languages:
            return self.tr("many languages")
        if info.recommended and info.backend.value == "cn_clip":
            return self.tr("Chinese, English")  # Chinese CLIP's text tower reads English too
        names = {"zh": self.tr("Chinese"), "en": self.tr("English")}
        return ", ".join(names.get(code, code) for code in sorted(info.languages, reverse=True))

    def description_text(self, info: ModelInfo) -> str:
        if info.recommended and info.backend.value == "cn_clip":
            return self.tr("The recommended default: handles Chinese and English queries, "
                           "a good balance of speed and accuracy.")
        return model_description(info.description) or (self.tr("Imported from %1").replace(
            "%1", info.checkpoint_path.name) if info.checkpoint_path else "")

    @staticmethod
    def size_text(info: ModelInfo) -> str:
        if info.download_size <= 0:
            return "—"
        return data_size(info.download_size, 0)

    def selected_model_id(self) -> str | None:
        item = self.tree.currentItem() if hasattr(self, "tree") else None
        return str(item.data(0, ID_ROLE)) if item is not None else None

    def select_model(self, model_id: str) -> None:
        item = self.item_for(model_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _update_buttons(self, *_: object) -> None:
        busy = self._job is not None
        model_id = self.selected_model_id()
        info = self.context.model_info(model_id) if model_id else None
        available = info is not None and self.context.engine.registry.is_available(info)
        self.use_button.setEnabled(not busy and available)
        self.download_button.setEnabled(not busy and info is not None and not info.user
                                        and not available)
        self.file_button.setEnabled(not busy)
        self.tree.setEnabled(not busy)

    # -- using, downloading, importing --------------------------------------------------------

    def use_selected(self) -> None:
        model_id = self.selected_model_id()
        if model_id is None or self._job is not None:
            return
        info = self.context.model_info(model_id)
        if info is None or not self.context.engine.registry.is_available(info):
            self.download_selected()
            return
        self._made_ready(model_id)
        self.accept()

    def download_selected(self) -> None:
        model_id = self.selected_model_id()
        info = self.context.model_info(model_id) if model_id else None
        if info is None or self._job is not None:
            return
        registry = self.context.engine.registry

        def job(token: CancelToken, progress: ProgressCallback) -> object:
            started = time.monotonic()
            first: list[int] = []

            def on_bytes(done: int, total: int) -> None:
                if not first:
                    first.append(done)  # a resumed .part does not count towards the speed
                elapsed = time.monotonic() - started
                rate = (done - first[0]) / elapsed if elapsed > 0.2 else 0.0
                eta = (total - done) / rate if rate > 0 and total else None
                progress(Progress(Stage.DOWNLOADING, done, total, rate=rate, eta_s=eta))

            try:
                return registry.ensure(info, download=True, progress=on_bytes, token=token)[0]
            except WeightsMissing as exc:
                return _Offline(str(exc))

        self.notice.hide()
        self.progress.setRange(0, 0)
        self.progress_label.setText(self.tr("Connecting…"))
        self.progress_box.show()
        self._start(job, info.model_id, f"download {info.model_id}")

    def choose_checkpoint(self, values: ImportValues | None = None, error: str = ""
                          ) -> ImportModelDialog:
        """The import form (window-modal), filled with ``values`` and saying ``error`` when an
        import of them failed; OK imports."""
        registry = self.context.engine.registry
        towers = [(i.model_id, i.display_name) for i in registry.all()
                  if i.backend.value == "hf" and not i.shares_images]
        dialog = ImportModelDialog(self, values=values, image_models=towers)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if error:
            dialog.show_error(error)
        dialog.accepted.connect(lambda: self._import_values_of(dialog.values()))
        self.import_form = dialog
        dialog.open()
        return dialog

    def _import_values_of(self, values: ImportValues) -> None:
        self.import_form = None
        self.import_checkpoint(values.checkpoint, values.config, values.name, arch=values.arch,
                               image_model=values.image_model)

    def import_checkpoint(self, checkpoint: str | Path, config: str | Path | None = None,
                          name: str | None = None, *, arch: str | None = None,
                          image_model: str | None = None) -> None:
        """Import ``checkpoint`` (built and loaded once, in the background) as a user model;
        ``arch`` names its architecture when there is no ``config``; ``image_model`` is a text
        tower's image model."""
        if self._job is not None:
            return
        registry = self.context.engine.registry
        self._import_values = ImportValues(str(checkpoint), str(config) if config else None,
                                           arch, name, image_model)
        unknown = self.tr("clipdesk could not tell which architecture %1 is for. Choose it "
                          "under Architecture, or choose the model's config JSON.")

        def job(token: CancelToken, progress: ProgressCallback) -> object:
            from clipdesk.core.errors import ModelError
            from clipdesk.core.models.importer import UnknownArchitecture

            try:
                return registry.import_model(checkpoint, config=config, arch=arch, name=name,
                                             image_model=image_model)
            except UnknownArchitecture as exc:  # phrased for this form, not the command line
                raise ModelError(unknown.replace("%1", exc.checkpoint)) from exc

        self.notice.hide()
        self.progress.setRange(0, 0)
        self.progress_label.setText(self.tr("Checking the model file…"))
        self.cancel_button.hide()
        self.progress_box.show()
        self._start(job, None, "import model")

    def _start(self, job: object, model_id: str | None, name: str) -> None:
        worker: JobWorker[object] = JobWorker(job, name=name, min_interval=0.25,  # type: ignore[arg-type]
                                              parent=self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.done.connect(self._on_done)
        self._job, self._job_model = worker, model_id
        self._update_buttons()
        start_job(worker)

    def cancel_download(self) -> None:
        if self._job is not None:
            self.progress_label.setText(self.tr("Cancelling…"))
            self._job.cancel()

    def is_busy(self) -> bool:
        return self._job is not None

    def _on_progress(self, p: Progress) -> None:
        if p.total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * p.done / p.total))
            text = self.tr("%1 of %2").replace("%1", data_size(p.done)).replace(
                "%2", data_size(p.total))
        else:
            self.progress.setRange(0, 0)
            text = data_size(p.done)
        if p.rate > 0:
            text += " · " + self.tr("%1/s").replace("%1", data_size(int(p.rate)))
        if p.eta_s is not None:
            text += " · " + self.tr("%1 left").replace("%1", format_duration(p.eta_s))
        self.progress_label.setText(text)

    def _on_finished(self, result: object) -> None:
        if isinstance(result, _Offline):
            self.show_offline(result.message)
            return
        # an import returns the new model's info; a download the weights' path
        model_id = result.model_id if isinstance(result, ModelInfo) else self._job_model or ""
        self.context.forget_encoder_state(model_id)
        if isinstance(result, ModelInfo):
            self._import_values = None
            self.modelImported.emit(model_id)
            if not self.ask_use_now(result):
                self._select_after = model_id
                self.notice.setText(self.tr(
                    "%1 is imported. To index and search with it later, choose it here (Models "
                    "> Model setup) and press “Use this model”.").replace(
                    "%1", result.display_name))
                self.notice.show()
                return
        self._made_ready(model_id)
        self.accept()

    def ask_use_now(self, info: ModelInfo) -> bool:
        """Ask whether the imported model should index and search from now on (replaced in
        tests; no when dialogs are off)."""
        if not errors.dialogs_enabled:
            return False
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Model imported"),
                          self.tr("Use %1 for indexing and search now?").replace(
                              "%1", info.display_name),
                          QMessageBox.StandardButton.NoButton, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(self.tr("What other models indexed is kept. You can switch later "
                                       "in Models > Model setup."))
        use = box.addButton(self.tr("Use it now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is use

    def show_offline(self, detail: str) -> None:
        text = self.tr("This computer seems to be offline, so the model cannot be downloaded "
                       "now. If you have its weights file, choose “Use a checkpoint file on this "
                       "computer…”.")
        self.notice.setText(text + "\n\n" + detail)
        self.notice.show()
        self.file_button.setFocus()
        self.offlineShown.emit(detail)

    def _on_failed(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.show()
        values, self._import_values = self._import_values, None
        if values is not None:  # the form again, as it was typed, with the reason in it
            self.choose_checkpoint(values, message)
            return
        show_error(self, message)

    def _on_cancelled(self) -> None:
        self.notice.setText(self.tr("The download was cancelled. What was downloaded is kept: "
                                    "downloading again continues from there."))
        self.notice.show()

    def _on_done(self) -> None:
        self._job = None
        self.progress_box.hide()
        self.cancel_button.show()
        self.refresh()
        if self._select_after is not None:
            self.select_model(self._select_after)
            self._select_after = None

    def _made_ready(self, model_id: str) -> None:
        self.context.set_current_model(model_id)
        self.modelReady.emit(model_id)

    def reject(self) -> None:
        if self._job is not None:
            stop_job(self._job, 5_000)
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._job is not None:
            stop_job(self._job, 5_000)
        super().closeEvent(event)
