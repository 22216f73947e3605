"""Descriptions of a label written by a local instruct model through transformers, with CuPL's
questions in the label's language.

The questions are CuPL's (its ImageNet set: what the thing looks like, how to identify it, an
image of it from the internet, a caption), and their Chinese counterparts for Chinese labels. Each
goes through the tokenizer's chat template and ``generate`` (sampling at CuPL's temperature, a
fixed seed so that a run can be repeated); the first line of each answer is kept, without
repeats.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clipdesk.core.errors import ModelError
from clipdesk.core.jobs import CancelToken, ProgressCallback, no_progress
from clipdesk.core.languages import contains_cjk
from clipdesk.core.rerank.catalog import (
    VlmModel,
    find_local_model,
    read_model_type,
    repo_model,
)
from clipdesk.core.types import Progress, Stage

log = logging.getLogger(__name__)

PREFIX = "llm:"
QUESTIONS = {
    "en": ("Describe what a {} looks like.", "How can you identify a {}?",
           "What does a {} look like?", "Describe an image from the internet of a {}.",
           "A caption of an image of a {}:"),
    "zh": ("描述一下{}长什么样。", "怎样认出{}？", "{}看起来是什么样子？",
           "描述一张网上{}的图片。", "一张{}的图片的说明："),
}
TEMPERATURE = 0.99  # CuPL's
MAX_NEW_TOKENS = 48
#: ``config.json`` ``model_type`` of the instruct models this loads (causal LMs with a chat
#: template: Qwen2/Qwen2.5 and Llama-family ones, both tested); others are refused with the list
FAMILIES = ("qwen2", "llama")


BUILTIN_WRITERS: tuple[VlmModel, ...] = (
    repo_model(PREFIX, "Qwen/Qwen2.5-0.5B-Instruct", "Qwen2.5 0.5B Instruct", 988_000_000,
               "Apache-2.0", "Small and fast; fine on a CPU (Chinese and English)."),
    repo_model(PREFIX, "Qwen/Qwen2.5-1.5B-Instruct", "Qwen2.5 1.5B Instruct", 3_090_000_000,
               "Apache-2.0", "Better sentences; a GPU recommended (Chinese and English)."),
)


def read_family(folder: Path) -> str:
    return read_model_type(folder, FAMILIES, "instruct language model")


def find_writer(spec: str) -> VlmModel:
    return find_local_model(spec, BUILTIN_WRITERS, read_family, PREFIX, "language model")


def language_of(label: str) -> str:
    return "zh" if contains_cjk(label) else "en"


class HfWriter:
    """A transformers instruct model that writes label descriptions."""

    def __init__(self, model_id: str, folder: Path, *, device: str = "cpu",
                 precision: str = "fp32") -> None:
        import transformers

        from clipdesk.core.models.hf_backend import load_pretrained

        read_family(folder)
        self.model_id = model_id
        self.device = device
        self.model = load_pretrained("AutoModelForCausalLM", folder, precision).to(device)
        self.model.eval()
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(folder,
                                                                        local_files_only=True)
        except Exception as exc:
            raise ModelError(f"{folder} has no usable tokenizer: {exc}") from exc
        if not getattr(self.tokenizer, "chat_template", None):
            raise ModelError(f"{folder.name} has no chat template: choose an instruct model.")

    def prompt(self, question: str) -> str:
        text: str = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True)
        return text

    def describe(self, label: str, *, per_question: int = 2, seed: int = 0,
                 max_new_tokens: int = MAX_NEW_TOKENS,
                 token: CancelToken | None = None) -> list[str]:
        """Sentences about ``label`` (CuPL's questions in its language, ``per_question``
        answers each), first lines only, without repeats or empty ones."""
        import torch

        out: list[str] = []
        for i, question in enumerate(QUESTIONS[language_of(label)]):
            if token is not None:
                token.check()
            inputs = self.tokenizer(self.prompt(question.format(label)), return_tensors="pt")
            torch.manual_seed(seed + i)
            with torch.inference_mode():
                generated = self.model.generate(
                    **{k: v.to(self.device) for k, v in inputs.items()}, do_sample=True,
                    temperature=TEMPERATURE, max_new_tokens=max_new_tokens,
                    num_return_sequences=per_question,
                    pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
            start = inputs["input_ids"].shape[1]
            for row in generated:
                out.append(clean(self.tokenizer.decode(row[start:], skip_special_tokens=True)))
        return [s for s in dict.fromkeys(out) if s]


def clean(text: str) -> str:
    """The first non-empty line of a generated answer, trimmed."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip().strip('"“”').strip()
    return ""


def describe_labels(writer: Any, labels: Sequence[str], *, per_question: int = 2,
                    seed: int = 0, token: CancelToken | None = None,
                    progress: ProgressCallback = no_progress) -> dict[str, list[str]]:
    """``{label: sentences}`` for each label (progress per label; cancel between questions)."""
    out: dict[str, list[str]] = {}
    progress(Progress(Stage.DESCRIBING, 0, len(labels)))
    for n, label in enumerate(labels, start=1):
        out[label] = writer.describe(label, per_question=per_question, seed=seed, token=token)
        progress(Progress(Stage.DESCRIBING, n, len(labels)))
    return out
