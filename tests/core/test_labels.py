"""Label sets, prompt templates and label vectors (the prompt-ensemble mean)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core import prompts
from clipdesk.core.labels import (
    Label,
    LabelError,
    LabelSet,
    LabelVectorCache,
    label_vectors,
    load_label_file,
    mean_unit_vector,
    parse_label_lines,
)
from tests.core.fakes import FakeEncoder


class CountingEncoder(FakeEncoder):
    """Hash-seeded random text vectors (not normalised on purpose) and a log of every text."""

    def __init__(self, model_id: str = "fake:text") -> None:
        super().__init__(model_id)
        self.texts: list[str] = []

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode_texts(texts) * 3.0  # the mean must normalise each row first


def test_label_vector_is_the_renormalised_mean_of_templates_times_subjects() -> None:
    enc = CountingEncoder()
    label_set = LabelSet(
        (Label("cat", ("small cat",)), Label("dog")),
        templates=("a photo of a {}.", "a drawing of a {}."),
    )
    vectors = label_vectors(enc, label_set, cache=None)
    cat_texts = ["a photo of a cat.", "a photo of a small cat.", "a drawing of a cat.",
                 "a drawing of a small cat."]
    rows = FakeEncoder("fake:text").encode_texts(cat_texts)  # the same vectors, unit rows
    mean = rows.mean(axis=0)
    expected = mean / np.linalg.norm(mean)
    np.testing.assert_allclose(vectors.vectors[0], expected, rtol=1e-5, atol=1e-6)
    dog = FakeEncoder("fake:text").encode_texts(["a photo of a dog.", "a drawing of a dog."])
    np.testing.assert_allclose(vectors.vectors[1], dog.mean(0) / np.linalg.norm(dog.mean(0)),
                               rtol=1e-5, atol=1e-6)
    assert vectors.names == ("cat", "dog")
    assert vectors.logit_scale == 100.0
    assert sorted(enc.texts) == sorted(set(enc.texts))  # each sentence encoded once


def test_mean_unit_vector_refuses_empty_embeddings() -> None:
    with pytest.raises(LabelError):
        mean_unit_vector(np.zeros((2, 3)))
    np.testing.assert_allclose(mean_unit_vector(np.array([[2.0, 0.0], [0.0, 5.0]])),
                               [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)


def test_others_label_comes_last_with_generic_prompts_in_the_labels_language() -> None:
    zh = LabelSet.build(["猫", "狗"], others=True)
    assert zh.names == ("猫", "狗", "其他")
    assert zh.others_index == 2
    assert zh.templates == ("一张{}的照片。",)
    assert "一张东西的照片。" in zh.prompts()[2]
    en = LabelSet.build(["cat"], templates="en-ensemble", others=True)
    assert en.names == ("cat", "others")
    assert len(en.prompts()[0]) == len(prompts.template_set("en-ensemble").templates)
    custom = LabelSet.build(["cat"], others="misc")
    assert custom.names == ("cat", "misc")


def test_label_set_validation() -> None:
    with pytest.raises(LabelError, match="at least one"):
        LabelSet(())
    with pytest.raises(LabelError, match="twice"):
        LabelSet.build(["cat", "cat"])
    with pytest.raises(LabelError, match="both"):
        LabelSet.build(["others", "cat"], others=True)
    with pytest.raises(prompts.TemplateError, match=r"\{\}"):
        LabelSet.build(["cat"], templates=["a photo"])
    with pytest.raises(prompts.TemplateError, match="no template set"):
        LabelSet.build(["cat"], templates="klingon-basic")


def test_templates() -> None:
    assert prompts.template_set("auto", "zh").key == "zh-basic"
    assert prompts.template_set("auto", "en").key == "en-basic"
    assert {t.key for t in prompts.TEMPLATE_SETS} >= {
        "plain", "en-basic", "en-ensemble", "zh-basic", "zh-ensemble"}
    assert all("{}" in t for s in prompts.TEMPLATE_SETS for t in s.templates)
    assert prompts.parse_templates("# mine\na photo of {}\n\n{} in the wild\na photo of {}\n") == (
        "a photo of {}", "{} in the wild")
    assert prompts.fill("一张{}的照片", " 猫 ") == "一张猫的照片"
    assert prompts.fill("{} {x}", "cat") == "cat {x}"  # other braces untouched


def test_parse_label_lines_and_files(tmp_path: Path) -> None:
    text = "# animals\n猫 | 一只猫 | 小猫咪\n\ndog|a puppy\n猫\nbeach ｜ sand\n"
    labels = parse_label_lines(text)
    assert labels == (Label("猫", ("一只猫", "小猫咪")), Label("dog", ("a puppy",)),
                      Label("beach", ("sand",)))
    assert Label("dining_table").subjects == ("dining table",)
    text = tmp_path / "labels.txt"
    text.write_text("red\nblue | navy\n", encoding="utf-8")
    assert load_label_file(text) == ((Label("red"), Label("blue", ("navy",))), {})
    js = tmp_path / "labels.json"
    js.write_text(json.dumps({"labels": ["猫", {"name": "狗", "descriptions": ["小狗"]}],
                              "templates": "zh-ensemble", "others": True}, ensure_ascii=False),
                  encoding="utf-8")
    labels, settings = load_label_file(js)
    assert labels == (Label("猫"), Label("狗", ("小狗",)))
    assert settings == {"templates": "zh-ensemble", "others": True}
    bad = tmp_path / "bad.json"
    bad.write_text("{\"labels\": [{\"nom\": 1}]}", encoding="utf-8")
    with pytest.raises(LabelError, match="not valid"):
        load_label_file(bad)
    with pytest.raises(LabelError, match="Cannot read"):
        load_label_file(tmp_path / "missing.txt")


def test_cache_is_keyed_by_model_and_content() -> None:
    cache = LabelVectorCache(max_entries=2)
    a, b = CountingEncoder("fake:a"), CountingEncoder("fake:b")
    one = LabelSet.build(["cat", "dog"])
    first = label_vectors(a, one, cache=cache)
    assert label_vectors(a, LabelSet.build(["cat", "dog"]), cache=cache) is first
    assert len(a.texts) == 2  # not encoded again
    label_vectors(b, one, cache=cache)
    assert len(b.texts) == 2  # another model: its own vectors
    two = LabelSet.build(["cat", "dog"], templates="plain")
    assert one.content_hash() != two.content_hash()
    label_vectors(a, two, cache=cache)
    assert len(cache) == 2  # least recently used dropped
    assert cache.get("fake:a", one) is None
    cache.clear()
    assert len(cache) == 0


def test_auto_templates_follow_each_labels_language() -> None:
    mixed = LabelSet.build(["狗", "dog", "餐桌"], others=True)
    assert mixed.names == ("狗", "dog", "餐桌", "其他")
    sentences = mixed.prompts()
    assert sentences[0] == ("一张狗的照片。",)
    assert sentences[1] == ("a photo of a dog.",)
    assert sentences[3][0] == "一张物体的照片。"
    assert mixed.content_hash() != LabelSet.build(["狗", "dog", "餐桌"], templates="zh-basic",
                                                  others=True).content_hash()
    with pytest.raises(prompts.TemplateError):
        LabelSet((Label("x", templates=("no placeholder",)),))


def test_a_prompt_stands_in_for_the_name() -> None:
    (red,) = parse_label_lines("红色 = red | crimson\n")
    assert red == Label("红色", ("crimson",), prompt="red")
    assert red.subjects == ("red", "crimson")
    label_set = LabelSet.build([red, "蓝色"])
    assert label_set.names == ("红色", "蓝色")
    assert label_set.prompts() == [("a photo of a red.", "a photo of a crimson."),
                                   ("一张蓝色的照片。",)]
    english = LabelSet.build([Label("红色", prompt="red")])
    assert english.language == "en" and english.prompts() == [("a photo of a red.",)]
