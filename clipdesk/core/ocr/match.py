"""Matching a query against the words read in photos: Chinese and English alike.

Text read in a photo and the query are compared in one normal form (:func:`normalize`: NFKC, so
full-width letters and digits are plain ones, case folded, and no whitespace at all: OCR drops or
adds spaces between words, and Chinese has none).

A query (:func:`parse_words`) is quoted phrases, which must appear exactly (``"EXIT"``, 「发票」
in Chinese quotes too), and loose words, matched fuzzily: a word found whole scores 1; otherwise
it scores the share of its character n-grams (three letters, or two for a word of four or fewer)
found in the text, so a misread letter or two still counts. A photo's score is the mean over the
query's parts; it matches when every phrase is there and the score reaches :data:`MIN_SCORE`.
The same n-grams make the FTS5 ``trigram`` query that finds the candidates
(:func:`fts_query`); parts shorter than three characters (most Chinese words) are found with
``LIKE`` instead, which the trigram index cannot serve.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_SCORE = 0.6  # a photo whose text matches less than this share of the query is no hit
_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d|\u300c([^\u300d]+)\u300d'
                     r'|\u300e([^\u300f]+)\u300f')
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """``text`` as it is compared: NFKC, case folded, without whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class WordQuery:
    """What to look for in the text of photos (every part already normalized)."""

    phrases: tuple[str, ...] = ()  # must appear exactly
    words: tuple[str, ...] = ()  # fuzzy

    @property
    def parts(self) -> tuple[str, ...]:
        return self.phrases + self.words

    def __bool__(self) -> bool:
        return bool(self.parts)


def parse_words(text: str) -> WordQuery:
    """Quoted phrases (ASCII, curly or corner quotes) and the loose words of ``text``; negative
    search terms (``-word``) are not looked for."""
    phrases = [normalize(next(g for g in m.groups() if g)) for m in _QUOTED.finditer(text)]
    rest = _QUOTED.sub(" ", text)
    words = [normalize(w) for w in rest.split() if not w.startswith(("-", "\uff0d"))]
    return WordQuery(tuple(dict.fromkeys(p for p in phrases if p)),
                     tuple(dict.fromkeys(w for w in words if w)))


def grams(word: str) -> set[str]:
    """The character n-grams a fuzzy word is scored by (the word itself when shorter)."""
    n = 2 if len(word) <= 4 else 3
    if len(word) <= n:
        return {word}
    return {word[i:i + n] for i in range(len(word) - n + 1)}


def word_score(word: str, text: str) -> float:
    """How well the normalized ``text`` holds ``word``: 1 when whole, else the share of its
    n-grams found."""
    if word in text:
        return 1.0
    found = grams(word)
    return sum(1 for g in found if g in text) / len(found)


def score(query: WordQuery, text: str) -> float:
    """The match of ``query`` in one photo's normalized ``text`` (0 when a phrase is missing)."""
    if not query:
        return 0.0
    if any(p not in text for p in query.phrases):
        return 0.0
    parts = [1.0] * len(query.phrases) + [word_score(w, text) for w in query.words]
    return sum(parts) / len(parts)


def _fts_string(part: str) -> str:
    return '"' + part.replace('"', '""') + '"'


def fts_query(query: WordQuery) -> str | None:
    """An FTS5 MATCH expression (trigram tokenizer) for the candidates of ``query``, or None
    when no part is long enough for the trigram index (then ``LIKE`` finds them)."""
    terms: set[str] = set()
    for phrase in query.phrases:
        if len(phrase) >= 3:
            terms.add(phrase)
    for word in query.words:
        if len(word) >= 3:
            terms |= {word[i:i + 3] for i in range(len(word) - 2)}
    if not terms:
        return None
    return " OR ".join(_fts_string(t) for t in sorted(terms))


def like_parts(query: WordQuery) -> list[str]:
    """The parts the trigram index cannot find (shorter than three characters), and the loose
    words' two-letter pieces (a four-letter word with a misread letter still shares them)."""
    out = [p for p in query.parts if len(p) < 3]
    for word in query.words:
        if 3 <= len(word) <= 4:
            out += sorted(g for g in grams(word) if len(g) < 3)
    return list(dict.fromkeys(out))


def escape_like(part: str) -> str:
    """``part`` for ``LIKE '%' || ? || '%' ESCAPE '\\'``."""
    return part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
