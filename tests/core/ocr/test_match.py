"""Matching queries against the text read in photos: normal form, phrases, fuzzy words."""

from __future__ import annotations

from clipdesk.core.ocr.match import (
    MIN_SCORE,
    WordQuery,
    fts_query,
    like_parts,
    normalize,
    parse_words,
    score,
    word_score,
)


def test_normal_form_folds_case_width_and_spaces() -> None:
    assert normalize("ＥＸＩＴ  Exit\n出口 ２０２４") == "exitexit出口2024"


def test_phrases_in_any_quotes_and_loose_words() -> None:
    q = parse_words('"Emergency EXIT" 发票 “增值税” 「收据」 -ignored beach')
    assert q.phrases == ("emergencyexit", "增值税", "收据")
    assert q.words == ("发票", "beach")
    assert not parse_words("   ") and parse_words("a")


def test_a_phrase_must_be_there_whole() -> None:
    text = normalize("EMERGENCY EXlT")  # a misread letter
    assert score(WordQuery(phrases=("emergencyexit",)), text) == 0.0
    assert score(WordQuery(words=("emergency", "exit")), text) < 1.0
    assert score(WordQuery(words=("emergency",)), text) == 1.0


def test_fuzzy_words_forgive_a_misread_letter_in_a_long_word() -> None:
    text = normalize("RESTAURANT OPEN")
    assert word_score("restaurant", text) == 1.0
    misread = word_score("restavrant", text)  # 8 trigrams, 5 found
    assert MIN_SCORE <= misread < 1.0
    assert word_score("bakery", text) < MIN_SCORE
    # Chinese: two characters whole, or nothing
    assert word_score("发票", normalize("增值税发票")) == 1.0
    assert word_score("发货", normalize("增值税发票")) < MIN_SCORE


def test_candidates_come_from_trigrams_and_like_for_short_parts() -> None:
    q = parse_words('发票 "EXIT" restaurant')
    expression = fts_query(q)
    assert expression is not None and '"exi"' not in expression  # the phrase whole
    assert '"exit"' in expression and '"res"' in expression and '"ant"' in expression
    assert like_parts(q) == ["发票"]
    assert fts_query(parse_words("发票")) is None
    assert like_parts(parse_words("shop")) == ["ho", "op", "sh"]
