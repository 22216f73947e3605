"""The language check wherever text meets a model."""

from __future__ import annotations

from clipdesk.core.errors import UnknownModel
from clipdesk.core.languages import check_language, contains_cjk, text_language
from clipdesk.core.models.base import Backend, ModelInfo


def info(model_id: str, *languages: str) -> ModelInfo:
    return ModelInfo(model_id=model_id, backend=Backend.OPEN_CLIP, arch="toy",
                     display_name=model_id.upper(), languages=frozenset(languages), embed_dim=4,
                     image_size=32)


MODELS = {m.model_id: m for m in (info("en", "en"), info("zh", "zh", "en"), info("zh2", "zh"),
                                  info("any", "*"))}


def info_of(model_id: str) -> ModelInfo:
    if model_id not in MODELS:
        raise UnknownModel(model_id)
    return MODELS[model_id]


def test_the_language_of_a_text_set() -> None:
    assert contains_cjk("海边") and not contains_cjk("beach")
    assert text_language(["dog", "cat"]) == "en"
    assert text_language(["dog", "猫"]) == "zh"  # one Chinese label needs a Chinese reader
    assert text_language([]) == "en"


def test_a_model_that_reads_the_text_passes() -> None:
    assert check_language(["狗"], "zh", info_of, {"zh": 5}) is None
    assert check_language(["dog"], "zh", info_of, {}) is None
    assert check_language(["狗"], "any", info_of, {}) is None
    assert check_language(["狗"], "unknown:model", info_of, {}) is None  # nothing to say


def test_a_mismatch_names_the_indexed_reader_with_most_photos_first() -> None:
    found = check_language(["蓝色", "红色"], "en", info_of, {"en": 90, "zh2": 10, "zh": 40})
    assert found is not None
    assert found.language == "zh" and found.model_id == "en"
    assert found.readers == ("zh", "zh2") and found.fix == "zh"
    assert found.sentence(lambda m: m.upper()) == (
        "EN does not read Chinese: its scores for this text mean little. Use ZH, which reads "
        "Chinese and has photos indexed.")


def test_without_an_indexed_reader_the_fix_is_to_index_with_one() -> None:
    found = check_language(["狗"], "en", info_of, {"en": 90, "zh": 0}, available=["en", "zh2"])
    assert found is not None and found.readers == () and found.installable == ("zh2",)
    assert found.fix == "zh2" and "Index your photos with zh2" in found.sentence()
    nothing = check_language(["狗"], "en", info_of, {"en": 90})
    assert nothing is not None and nothing.fix is None
    assert "No model on this computer reads Chinese" in nothing.sentence()
