"""The UI language: clipdesk's own translation plus Qt's, for system / English / Chinese.

Translations are ``clipdesk/i18n/clipdesk_<locale>.qm`` (compiled from the ``.ts`` sources);
a missing file simply leaves the English strings. Qt's own strings (standard dialog buttons)
come from ``qtbase_<locale>.qm`` in Qt's translations folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
SUPPORTED = ("zh_CN",)  # locales with a translation; English has only its plural forms

_installed: list[QTranslator] = []


def resolve_language(choice: str, system: QLocale | None = None) -> str:
    """``"en"`` or a supported locale name for a settings value (``system``, ``en``, ``zh_CN``)."""
    if choice == "system":
        locale = system if system is not None else QLocale.system()
        name = locale.name()  # e.g. "zh_CN", "zh_TW", "en_US"
        if name.startswith("zh"):
            # Simplified Chinese for every Chinese locale until a Traditional one exists
            return "zh_CN"
        return "en"
    return choice if choice in SUPPORTED else "en"


def translation_file(language: str) -> Path:
    return I18N_DIR / f"clipdesk_{language}.qm"


def install_translators(app: QCoreApplication, choice: str) -> str:
    """Install the translators for ``choice``; returns the language in effect (``en``,
    ``zh_CN``). Replaces translators installed earlier by this function."""
    remove_translators(app)
    language = resolve_language(choice)
    if language == "en":
        system = QLocale.system()
        english = system.language() == QLocale.Language.English
        QLocale.setDefault(system if english else QLocale("en_US"))
        plurals = QTranslator(app)  # "1 photo", "2 photos" instead of "%n photo(s)"
        if plurals.load(str(translation_file("en"))):
            app.installTranslator(plurals)
            _installed.append(plurals)
        return "en"
    QLocale.setDefault(QLocale(language))
    loaded = False
    ours = QTranslator(app)
    qm = translation_file(language)
    if qm.is_file() and ours.load(str(qm)):
        app.installTranslator(ours)
        _installed.append(ours)
        loaded = True
    else:
        log.info("no clipdesk translation for %s (%s)", language, qm)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qtbase = QTranslator(app)
    if qtbase.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qtbase)
        _installed.append(qtbase)
    else:
        log.info("no Qt translation qtbase_%s in %s", language, qt_dir)
    return language if loaded else "en"


def remove_translators(app: QCoreApplication) -> None:
    while _installed:
        app.removeTranslator(_installed.pop())
