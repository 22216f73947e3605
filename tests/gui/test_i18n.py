"""The Simplified Chinese translation: complete, in sync with the code, compiled and loadable."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTranslator

from tools.update_translations import (
    LANGUAGES,
    REPO,
    Message,
    current_keys,
    qm_path,
    read_messages,
    ts_path,
)

PLACEHOLDER = re.compile(r"%(?:\d+|n|L\d+)|\{[a-z_0-9]*\}")
MNEMONIC = re.compile(r"&(?=[^&\s])")


def _messages(language: str = "zh_CN") -> list[Message]:
    return read_messages(ts_path(language))


def _texts(message: Message) -> tuple[str, ...]:
    return message.forms if message.numerus else (message.translation,)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ts_and_qm_exist_and_ship_as_package_data(language: str) -> None:
    assert ts_path(language).is_file() and qm_path(language).is_file()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    package_data = pyproject.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"i18n/*.qm"' in package_data


def test_every_message_is_translated() -> None:
    messages = _messages()
    assert messages
    unfinished = [m.key for m in messages if m.kind or not all(_texts(m))]
    assert unfinished == []


def test_translations_keep_placeholders_mnemonics_and_ellipses() -> None:
    for message in _messages():
        for text in filter(None, _texts(message)):  # empty ones fail the test above
            assert sorted(PLACEHOLDER.findall(text)) == sorted(
                PLACEHOLDER.findall(message.source)
            ), message.key
            assert bool(MNEMONIC.search(text)) == bool(MNEMONIC.search(message.source)), message.key
            if message.source.endswith(("…", "...")):
                assert text.endswith(("…", "...")), message.key
            assert text.strip() == text or message.source.strip() != message.source, message.key


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_new_strings_in_the_code(language: str) -> None:
    """lupdate over clipdesk/**/*.py (into a temporary copy) finds nothing the .ts lacks."""
    committed = {m.key for m in _messages(language)}
    assert current_keys(language) - committed == set()


def test_english_says_1_photo_and_2_photos(qapp: object) -> None:
    """English has its own plural forms: never "0 photo(s)"."""
    messages = _messages("en")
    assert messages and all(m.numerus for m in messages)
    for message in messages:
        assert message.kind == "" and len(message.forms) == 2, message.key
        assert all(f and "(s)" not in f and "%n" in f for f in message.forms), message.key
        assert message.forms[0] != message.forms[1], message.key
    translator = QTranslator()
    assert translator.load(str(qm_path("en")))
    assert translator.translate("ResultsHeader", "%n photo(s)", None, 1) == "%n photo"
    assert translator.translate("ResultsHeader", "%n photo(s)", None, 0) == "%n photos"


def test_qm_loads_and_matches_the_ts(qapp: object) -> None:
    translator = QTranslator()
    assert translator.load(str(qm_path("zh_CN")))
    assert not translator.isEmpty()
    assert translator.language() == "zh_CN"
    for message in _messages():
        comment = message.comment or None
        if message.numerus:
            got = translator.translate(message.context, message.source, comment, 2)
            expected = message.forms[0].replace("%n", "2")
            assert got.replace("%n", "2") == expected, message.key
        else:
            got = translator.translate(message.context, message.source, comment)
            assert got == message.translation, message.key


def test_translation_file_is_where_the_app_looks() -> None:
    from clipdesk.gui import i18n

    assert Path(i18n.translation_file("zh_CN")) == qm_path("zh_CN")


def test_every_message_has_a_context() -> None:
    """An empty context means lupdate misread a call (e.g. ``tr = QCoreApplication.translate``)."""
    assert [m.key for m in _messages() if not m.context] == []


def _calls_lupdate_cannot_read(path: Path) -> list[str]:
    """tr()/translate() calls with non-literal strings, except on lines marked ``i18n-dynamic``
    (lookups of strings listed elsewhere with QT_TRANSLATE_NOOP)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, str(path))
    problems = []
    for node in ast.walk(tree):
        value = getattr(node, "value", None)
        if isinstance(node, ast.Assign) and getattr(value, "attr", "") == "translate":
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            problems += [f"{path}:{node.lineno}: alias {n}" for n in names if n != "translate"]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        literal_args = {"tr": 1, "translate": 2}.get(name, 0)
        if name == "translate" and isinstance(func, ast.Attribute):
            # str.translate(table) and other one-argument translate() calls are not Qt's
            literal_args = 2 if len(node.args) >= 2 else 0
        if "i18n-dynamic" in lines[node.lineno - 1]:
            continue
        for arg in node.args[:literal_args]:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                problems.append(f"{path}:{node.lineno}: {name}() with a non-literal string")
    return problems


def test_translatable_strings_are_literals() -> None:
    """lupdate only sees string literals in tr()/translate() calls."""
    files = sorted((REPO / "clipdesk" / "gui").rglob("*.py")) + [REPO / "clipdesk" / "app.py"]
    problems = [p for f in files if f.exists() for p in _calls_lupdate_cannot_read(f)]
    assert problems == []


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_main_window_is_chinese_with_the_translator(
    qtbot: Any, data_paths: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from clipdesk.core.engine import Engine
    from clipdesk.gui.context import AppContext
    from clipdesk.gui.i18n import install_translators
    from clipdesk.gui.mainwindow import MainWindow

    app = QApplication.instance()
    assert install_translators(app, "zh_CN") == "zh_CN"
    context = AppContext(Engine(data_paths))  # no model needed to build the window
    try:
        window = MainWindow(context, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        menus = [a.text() for a in window.menuBar().actions()]
        assert menus[0] == "文件(&F)"
        assert menus and all(_has_chinese(t) for t in menus), menus
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert tabs and all(_has_chinese(t) for t in tabs), tabs
        assert _has_chinese(window.windowTitle()) or window.windowTitle() == "clipdesk"
        window.close()
    finally:
        install_translators(app, "en")
        context.shutdown(10_000)


def test_builtin_model_descriptions_are_translatable(qapp: Any) -> None:
    from clipdesk.core.models.builtin import BUILTIN_MODELS
    from clipdesk.gui.i18n import install_translators
    from clipdesk.gui.model_texts import DESCRIPTIONS, model_description

    descriptions = {info.description for info in BUILTIN_MODELS if info.description}
    assert descriptions <= set(DESCRIPTIONS), descriptions - set(DESCRIPTIONS)
    assert model_description("my own model") == "my own model"
    assert install_translators(qapp, "zh_CN") == "zh_CN"
    try:
        assert all(_has_chinese(model_description(d)) for d in descriptions)
    finally:
        install_translators(qapp, "en")


HALF_WIDTH_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff][?!,:;]|(?<!;)[?!,:](?=[\u4e00-\u9fff])")


def test_chinese_punctuation_is_full_width() -> None:
    """「要退出吗？」, not 「要退出吗?」: Chinese sentences take full-width punctuation (file
    dialog filters, with their ";;", are left alone)."""
    for message in _messages():
        for text in filter(None, _texts(message)):
            assert not HALF_WIDTH_NEXT_TO_HAN.search(text.replace(";;", "")), (message.key, text)
