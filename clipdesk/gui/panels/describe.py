"""Asking which language model writes the label descriptions (CuPL), and the job that does it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from clipdesk.core.descriptions.writer import BUILTIN_WRITERS
from clipdesk.core.jobs import CancelToken, ProgressCallback
from clipdesk.gui.panels.check_bar import cpu_seconds, offered_name
from clipdesk.gui.workers import JobWorker

if TYPE_CHECKING:
    from clipdesk.gui.context import AppContext


translate = QCoreApplication.translate


def choose_writer(parent: QWidget, context: AppContext) -> str | None:
    """A built-in instruct model (its download size when it is not here) or a folder."""
    items = [offered_name(model, context) for model in BUILTIN_WRITERS]
    specs = [model.model_id for model in BUILTIN_WRITERS]
    items.append(translate("DescribeLabels", "A model folder…"))
    chosen, ok = QInputDialog.getItem(
        parent, translate("DescribeLabels", "Write descriptions"),
        translate("DescribeLabels", "A language model writes a few sentences about each "
                  "label (CuPL); you can keep, edit or delete them. Model:"), items, 0, False)
    if not ok:
        return None
    index = items.index(chosen)
    if index < len(specs):
        return specs[index]
    folder = QFileDialog.getExistingDirectory(
        parent, translate("DescribeLabels", "Choose a model folder"))
    return folder or None


def describe_job(context: AppContext, labels: Sequence[str], spec: str,
                 parent: QWidget) -> JobWorker[dict[str, list[str]]]:
    """The job (not started) that writes ``labels``' descriptions with ``spec``."""
    engine = context.engine
    names = list(labels)

    def job(token: CancelToken, progress: ProgressCallback) -> dict[str, list[str]]:
        return engine.describe_labels(names, spec, download=True, token=token,
                                      progress=progress)

    return JobWorker(job, name="describe labels", parent=parent)


def cpu_estimate(context: AppContext, spec: str, steps: int, *, writer: bool = False) -> str:
    """" (no GPU: about 3 min)" for ``steps`` pictures (or 4 per label for a writer) on a CPU;
    empty with a GPU or for a model clipdesk cannot size."""
    from clipdesk.gui.indexing import format_duration

    seconds = cpu_seconds(context, spec, steps, writer=writer)
    if seconds is None:
        return ""
    return " " + translate("DescribeLabels", "(no GPU: about %1)").replace(
        "%1", format_duration(seconds))
