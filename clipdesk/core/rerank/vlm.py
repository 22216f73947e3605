"""Vision-language models that answer yes or no about a photo, through transformers' own classes.

A model folder (``save_pretrained``'s, or a downloaded repository) holds ``config.json`` whose
``model_type`` names the family, the weights and the processor's files (tokenizer with its chat
template, image processor). The question goes through ``processor.apply_chat_template`` with one
image, the processor makes the inputs (left-padded, so the last position of every row is where
the answer starts), and one forward pass gives the next-token logits: p(yes) is the probability
of the "yes" tokens against the "no" tokens (:mod:`.questions`, in the question's language).
Nothing is generated and nothing is fetched from the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.errors import ModelError
from clipdesk.core.rerank.questions import NO, YES, language_of

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

#: ``config.json`` ``model_type`` -> the transformers class
FAMILIES: dict[str, str] = {
    "llava": "LlavaForConditionalGeneration",
    "llava_onevision": "LlavaOnevisionForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "idefics3": "Idefics3ForConditionalGeneration",
    "smolvlm": "SmolVLMForConditionalGeneration",
}
#: families whose processor takes one list of images per text
NESTED_IMAGES = ("idefics3", "smolvlm")


def read_family(folder: Path) -> str:
    """The ``model_type`` of a VLM folder; :class:`ModelError` for anything else."""
    from clipdesk.core.rerank.catalog import read_model_type

    return read_model_type(folder, tuple(FAMILIES), "vision-language model")


class HfJudge:
    """A transformers VLM as a :class:`~clipdesk.core.rerank.recheck.Judge`."""

    def __init__(self, model_id: str, folder: Path, *, device: str = "cpu",
                 precision: str = "fp32") -> None:
        import transformers

        from clipdesk.core.models.hf_backend import load_pretrained

        self._model_id = model_id
        self.family = read_family(folder)
        self.device = device
        self.model = load_pretrained(FAMILIES[self.family], folder, precision).to(device).eval()
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(
                folder, local_files_only=True)
        except Exception as exc:
            raise ModelError(f"{folder} has no usable processor files: {exc}") from exc
        tokenizer = self.processor.tokenizer
        tokenizer.padding_side = "left"  # the answer starts at the last position of every row
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._words = {lang: (_token_ids(tokenizer, YES[lang]), _token_ids(tokenizer, NO[lang]))
                       for lang in YES}
        if not all(yes and no for yes, no in self._words.values()):
            raise ModelError(f"The tokenizer of {folder.name} has no single token for yes/no.")
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    def prompt(self, question: str) -> str:
        messages = [{"role": "user", "content": [{"type": "image"},
                                                 {"type": "text", "text": question}]}]
        text: str = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        return text

    def inputs(self, images: Sequence[Image.Image], questions: Sequence[str]) -> Any:
        pictures: list[Any] = [[im] for im in images] if self.family in NESTED_IMAGES \
            else list(images)
        return self.processor(images=pictures, text=[self.prompt(q) for q in questions],
                              return_tensors="pt", padding=True)

    def yes_probabilities(self, images: Sequence[Image.Image],
                          questions: Sequence[str]) -> np.ndarray:
        """p(yes) per (image, question): the softmax of the yes tokens against the no tokens at
        the position the answer starts."""
        import torch

        if len(images) == 0:
            return np.zeros(0, dtype=np.float32)
        yes, no = self._words[language_of(questions[0])]
        inputs = self.inputs(images, questions)
        with self._lock, torch.inference_mode():
            moved = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
            logits = self.model(**moved).logits[:, -1, :].float()
            logp = torch.log_softmax(logits, dim=-1)
            p_yes = torch.logsumexp(logp[:, yes], dim=-1)
            p_no = torch.logsumexp(logp[:, no], dim=-1)
            return np.asarray(torch.sigmoid(p_yes - p_no).cpu().numpy(), dtype=np.float32)

    def close(self) -> None:
        with self._lock:
            self.model = None


def _token_ids(tokenizer: Any, words: Sequence[str]) -> list[int]:
    """The ids of the words that are one token (unknown ones left out), without repeats."""
    out: list[int] = []
    unknown = getattr(tokenizer, "unk_token_id", None)
    for word in words:
        ids = tokenizer.encode(word, add_special_tokens=False)
        if len(ids) == 1 and ids[0] != unknown and ids[0] not in out:
            out.append(int(ids[0]))
    return out
