"""Library ▸ Find duplicates…: the near-duplicate groups to review, and the others of each
group moved to the system trash after a yes.

Opening the review starts one background scan (:meth:`Engine.scan_duplicates
<clipdesk.core.engine.Engine.scan_duplicates>`: every photo's nearest neighbours, once, at
the loosest threshold offered). The threshold slider and box then only re-read the pairs that
scan kept: the group count follows the slider live, the lists a moment later, with nothing
searched again. Each group shows the photo to keep ("Keep", most pixels, then the largest file,
then the earliest) and its other photos, ticked for the trash; the person unticks what stays.
"Move N to the trash…" asks, then runs :meth:`Engine.trash_photos` as a job (cancellable,
one file at a time, a group never emptied) and scans again. Nothing is deleted outright.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core.duplicates import DEFAULT_THRESHOLD, FLOOR, DuplicateGroup, DuplicateScan
from clipdesk.gui.dialogs import errors
from clipdesk.gui.dialogs.errors import show_error
from clipdesk.gui.panels.duplicate_photos import TILE, GroupList, GroupPhotos
from clipdesk.gui.panels.jobbar import JobBar
from clipdesk.gui.results.thumbs import ThumbnailLoader
from clipdesk.gui.workers import JobWorker, start_job, stop_job

if TYPE_CHECKING:
    from clipdesk.core.jobs import CancelToken, ProgressCallback
    from clipdesk.core.trash import TrashFn, TrashReport
    from clipdesk.gui.context import AppContext

STEPS = 1000  # the slider counts thousandths of similarity
REBUILD_MS = 150  # the lists follow the slider this long after it stops
STOP_TIMEOUT_MS = 10_000
PAGE_MESSAGE, PAGE_GROUPS = 0, 1


class DuplicatesDialog(QDialog):
    """The duplicate groups of the library, reviewed and thinned out."""

    scanned = Signal()  # a scan ended (its groups, or a state message, are shown)
    trashed = Signal(object)  # a TrashReport: what went to the trash, what stayed and why

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 thumbnails: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Duplicates"))
        self.scan: DuplicateScan | None = None
        self.groups: list[DuplicateGroup] = []
        self.unchecked: set[int] = set()  # photos the person keeps besides the suggested one
        self.trash: TrashFn | None = None  # None: the system trash (replaced in tests)
        self.confirm: Callable[[str, str], bool] = self._confirm  # replaced in tests
        self._worker: JobWorker[Any] | None = None
        self._closing = False
        self._told = ""  # what the last trash job did: shown again after the scan that follows
        self._own_loader = thumbnails is None
        self.loader = thumbnails or ThumbnailLoader(context.engine.thumbnails(), parent=self)
        self.loader.set_target(TILE, self.devicePixelRatioF())

        self.intro = QLabel(self.tr(
            "Photos whose pictures are at least this alike are grouped; copies with the same "
            "content always are. The photo to keep is suggested (most pixels, then the largest "
            "file, then the earliest); the ticked ones go to the trash."), self)
        self.intro.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(round(FLOOR * STEPS), STEPS)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setAccessibleName(self.tr("Similarity threshold"))
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(FLOOR, 1.0)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.005)
        self.spin.setAccessibleName(self.tr("Similarity threshold"))
        threshold_label = QLabel(self.tr("&Alike at least:"), self)
        threshold_label.setBuddy(self.slider)
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0" * 24))
        self.model_label = QLabel(self)
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.model_label.setWordWrap(True)

        self.groups_list = GroupList(self.loader, self)
        self.photos_list = GroupPhotos(self.loader, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.groups_list)
        splitter.addWidget(self.photos_list)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 700])
        splitter.setChildrenCollapsible(False)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.message)
        self.pages.addWidget(splitter)

        self.job_bar = JobBar(self)
        self.rescan_button = QPushButton(self.tr("&Scan again"), self)
        self.trash_button = QPushButton(self)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.setAutoDefault(False)
        self.trash_button.setAutoDefault(False)

        top = QHBoxLayout()
        top.addWidget(threshold_label)
        top.addWidget(self.slider, 1)
        top.addWidget(self.spin)
        top.addWidget(self.count_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.job_bar, 1)
        bottom.addWidget(self.rescan_button)
        bottom.addWidget(self.trash_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addWidget(self.model_label)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bottom)
        self.resize(1000, 680)

        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(REBUILD_MS)
        self._rebuild_timer.timeout.connect(self.rebuild)
        self.slider.valueChanged.connect(lambda v: self.set_threshold(v / STEPS))
        self.spin.valueChanged.connect(self.set_threshold)
        self.groups_list.currentRowChanged.connect(self._show_current_group)
        self.photos_list.checksChanged.connect(self._on_checks_changed)
        self.rescan_button.clicked.connect(self.start_scan)
        self.trash_button.clicked.connect(self.trash_checked)
        self.close_button.clicked.connect(self.close)
        self.set_threshold(DEFAULT_THRESHOLD)
        self._show_message(self.tr("Looking for duplicates…"))
        self.start_scan()

    # -- the threshold -------------------------------------------------------------------------

    def threshold(self) -> float:
        return round(self.spin.value(), 3)

    def set_threshold(self, value: float) -> None:
        """Move the slider and the box to ``value``; the count follows at once, the lists
        a moment later (from the scan's pairs: nothing is searched again)."""
        value = min(1.0, max(FLOOR, round(float(value), 3)))
        self.slider.blockSignals(True)
        self.slider.setValue(round(value * STEPS))
        self.slider.blockSignals(False)
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self._show_count()
        if self.scan is not None:
            self._rebuild_timer.start()

    def _show_count(self) -> None:
        if self.scan is None:
            self.count_label.setText("")
            return
        self.count_label.setText(self.tr("%n group(s)", "", self.scan.count(self.threshold())))

    # -- scanning ------------------------------------------------------------------------------

    def start_scan(self) -> None:
        """Look for duplicate pairs in the background (the current model's vectors)."""
        if self._worker is not None or self._closing:
            return
        engine = self.context.engine

        def scan(token: CancelToken, progress: ProgressCallback) -> DuplicateScan | None:
            from clipdesk.core.search import NothingIndexed

            try:
                return engine.scan_duplicates(token=token, progress=progress)
            except NothingIndexed:
                return None

        worker: JobWorker[DuplicateScan | None] = JobWorker(scan, name="duplicates",
                                                            parent=self)
        worker.finished.connect(self._on_scanned)
        worker.failed.connect(self._on_scan_failed)
        worker.cancelled.connect(lambda: self._show_message(self.tr(
            "The search for duplicates was cancelled. “Scan again” starts it again.")))
        self._run(worker, self.tr("Looking for duplicates…"))

    def _on_scanned(self, scan: DuplicateScan | None) -> None:
        self.scan = scan
        self.job_bar.set_message(self._told)
        self._told = ""
        if scan is None:
            self.model_label.setText("")
            self._show_message(self.tr(
                "Nothing is indexed yet. Add a photo folder (File ▸ Add folder…) and let it "
                "index; then look for duplicates here."))
        else:
            self.model_label.setText(self.tr("Compared by the model %1.").replace(
                "%1", self.context.model_name(scan.model_id)))
            self._show_count()
            self.rebuild()
        self.scanned.emit()

    def _on_scan_failed(self, message: str) -> None:
        self.scan = None
        self._show_message(message)
        self.scanned.emit()

    # -- the lists -----------------------------------------------------------------------------

    def rebuild(self) -> None:
        """The groups at the current threshold, in both lists."""
        self._rebuild_timer.stop()
        if self.scan is None:
            return
        self.groups = self.scan.groups(self.threshold())
        if not self.groups:
            self._show_message(self.tr(
                "No photos are this alike. Lower the threshold to see photos that are less "
                "alike: bursts, edited or cropped copies.") if self.threshold() > FLOOR else
                self.tr("No duplicates were found."))
            return
        self.pages.setCurrentIndex(PAGE_GROUPS)
        self.groups_list.show_groups(self.groups, self.scan.photos, self._to_trash_in)
        self._show_current_group(self.groups_list.currentRow())
        self._sync_buttons()

    def _show_message(self, text: str) -> None:
        self.groups = []
        self.groups_list.clear_items()
        self.photos_list.clear_items()
        self.message.setText(text)
        self.pages.setCurrentIndex(PAGE_MESSAGE)
        self._sync_buttons()

    def _show_current_group(self, row: int) -> None:
        group = self.groups[row] if 0 <= row < len(self.groups) else None
        self.photos_list.show_group(group, self.scan.photos if self.scan else {},
                                    self.unchecked)

    def _to_trash_in(self, group: DuplicateGroup) -> int:
        return sum(1 for i in group.others if i not in self.unchecked)

    def checked_ids(self) -> list[int]:
        """The photos that "Move to the trash" would move, group by group."""
        return [i for g in self.groups for i in g.others if i not in self.unchecked]

    def _on_checks_changed(self) -> None:
        row = self.groups_list.currentRow()
        if not 0 <= row < len(self.groups):
            return
        group = self.groups[row]
        checked = set(self.photos_list.checked_ids())
        for file_id in group.others:
            if file_id in checked:
                self.unchecked.discard(file_id)
            else:
                self.unchecked.add(file_id)
        self.groups_list.update_text(row, group, self._to_trash_in(group))
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        busy = self._worker is not None
        n = len(self.checked_ids())
        self.trash_button.setText(self.tr("Move %n photo(s) to the trash…", "", n))
        self.trash_button.setEnabled(not busy and n > 0)
        self.rescan_button.setEnabled(not busy)
        self.slider.setEnabled(self.scan is not None)
        self.spin.setEnabled(self.scan is not None)

    # -- the trash -----------------------------------------------------------------------------

    def trash_checked(self) -> bool:
        """Ask, then move the ticked photos to the trash in the background; False when
        nothing was started."""
        ids = self.checked_ids()
        if not ids or self._worker is not None:
            return False
        photos = self.scan.photos if self.scan is not None else {}
        size = sum(photos[i].size for i in ids if i in photos)
        question = self.tr(
            "Move %n photo(s) (%1) to the trash? The photo kept in each group stays. You can "
            "put them back from the trash; clipdesk finds them again when it next scans "
            "their folder.", "", len(ids)).replace("%1", QLocale().formattedDataSize(size))
        if not self.confirm(self.tr("Move to the trash"), question):
            return False
        engine = self.context.engine
        groups = list(self.groups)
        trash = self.trash

        def move(token: CancelToken, progress: ProgressCallback) -> TrashReport:
            return engine.trash_photos(ids, groups=groups, trash=trash, token=token,
                                       progress=progress)

        worker: JobWorker[TrashReport] = JobWorker(move, name="trash", parent=self)
        worker.finished.connect(self._on_trashed)
        worker.failed.connect(lambda message: show_error(self, message))
        worker.done.connect(self.start_scan, Qt.ConnectionType.QueuedConnection)
        self._run(worker, self.tr("Moving photos to the trash…"))
        return True

    def _on_trashed(self, report: TrashReport) -> None:
        self.unchecked -= set(report.moved)
        self._told = self.tr("%n photo(s) moved to the trash.", "", len(report.moved))
        self.job_bar.set_message(self._told)
        if report.not_moved:
            head = self.tr("%n photo(s) could not be moved and were left where they are:",
                           "", len(report.not_moved))
            show_error(self, head + "\n\n" + "\n".join(n.reason for n in report.not_moved[:20]))
        self.trashed.emit(report)

    def _confirm(self, title: str, question: str) -> bool:
        if not errors.dialogs_enabled:
            return False
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    # -- jobs ----------------------------------------------------------------------------------

    def _run(self, worker: JobWorker[Any], text: str) -> None:
        self._worker = worker
        worker.done.connect(lambda: self._on_done(worker))
        self.job_bar.follow(worker, text)
        self._sync_buttons()
        start_job(worker)

    def _on_done(self, worker: JobWorker[Any]) -> None:
        if self._worker is worker:
            self._worker = None
            self._sync_buttons()

    def done(self, result: int) -> None:
        self._closing = True
        self._rebuild_timer.stop()
        stop_job(self._worker, STOP_TIMEOUT_MS)
        self._worker = None
        if self._own_loader:
            self.loader.shutdown()
        super().done(result)
