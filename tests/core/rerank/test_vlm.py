"""The VLM judge on tiny random LLaVA and Qwen2-VL models saved with ``save_pretrained``: p(yes)
comes out of a real forward pass and equals transformers' documented usage (processor, model,
next-token logits), and batching (left padding) does not change it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.core.errors import ModelError
from clipdesk.core.rerank.questions import NO, YES, question
from clipdesk.core.rerank.vlm import FAMILIES, HfJudge
from tests.fixtures.tiny_vlm_models import FAMILIES as BUILT
from tests.fixtures.tiny_vlm_models import build_tiny_vlm

QUESTIONS = [question("a dog"), question("a cat"), question("一只狗")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-vlm")
    return {f: build_tiny_vlm(root / f, f, seed=3 + i) for i, f in enumerate(BUILT)}


@pytest.fixture(scope="module")
def pictures(coco_mini: Path) -> list[Image.Image]:
    out = []
    for p in sorted((coco_mini / "images").glob("*.jpg"))[:3]:
        with Image.open(p) as im:
            out.append(im.convert("RGB"))
    return out


def _reference(folder: Path, cls: str, image: Image.Image, text: str) -> float:
    """One picture, one question, as the transformers docs show it."""
    import torch
    import transformers

    processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
    model = getattr(transformers, cls).from_pretrained(folder, local_files_only=True).eval()
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(images=[image], text=[prompt], return_tensors="pt")
    with torch.no_grad():
        probs = torch.softmax(model(**inputs).logits[0, -1].float(), dim=-1)
    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"

    def mass(words: tuple[str, ...]) -> float:
        ids = {processor.tokenizer.convert_tokens_to_ids(w) for w in words}
        ids.discard(processor.tokenizer.unk_token_id)
        return float(sum(probs[i] for i in ids))

    yes, no = mass(YES[lang]), mass(NO[lang])
    return yes / (yes + no)


@pytest.mark.parametrize("family", BUILT)
def test_yes_probability_is_the_models_own(family: str, folders: dict[str, Path],
                                           pictures: list[Image.Image]) -> None:
    judge = HfJudge(f"vlm:{family}", folders[family])
    assert judge.family == family
    for text in QUESTIONS:
        ours = judge.yes_probabilities(pictures[:1], [text])
        assert ours.dtype == np.float32 and ours.shape == (1,)
        assert float(ours[0]) == pytest.approx(
            _reference(folders[family], FAMILIES[family], pictures[0], text), abs=1e-5)
    # a batch of different pictures (and prompt lengths) gives each one's own answer
    batch = judge.yes_probabilities(pictures, [QUESTIONS[0]] * 3)
    alone = np.concatenate([judge.yes_probabilities([p], [QUESTIONS[0]]) for p in pictures])
    np.testing.assert_allclose(batch, alone, atol=1e-4)
    assert len({round(float(p), 4) for p in batch}) > 1  # the pictures matter


def test_a_folder_of_another_kind_is_refused(tmp_path: Path, folders: dict[str, Path]) -> None:
    folder = tmp_path / "clip"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "clip"}))
    with pytest.raises(ModelError, match="not a supported vision-language model"):
        HfJudge("vlm:x", folder)
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        (bare / name).write_bytes((folders["llava"] / name).read_bytes())
    with pytest.raises(ModelError, match="processor"):
        HfJudge("vlm:x", bare)
