"""Prompt templates for zero-shot tagging and evaluation: the shipped sets and how they are filled.

A template is a sentence with ``{}`` where the label (or one of its descriptions) goes:
``"a photo of a {}."`` or ``"一张{}的照片。"``. A :class:`TemplateSet` is a named tuple of them;
clipdesk ships a few (:data:`TEMPLATE_SETS`), and a person can write their own, one template per
line (:func:`parse_templates`). The English ensemble is a shortened form of the templates OpenAI
used for ImageNet zero-shot classification; the Chinese ones follow Chinese-CLIP's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clipdesk.core.errors import ClipdeskError

PLACEHOLDER = "{}"
AUTO = "auto"  # pick the basic set in the labels' language


class TemplateError(ClipdeskError):
    """A template set that cannot be used (unknown name, or a template without ``{}``)."""


@dataclass(frozen=True)
class TemplateSet:
    """A named set of templates. ``language`` is ``"en"``, ``"zh"`` or ``"*"`` (any)."""

    key: str  # stable id, e.g. "en-ensemble"
    name: str  # for display
    language: str
    templates: tuple[str, ...]


TEMPLATE_SETS: tuple[TemplateSet, ...] = (
    TemplateSet("plain", "The label alone", "*", ("{}",)),
    TemplateSet("en-basic", "English: a photo of a …", "en", ("a photo of a {}.",)),
    TemplateSet(
        "en-ensemble",
        "English: ensemble of 10",
        "en",
        (
            "a photo of a {}.",
            "a bad photo of a {}.",
            "a photo of many {}.",
            "a photo of the large {}.",
            "a photo of the small {}.",
            "a close-up photo of a {}.",
            "a bright photo of a {}.",
            "a cropped photo of the {}.",
            "a good photo of a {}.",
            "itap of a {}.",
        ),
    ),
    TemplateSet("zh-basic", "中文：一张…的照片", "zh", ("一张{}的照片。",)),
    TemplateSet(
        "zh-ensemble",
        "中文：10 个模板",
        "zh",
        (
            "一张{}的照片。",
            "{}的照片。",
            "一张模糊的{}的照片。",
            "一张清晰的{}的照片。",
            "一张{}的特写照片。",
            "一张好看的{}的照片。",
            "一张很多{}的照片。",
            "一张大的{}的照片。",
            "一张小的{}的照片。",
            "{}的图片。",
        ),
    ),
)

_BY_KEY = {t.key: t for t in TEMPLATE_SETS}


def template_set(key: str, language: str = "en") -> TemplateSet:
    """The shipped set ``key``; ``"auto"`` is the basic set of ``language`` ("zh" or "en")."""
    if key == AUTO:
        key = "zh-basic" if language == "zh" else "en-basic"
    found = _BY_KEY.get(key)
    if found is None:
        raise TemplateError(
            f"There is no template set called {key!r} (known: {', '.join(_BY_KEY)})."
        )
    return found


def parse_templates(text: str) -> tuple[str, ...]:
    """Templates written by a person, one per line; blank lines and ``#`` comments are ignored.

    Every template must contain ``{}``; duplicates are dropped (first kept)."""
    lines = [line.strip() for line in text.splitlines()]
    templates = [line for line in lines if line and not line.startswith("#")]
    return check_templates(templates)


def template_choice(value: str | Sequence[str] | None,
                    default: str | Sequence[str] = AUTO) -> str | tuple[str, ...]:
    """What a person chose as templates: a shipped set's key, the path of a file of templates
    (one per line, see :func:`parse_templates`), or the templates themselves; ``None``:
    ``default``."""
    if value is None:
        value = default
    if not isinstance(value, str):
        return check_templates(value)
    path = Path(value)
    if path.is_file():
        try:
            return parse_templates(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"Cannot read the templates in {path}: {exc}") from exc
    return value


def check_templates(templates: Iterable[str]) -> tuple[str, ...]:
    """``templates`` without duplicates, or :class:`TemplateError` if one lacks ``{}``."""
    out = tuple(dict.fromkeys(t.strip() for t in templates if t.strip()))
    if not out:
        raise TemplateError("Give at least one template, such as: a photo of a {}.")
    bad = [t for t in out if PLACEHOLDER not in t]
    if bad:
        raise TemplateError(f"Each template needs {{}} where the label goes: {bad[0]!r}.")
    return out


def fill(template: str, subject: str) -> str:
    """``template`` with every ``{}`` replaced by ``subject`` (other braces are left alone)."""
    return template.replace(PLACEHOLDER, subject.strip())
