"""Translations of the built-in models' descriptions.

``clipdesk.core.models.builtin`` is Qt-free plain data, so its English descriptions are listed
here with ``QT_TRANSLATE_NOOP`` for lupdate; :func:`model_description` looks them up at run time.
A test checks that every built-in description is listed. User-imported models keep their text.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "BuiltinModels"

DESCRIPTIONS = (
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; the best balance of speed and accuracy (recommended).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; more accurate than ViT-B/16, about three times slower.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; sees finer detail at 336 px, slower than ViT-L/14.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; the most accurate Chinese model, needs a strong GPU.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; the smallest and fastest, least accurate; fine on a CPU.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; fast, good on a CPU (66.6% ImageNet zero-shot).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; accurate for its size (73.5% ImageNet zero-shot).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; LAION-2B training (70.2% ImageNet zero-shot).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; the most accurate built-in model, best with a GPU "
        "(79.2% ImageNet zero-shot).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; large LAION-2B model (75.3% ImageNet zero-shot).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Queries in many languages, Chinese included; an XLM-RoBERTa text tower "
        "(its tokenizer is downloaded with it).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; the original CLIP, fast (63.2% ImageNet zero-shot). Taiyi-CLIP "
        "102M searches its photos in Chinese.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "English queries; the original large CLIP (75.3% ImageNet zero-shot). Taiyi-CLIP "
        "326M searches its photos in Chinese.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries over the photos of OpenAI CLIP ViT-B/32 (its image tower): index"
        " once, search in Chinese and English.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries over the photos of OpenAI CLIP ViT-L/14 (its image tower); more "
        "accurate than Taiyi-CLIP 102M.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Queries in 48 languages, Chinese included, over the photos of OpenAI CLIP ViT-B/32 "
        "(its image tower).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Queries in 48 languages, Chinese included, over the photos of OpenAI CLIP ViT-L/14 "
        "(its image tower).",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese queries; Chinese CLIP ViT-B/16 through transformers.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Chinese and English queries; CLIP ViT-L/14 with a bilingual XLM-R text tower; "
        "needs a GPU.",
    ),
    QT_TRANSLATE_NOOP(
        "BuiltinModels",
        "Queries in many languages, Chinese included; Google's SigLIP 2.",
    ),
)


def model_description(description: str) -> str:
    """The description of a built-in model in the UI language (other text comes back as is)."""
    if description not in DESCRIPTIONS:
        return description
    return QCoreApplication.translate(CONTEXT, description)  # i18n-dynamic: listed above
