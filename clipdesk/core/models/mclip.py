"""M-CLIP: multilingual text towers (XLM-R, LaBSE) trained against an OpenAI CLIP image tower.

A Hugging Face ``M-CLIP/...`` folder holds ``config.json`` (``model_type`` ``"M-CLIP"``:
``modelBase``, ``transformerDimensions``, ``numDims``), the tokenizer and the weights of the
``MultilingualCLIP`` module of the ``multilingual-clip`` package: ``transformer.*`` (the base
model) and ``LinearTransformation.*``. Its text vector, as that package computes it, is the
linear map of the attention-masked mean of the transformer's last hidden states. The package
builds the transformer by downloading ``modelBase``; here its config is read from the weights'
shapes (hidden size, layers, vocabulary, positions; heads of 64 dimensions, as every M-CLIP base
has), so nothing is fetched. The images are those of the paired CLIP (``ModelInfo.image_model``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models.checkpoints import load_state_dict

if TYPE_CHECKING:
    import torch

MODEL_TYPE = "M-CLIP"
CLASS = "MultilingualCLIP"
HEAD_DIM = 64
PREFIX = "transformer."
LINEAR = "LinearTransformation."


def is_mclip_config(config: dict[str, Any]) -> bool:
    return config.get("model_type") == MODEL_TYPE


def dim(config: dict[str, Any]) -> int:
    return int(config.get("numDims") or 0)


def base_config(config: dict[str, Any], state: dict[str, torch.Tensor]) -> Any:
    """The transformers config of the base model, from the weights' shapes."""
    import transformers

    def shape(name: str) -> tuple[int, ...]:
        tensor = state.get(PREFIX + name)
        if tensor is None:
            raise InvalidCheckpoint(f"The M-CLIP weights lack {PREFIX + name}.")
        return tuple(tensor.shape)

    vocab, hidden = shape("embeddings.word_embeddings.weight")
    positions = shape("embeddings.position_embeddings.weight")[0]
    types = shape("embeddings.token_type_embeddings.weight")[0]
    intermediate = shape("encoder.layer.0.intermediate.dense.weight")[0]
    layers = 1 + max(int(m.group(1)) for k in state
                     if (m := re.match(rf"{re.escape(PREFIX)}encoder\.layer\.(\d+)\.", k)))
    common = {"vocab_size": vocab, "hidden_size": hidden, "num_hidden_layers": layers,
              "num_attention_heads": max(1, hidden // HEAD_DIM),
              "intermediate_size": intermediate, "max_position_embeddings": positions,
              "type_vocab_size": types}
    base = str(config.get("modelBase", "")).lower()
    if "roberta" in base:
        return transformers.XLMRobertaConfig(**common, pad_token_id=1, bos_token_id=0,
                                             eos_token_id=2, layer_norm_eps=1e-5)
    if "bert" in base and "distil" not in base:
        return transformers.BertConfig(**common, layer_norm_eps=1e-12)
    raise ModelError(f"M-CLIP with the base model {config.get('modelBase')!r} is not "
                     "supported (XLM-RoBERTa and BERT/LaBSE bases are).")


def build(folder: Path, weights: Path, config: dict[str, Any], precision: str) -> Any:
    """The ``MultilingualCLIP`` text module of ``folder``, its weights loaded (strict)."""
    import torch
    import transformers

    state = load_state_dict(weights)
    base = base_config(config, state)
    model_cls = (transformers.XLMRobertaModel if isinstance(base, transformers.XLMRobertaConfig)
                 else transformers.BertModel)
    pooler = any(k.startswith(PREFIX + "pooler.") for k in state)
    transformer = model_cls(base, add_pooling_layer=pooler)
    own = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    result = transformer.load_state_dict(own, strict=False)
    buffers = {name for name, _ in transformer.named_buffers()}
    missing = [k for k in result.missing_keys if k not in buffers]
    if missing:
        raise InvalidCheckpoint(f"The weights in {folder} lack {len(missing)} of the M-CLIP "
                                f"transformer's tensors ({', '.join(missing[:3])}).")
    linear = torch.nn.Linear(int(config["transformerDimensions"]), dim(config))
    try:
        linear.load_state_dict({k[len(LINEAR):]: v for k, v in state.items()
                                if k.startswith(LINEAR)})
    except RuntimeError as exc:
        raise InvalidCheckpoint(f"The M-CLIP projection in {folder} does not fit its config: "
                                f"{exc}") from exc
    module = mean_pooled()(transformer, linear)
    return module.half() if precision == "fp16" else module


@functools.cache
def mean_pooled() -> type:
    """The text module class (defined on first use: importing this module imports no torch)."""
    import torch

    class MeanPooled(torch.nn.Module):  # type: ignore[misc]
        """``LinearTransformation(mean of the last hidden states over the attention mask)``."""

        def __init__(self, transformer: Any, linear: Any) -> None:
            super().__init__()
            self.transformer = transformer
            self.LinearTransformation = linear

        def forward(self, input_ids: Any, attention_mask: Any, **inputs: Any) -> Any:
            embs = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    **inputs)[0]
            att = attention_mask.to(embs.dtype)
            pooled = (embs * att.unsqueeze(2)).sum(dim=1) / att.sum(dim=1)[:, None]
            return self.LinearTransformation(pooled)

    return MeanPooled
