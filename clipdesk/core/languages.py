"""Does the model read the text? A check wherever text meets a model: a query, tag labels,
class names, captions.

A Chinese label scored by an English-only model gives confident nonsense (every photo scores
about the same), so the person is told before the run, with the fix: a model that reads the
language and has photos indexed, or else one that could index them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from clipdesk.core.errors import ClipdeskError

_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ffff]"
)

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}


def contains_cjk(text: str) -> bool:
    """True when ``text`` has Chinese, Japanese or Korean characters."""
    return bool(_CJK.search(text))


def text_language(texts: Iterable[str]) -> str:
    """``"zh"`` when any of ``texts`` has Chinese characters, else ``"en"`` (a mixed label set
    needs a model that reads Chinese)."""
    return "zh" if any(contains_cjk(t) for t in texts) else "en"


@dataclass(frozen=True)
class LanguageMismatch:
    """``model_id`` does not read ``language``, the language of the text it is given."""

    language: str  # "zh" or "en"
    model_id: str
    readers: tuple[str, ...]  # indexed models that read it, most photos first
    installable: tuple[str, ...]  # models on this computer that read it, not indexed yet

    @property
    def fix(self) -> str | None:
        """The model to use instead: indexed first, else one that could index."""
        return (self.readers or self.installable or (None,))[0]

    def sentence(self, name: Callable[[str], str] = str) -> str:
        """The warning and its fix in one English sentence (the GUI phrases its own)."""
        lang = LANGUAGE_NAMES.get(self.language, self.language)
        head = f"{name(self.model_id)} does not read {lang}: its scores for this text mean little."
        if self.readers:
            return f"{head} Use {name(self.readers[0])}, which reads {lang} and has photos indexed."
        if self.installable:
            return f"{head} Index your photos with {name(self.installable[0])}, which reads {lang}."
        return f"{head} No model on this computer reads {lang}; download one (clipdesk-cli " \
               f"models list)."


def check_language(
    texts: Iterable[str],
    model_id: str,
    info_of: Callable[[str], object],
    indexed: Mapping[str, int],
    available: Sequence[str] = (),
) -> LanguageMismatch | None:
    """``None`` when ``model_id`` reads the language of ``texts`` (or clipdesk does not know the
    model); otherwise the mismatch with the models that would read it: ``indexed`` (model id ->
    photos) first, then ``available`` (weights on this computer)."""
    language = text_language(texts)

    def reads(m: str) -> bool | None:
        try:
            info = info_of(m)
        except ClipdeskError:
            return None
        speaks = getattr(info, "speaks", None)
        return bool(speaks(language)) if callable(speaks) else None

    if reads(model_id) is not False:
        return None
    readers = tuple(m for m in sorted(indexed, key=lambda m: -indexed[m])
                    if indexed[m] > 0 and reads(m))
    installable = tuple(m for m in available if m not in indexed and m != model_id and reads(m))
    return LanguageMismatch(language, model_id, readers, installable)
