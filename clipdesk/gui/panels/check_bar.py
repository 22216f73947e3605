"""The text search's "check with a vision-language model" row, and the check it runs.

:class:`CheckBar` holds the choice: on or off, which model (the built-ins, with their download
size when they are not here yet, or a model folder), how many of the top hits, and what the
answers do (re-rank, keep only the confirmed ones, blend). :class:`HitChecker` runs the check of
a search's hits as a cancellable job and says how it goes (an estimate first when there is no
GPU: a CPU check can take minutes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.core.rerank.catalog import VlmModel, builtin_vlms, find_vlm, is_available
from clipdesk.core.types import Progress, SearchHit, Stage
from clipdesk.gui.indexing import format_duration, progress_text
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.rerank.actions import CheckedHits
    from clipdesk.gui.context import AppContext

log = logging.getLogger(__name__)

FOLDER = "<folder>"  # the combo's "a model folder…" entry


@dataclass(frozen=True)
class CheckChoice:
    spec: str
    top: int
    mode: str  # rerank | filter | blend


def offered_name(model: VlmModel, context: AppContext) -> str:
    """A local model's name as a picker offers it: with its download size when it is not on
    this computer yet."""
    if is_available(model, context.engine.paths):
        return model.display_name
    return QCoreApplication.translate("VlmPicker", "%1 (%2 MB to download)").replace(
        "%1", model.display_name).replace("%2", f"{model.download_size / 1e6:,.0f}")


def cpu_seconds(context: AppContext, spec: str, steps: int, *,
                writer: bool = False) -> float | None:
    """About how long ``steps`` photos (a writer: steps of a label) take with ``spec`` when the
    model runs on the CPU; None with a GPU, or for a model clipdesk cannot size."""
    from clipdesk.core.descriptions.writer import find_writer
    from clipdesk.core.models.device import pick_device

    if pick_device(context.engine.settings.device) != "cpu":
        return None
    try:
        model = find_writer(spec) if writer else find_vlm(spec)
    except Exception:  # not a model folder: the job says so when it runs
        return None
    return model.seconds_per_photo("cpu") * steps


class VlmPicker(QComboBox):
    """The vision-language models: the built-ins (with their download size when they are not
    here yet), then "A model folder…", which asks for a folder. ``spec()`` is the chosen id or
    folder (None while the folder entry has none)."""

    chosen = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for model in builtin_vlms():
            self.addItem(offered_name(model, context), model.model_id)
            self.setItemData(self.count() - 1, model.description, Qt.ItemDataRole.ToolTipRole)
        self.addItem(self.tr("A model folder…"), FOLDER)
        # long names never widen the window (it fits 1024 px with the sidebar)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)
        self._folder: str | None = None
        self.activated.connect(self._on_activated)

    def spec(self) -> str | None:
        data = self.currentData()
        return self._folder if data == FOLDER else str(data)

    def set_folder(self, folder: str) -> None:
        self._folder = folder
        self.setCurrentIndex(self.findData(FOLDER))
        self.setToolTip(folder)
        self.chosen.emit()

    def _on_activated(self, _index: int) -> None:
        if self.currentData() == FOLDER:
            chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder"))
            if chosen:
                self.set_folder(chosen)
                return
        self.chosen.emit()


class CheckBar(QWidget):
    """Check the top N hits with a VLM: the person's choice, and the check's status."""

    changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled_box = QCheckBox(self.tr("Check the top"), self)
        self.enabled_box.setToolTip(self.tr(
            "A vision-language model looks at each of the top photos and answers whether it "
            "shows the words; its answers are kept, so a second look is free."))
        self.top_spin = QSpinBox(self)
        self.top_spin.setRange(5, 500)
        self.top_spin.setSingleStep(10)
        self.top_spin.setValue(50)
        self.model_combo = VlmPicker(context, self)
        self.mode_combo = QComboBox(self)
        self.mode_combo.addItem(self.tr("re-rank by its answer"), "rerank")
        self.mode_combo.addItem(self.tr("show only confirmed"), "filter")
        self.mode_combo.addItem(self.tr("blend with the score"), "blend")
        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        # long messages never widen the window (it fits 1024 px with the sidebar)
        self.mode_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode_combo.setMinimumContentsLength(10)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled_box)
        layout.addWidget(self.top_spin)
        layout.addWidget(QLabel(self.tr("with"), self))
        layout.addWidget(self.model_combo)
        layout.addWidget(self.mode_combo)
        layout.addWidget(self.status_label, 1)
        self.enabled_box.toggled.connect(self._on_changed)
        self.top_spin.valueChanged.connect(self._on_changed)
        self.model_combo.chosen.connect(self._on_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_changed)

    def choice(self) -> CheckChoice | None:
        """What to check with; None when the check is off (or no folder was chosen)."""
        spec = self.model_combo.spec()
        if not self.enabled_box.isChecked() or spec is None:
            return None
        return CheckChoice(spec, self.top_spin.value(), str(self.mode_combo.currentData()))

    def set_folder(self, folder: str) -> None:
        self.model_combo.set_folder(folder)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)

    def _on_changed(self, *_args: object) -> None:
        self.changed.emit()


class HitChecker(QObject):
    """Runs one check at a time (a new one cancels the old); ``checked(CheckedHits)`` when it
    is done, the status line as it goes."""

    checked = Signal(object)

    def __init__(self, context: AppContext, bar: CheckBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.bar = bar
        self._job: JobWorker[object] | None = None
        self._retired: list[JobWorker[object]] = []  # cancelled, still ending
        self._prefix = ""

    def start(self, hits: Sequence[SearchHit], query: str, choice: CheckChoice) -> None:
        """Check ``hits`` (a text search's) for ``query``; says beforehand how long it takes on
        the CPU."""
        self.stop()
        try:
            find_vlm(choice.spec)
        except Exception as exc:  # a folder that is not a VLM: said in the row
            self.bar.set_status(str(exc))
            return
        seconds = cpu_seconds(self.context, choice.spec, min(len(hits), choice.top))
        self._prefix = "" if seconds is None else self.tr(
            "No GPU: about %1 the first time. ").replace("%1", format_duration(seconds))
        self.bar.set_status(self._prefix + self.tr("Checking…"))
        engine = self.context.engine
        items = list(hits)

        def job(token: CancelToken, progress: ProgressCallback) -> CheckedHits:
            return engine.check_hits(items, query, choice.spec, top=choice.top,
                                     mode=choice.mode, download=True, token=token,
                                     progress=progress)

        worker: JobWorker[object] = JobWorker(job, name="vlm check", min_interval=0.25,
                                              parent=self)  # type: ignore[arg-type]
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(lambda message: self.bar.set_status(message))
        worker.cancelled.connect(lambda: self.bar.set_status(""))
        self._job = worker
        start_job(worker)

    def stop(self) -> None:
        """Cancel the running check without waiting for it (a forward pass ends on its own);
        what it would say is no longer shown."""
        job, self._job = self._job, None
        if job is None:
            return
        for signal in (job.progress, job.finished, job.failed, job.cancelled):
            signal.disconnect()
        job.cancel()
        self._retired.append(job)
        job.done.connect(lambda: self._retired.remove(job) if job in self._retired else None)

    def shutdown(self) -> None:
        """Cancel and wait (the panel closes)."""
        self.stop()
        for job in list(self._retired):
            stop_job(job)
        self._retired.clear()

    def _on_progress(self, p: object) -> None:
        if not isinstance(p, Progress):
            return
        if p.stage is Stage.DOWNLOADING and p.total:
            self.bar.set_status(progress_text(p))
        elif p.stage is Stage.CHECKING:
            self.bar.set_status(self._prefix + self.tr("Checking %1 of %2…").replace(
                "%1", str(p.done)).replace("%2", str(p.total)))

    def _on_finished(self, result: object) -> None:
        from clipdesk.core.rerank.recheck import CONFIRMED

        checked: CheckedHits = result  # type: ignore[assignment]
        yes = sum(1 for p in checked.answers.values() if p >= CONFIRMED)
        self.bar.set_status(self.tr("%1 of %2 confirmed (%3 s)").replace(
            "%1", str(yes)).replace("%2", str(len(checked.answers))).replace(
            "%3", f"{checked.report.seconds:.1f}"))
        self.checked.emit(checked)

