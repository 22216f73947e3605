"""The yes/no question a VLM is asked about a photo, and the words that answer it."""

from __future__ import annotations

from clipdesk.core.languages import contains_cjk

QUESTIONS = {
    "en": "Does this photo show {query}? Answer yes or no.",
    "zh": "这张照片里有{query}吗？请回答是或否。",
}
#: the first token of an answer, in the forms a tokenizer may give it (capitalised, with a space)
YES = {"en": ("Yes", "yes", " Yes", " yes", "YES"), "zh": ("是", "有", " 是")}
NO = {"en": ("No", "no", " No", " no", "NO"), "zh": ("否", "不", "没", " 否", " 不")}


def language_of(query: str) -> str:
    return "zh" if contains_cjk(query) else "en"


def question(query: str) -> str:
    """The yes/no question about ``query`` in its own language."""
    return QUESTIONS[language_of(query)].format(query=query.strip())
