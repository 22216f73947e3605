"""The language check's warning (clipdesk.core.languages) phrased in the UI language: the search
panels, the tagging panel and the evaluation panel say it the same way."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication

from clipdesk.core.languages import LanguageMismatch


def language_name(language: str) -> str:
    if language == "zh":
        return QCoreApplication.translate("LanguageCheck", "Chinese")
    return QCoreApplication.translate("LanguageCheck", "English")


def language_warning(mismatch: LanguageMismatch, model_name: Callable[[str], str]) -> str:
    """One sentence: the model does not read the text, and what to use instead."""
    translate = QCoreApplication.translate
    lang = language_name(mismatch.language)
    text = translate("LanguageCheck",
                     "%1 does not read %2: its scores for these words mean little.")
    text = text.replace("%1", model_name(mismatch.model_id)).replace("%2", lang)
    if mismatch.readers:
        fix = translate("LanguageCheck", "Use %1, which reads %2 and has your photos indexed.")
        return text + " " + fix.replace("%1", model_name(mismatch.readers[0])).replace("%2", lang)
    if mismatch.installable:
        fix = translate("LanguageCheck", "Index your photos with %1, which reads %2.")
        return text + " " + fix.replace("%1", model_name(mismatch.installable[0])).replace(
            "%2", lang)
    fix = translate("LanguageCheck", "No model on this computer reads %1; download one in Models ▸ "
                    "Model setup.")
    return text + " " + fix.replace("%1", lang)
