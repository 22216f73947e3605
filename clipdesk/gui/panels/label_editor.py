"""Editors of what zero-shot tagging and evaluation are made of: templates and label sets.

* :class:`TemplateChooser`: a shipped template set (:data:`clipdesk.core.prompts.TEMPLATE_SETS`,
  or "automatic": the basic set in the labels' language) or the person's own templates, one per
  line, each with ``{}`` where the label goes. Choosing a shipped set shows its templates in the
  editor; editing them makes the choice "custom".
* :class:`LabelSetEditor`: labels one per line (``name | description | ...``, the format of
  :func:`clipdesk.core.labels.parse_label_lines`), a :class:`TemplateChooser` and an optional
  "others" label; :meth:`LabelSetEditor.label_set` builds the core's
  :class:`~clipdesk.core.labels.LabelSet` (or raises its one-sentence ``ClipdeskError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clipdesk.core import prompts
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.labels import (
    LabelError,
    LabelSet,
    label_line,
    load_label_file,
    parse_label_lines,
)
from clipdesk.gui.dialogs.errors import show_error

CUSTOM = "custom"


def label_texts(text: str) -> list[str]:
    """The texts whose language decides which model reads the labels written in ``text``:
    each label's prompt (a translation, ``红色 = red``) or name, as the engine checks them."""
    return [label.prompt or label.name for label in parse_label_lines(text)]


class TemplateChooser(QWidget):
    """Shipped template set or custom templates; ``changed`` after any edit or choice."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.addItem(self.tr("Automatic (by the labels' language)"), prompts.AUTO)
        for item in prompts.TEMPLATE_SETS:
            self.combo.addItem(item.name, item.key)
        self.combo.addItem(self.tr("Custom templates"), CUSTOM)
        self.editor = QPlainTextEdit(self)
        self.editor.setPlaceholderText(self.tr("One template per line, {} marks the label"))
        self.editor.setMaximumHeight(110)
        self.editor.setToolTip(self.tr(
            "Each template is a sentence with {} where the label goes, e.g. a photo of a {}."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.editor)
        self._filling = False
        self.combo.currentIndexChanged.connect(self._on_choice)
        self.editor.textChanged.connect(self._on_edited)
        self._on_choice()

    def key(self) -> str:
        """The chosen set's key, ``"auto"`` or ``"custom"``."""
        return str(self.combo.currentData())

    def set_key(self, key: str) -> None:
        index = self.combo.findData(key)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def set_custom(self, templates: Sequence[str]) -> None:
        self.set_key(CUSTOM)
        self.editor.setPlainText("\n".join(templates))

    def value(self) -> str | tuple[str, ...]:
        """What the core takes as ``templates``: a set key, or the custom templates (checked;
        raises :class:`~clipdesk.core.prompts.TemplateError`)."""
        key = self.key()
        if key != CUSTOM:
            return key
        return prompts.parse_templates(self.editor.toPlainText())

    def _on_choice(self) -> None:
        key = self.key()
        if key != CUSTOM:
            self._filling = True
            if key == prompts.AUTO:
                text = "\n".join(("# " + self.tr("English labels:"),
                                  *prompts.template_set("en-basic").templates,
                                  "# " + self.tr("Chinese labels:"),
                                  *prompts.template_set("zh-basic").templates))
            else:
                text = "\n".join(prompts.template_set(key).templates)
            self.editor.setPlainText(text)
            self._filling = False
        self.changed.emit()

    def _on_edited(self) -> None:
        if self._filling:
            return
        if self.key() != CUSTOM:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(self.combo.findData(CUSTOM))
            self.combo.blockSignals(False)
        self.changed.emit()


