"""CuPL descriptions: written by a tiny random instruct model through the real ``generate``,
round-tripped through CuPL's JSON, carried by label lines, and fed into the label vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.descriptions.cupl import (
    descriptions_of,
    load_descriptions,
    save_descriptions,
    with_descriptions,
    without_descriptions,
)
from clipdesk.core.descriptions.writer import QUESTIONS, HfWriter, clean, describe_labels
from clipdesk.core.jobs import Cancelled, CancelToken
from clipdesk.core.labels import (
    Label,
    LabelError,
    LabelSet,
    label_line,
    label_vectors,
    mean_unit_vector,
    parse_label_lines,
)
from clipdesk.core.models import load_encoder
from clipdesk.core.models.base import ModelInfo
from clipdesk.paths import DataPaths
from tests.fixtures.tiny_vlm_models import LLM_FAMILIES, build_tiny_llm


@pytest.fixture(scope="module", params=LLM_FAMILIES)
def llm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llm(tmp_path_factory.mktemp("llm") / "tiny-llm", seed=2,
                          family=request.param)


def test_descriptions_come_out_of_generate(llm: Path) -> None:
    import torch
    import transformers

    writer = HfWriter("llm:tiny", llm)
    ours = writer.describe("dog", per_question=2, seed=7, max_new_tokens=12)
    tokenizer = transformers.AutoTokenizer.from_pretrained(llm, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(llm, local_files_only=True).eval()
    expected = []
    for i, q in enumerate(QUESTIONS["en"]):
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": q.format("dog")}],
                                               tokenize=False, add_generation_prompt=True)
        inputs = tokenizer(prompt, return_tensors="pt")
        torch.manual_seed(7 + i)
        out = model.generate(**inputs, do_sample=True, temperature=0.99, max_new_tokens=12,
                             num_return_sequences=2, pad_token_id=tokenizer.pad_token_id)
        expected += [clean(tokenizer.decode(r[inputs["input_ids"].shape[1]:],
                                            skip_special_tokens=True)) for r in out]
    assert ours == [s for s in dict.fromkeys(expected) if s] and ours
    assert "长什么样" in writer.prompt(QUESTIONS["zh"][0].format("狗"))
    seen = []
    found = describe_labels(writer, ["dog", "猫"], per_question=1, progress=seen.append)
    assert list(found) == ["dog", "猫"] and [p.done for p in seen] == [0, 1, 2]
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        describe_labels(writer, ["dog"], token=token)


def test_cupl_json_round_trips_and_is_checked(tmp_path: Path) -> None:
    data = {"dog": ["A dog has four legs.", "一只狗在草地上。"], "cat": ["A small cat."]}
    path = tmp_path / "cupl.json"
    save_descriptions(data, path)
    assert json.loads(path.read_text(encoding="utf-8")) == data
    assert "一只狗" in path.read_text(encoding="utf-8")  # not \\u-escaped
    assert load_descriptions(path) == data
    path.write_text('{"dog": "not a list"}', encoding="utf-8")
    with pytest.raises(LabelError, match="CuPL"):
        load_descriptions(path)


def test_sentences_in_label_lines() -> None:
    line = "dog = a dog | a puppy | > A dog is a furry pet. | > It wags its tail."
    (label,) = parse_label_lines(line)
    assert label == Label("dog", ("a puppy",), prompt="a dog",
                          sentences=("A dog is a furry pet.", "It wags its tail."))
    assert parse_label_lines(label_line(label)) == (label,)


def test_descriptions_feed_the_label_vectors(tiny_open_clip: ModelInfo,
                                             data_paths: DataPaths) -> None:
    base = LabelSet.build(["dog", "cat"], templates="en-basic")
    described, unknown = with_descriptions(base, {"dog": ["A dog is a furry pet."],
                                                  "horse": ["A horse."]})
    assert unknown == ["horse"] and descriptions_of(described) == {
        "dog": ["A dog is a furry pet."]}
    assert without_descriptions(described) == base
    assert described.content_hash() != base.content_hash()
    encoder = load_encoder(tiny_open_clip, data_paths, device="cpu")
    plain = label_vectors(encoder, base, cache=None)
    rich = label_vectors(encoder, described, cache=None)
    np.testing.assert_allclose(plain.vectors[1], rich.vectors[1], atol=1e-6)  # cat: the same
    sentences = described.prompts()[0]
    assert sentences[-1] == "A dog is a furry pet." and sentences[:-1] == base.prompts()[0]
    expected = mean_unit_vector(encoder.encode_texts(list(sentences)))
    np.testing.assert_allclose(rich.vectors[0], expected, atol=1e-5)
    assert not np.allclose(rich.vectors[0], plain.vectors[0], atol=1e-4)