class LabelSetEditor(QWidget):
    """Labels (with optional descriptions), templates and the "others" option. Descriptions
    written by a language model (CuPL) are whole sentences, "> …" parts of a label's line: the
    Descriptions menu asks for them (``describeRequested``; the panel runs the job), and reads
    and writes CuPL's JSON."""

    changed = Signal()
    describeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels_edit = QPlainTextEdit(self)
        self.labels_edit.setPlaceholderText(self.tr(
            "One label per line, in Chinese or English.\n"
            "Optional descriptions after |, e.g.:\n"
            "猫 | 一只猫 | 趴在沙发上的小猫\n"
            "beach | sand and sea | people on a beach"))
        self.open_button = QPushButton(self.tr("Open…"), self)
        self.open_button.setToolTip(self.tr("Read labels from a text file (one per line) or a "
                                            "JSON label file"))
        self.save_button = QPushButton(self.tr("Save…"), self)
        self.save_button.setToolTip(self.tr("Save the labels, their descriptions, templates and "
                                            "\"others\" as a JSON label file"))
        self.describe_button = QToolButton(self)
        self.describe_button.setText(self.tr("Descriptions"))
        self.describe_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.describe_button.setToolTip(self.tr(
            "Sentences about each label written by a language model (CuPL), averaged into its "
            "vector; they appear in the lines after \">\", to keep or edit"))
        menu = QMenu(self.describe_button)
        self.write_action = menu.addAction(self.tr("Write with a language model…"))
        self.import_action = menu.addAction(self.tr("Import descriptions (CuPL JSON)…"))
        self.export_action = menu.addAction(self.tr("Export descriptions (CuPL JSON)…"))
        self.describe_button.setMenu(menu)
        self.templates = TemplateChooser(self)
        self.others_check = QCheckBox(self.tr("Add an \"others\" label for photos that match "
                                              "none"), self)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Templates:"), self.templates)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel(self.tr("Labels:"), self), 1)
        header.addWidget(self.describe_button)
        header.addWidget(self.open_button)
        header.addWidget(self.save_button)
        layout.addLayout(header)
        layout.addWidget(self.labels_edit, 1)
        layout.addLayout(form)
        layout.addWidget(self.others_check)
        layout.addWidget(self.summary)

        self.labels_edit.textChanged.connect(self._on_changed)
        self.templates.changed.connect(self._on_changed)
        self.others_check.toggled.connect(self._on_changed)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.save_button.clicked.connect(lambda: self._guarded(self.save_file))
        self.write_action.triggered.connect(self.describeRequested)
        self.import_action.triggered.connect(lambda: self._guarded(self.import_descriptions))
        self.export_action.triggered.connect(lambda: self._guarded(self.export_descriptions))
        self._on_changed()

    # -- descriptions (CuPL) ---------------------------------------------------------------------

    def label_names(self) -> list[str]:
        return [label.name for label in parse_label_lines(self.labels_text())]

    def add_descriptions(self, descriptions: Mapping[str, Sequence[str]]) -> list[str]:
        """Put ``{label: sentences}`` into the labels' lines (replacing the sentences they
        had); returns the names that are not labels here. The lines are written anew."""
        labels = parse_label_lines(self.labels_text())
        if not labels:
            return list(descriptions)
        names = {label.name for label in labels}
        merged = [replace(label, sentences=tuple(dict.fromkeys(descriptions[label.name])))
                  if label.name in descriptions else label for label in labels]
        self.set_labels_text("\n".join(label_line(label) for label in merged))
        return [k for k in descriptions if k not in names]

    def descriptions(self) -> dict[str, list[str]]:
        return {label.name: list(label.sentences)
                for label in parse_label_lines(self.labels_text()) if label.sentences}

    def import_descriptions(self, path: Path | None = None) -> list[str]:
        from clipdesk.core.descriptions.cupl import load_descriptions

        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self, self.tr("Import descriptions"), "", self.tr("CuPL JSON (*.json)"))
            if not name:
                return []
            path = Path(name)
        unknown = self.add_descriptions(load_descriptions(path))
        if unknown:
            self.summary.setText(self.summary.text() + " · " + self.tr(
                "not labels here: %1").replace("%1", ", ".join(unknown)))
        return unknown

    def export_descriptions(self, path: Path | None = None) -> Path | None:
        from clipdesk.core.descriptions.cupl import save_descriptions

        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export descriptions"), "descriptions.json",
                self.tr("CuPL JSON (*.json)"))
            if not name:
                return None
            path = Path(name)
        save_descriptions(self.descriptions(), path)
        return path

    def save_file(self, path: Path | None = None) -> Path | None:
        """Write the editor's label set as a JSON label file (what Open reads back)."""
        from clipdesk.core.labels import save_label_file

        label_set = self.label_set()
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, self.tr("Save labels"), "labels.json",
                                                  self.tr("Label files (*.json)"))
            if not name:
                return None
            path = Path(name)
        # the template choice ("auto"…), not the templates it gave
        save_label_file(label_set, path, templates=self.templates.value())
        return path

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (ClipdeskError, OSError) as exc:
            show_error(self, str(exc))

    def set_labels_text(self, text: str) -> None:
        self.labels_edit.setPlainText(text)

    def labels_text(self) -> str:
        return self.labels_edit.toPlainText()

    def _on_open_clicked(self) -> None:
        try:
            self.open_file()
        except ClipdeskError as exc:
            show_error(self, str(exc))

    def open_file(self, path: Path | None = None) -> None:
        """Fill the editor from a label file (asks for one when ``path`` is None); a JSON file's
        ``templates`` and ``others`` settings are taken too. Raises a ClipdeskError."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self, self.tr("Open a label file"), "",
                self.tr("Label files (*.txt *.json);;All files (*)"))
            if not name:
                return
            path = Path(name)
        labels, settings = load_label_file(path)
        self.set_labels_text("\n".join(label_line(label) for label in labels))
        templates = settings.get("templates")
        if isinstance(templates, str):
            self.templates.set_key(templates)
        elif isinstance(templates, list):
            self.templates.set_custom([str(t) for t in templates])
        if "others" in settings:
            self.others_check.setChecked(bool(settings["others"]))

    def label_set(self) -> LabelSet:
        """The label set the editor describes (raises a ClipdeskError with one sentence)."""
        labels = parse_label_lines(self.labels_text())
        if not labels:
            raise LabelError(self.tr("Write at least one label, one per line."))
        return LabelSet.build(labels, templates=self.templates.value(),
                              others=self.others_check.isChecked())

    def _on_changed(self) -> None:
        labels = parse_label_lines(self.labels_text())
        described = sum(1 for label in labels if label.descriptions or label.sentences)
        text = self.tr("%n label(s)", "", len(labels))
        if described:
            text += " · " + self.tr("%n with descriptions", "", described)
        self.summary.setText(text)
        self.changed.emit()
