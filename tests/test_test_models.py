"""The committed shapes-world test models: small, in the user-model formats, and they work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from clipdesk.paths import DataPaths
from tests.fixtures import shapes as W
from tests.fixtures.train_test_models import (
    CNCLIP_CONFIG,
    CNCLIP_NAME,
    MAX_BYTES,
    MODELS_DIR,
    OPENCLIP_CONFIG,
    OPENCLIP_NAME,
    import_test_models,
)

OC_WEIGHTS = MODELS_DIR / f"{OPENCLIP_NAME}.safetensors"
CN_WEIGHTS = MODELS_DIR / f"{CNCLIP_NAME}.pt"


def test_checkpoints_are_committed_and_small() -> None:
    for path in (OC_WEIGHTS, CN_WEIGHTS):
        assert path.is_file(), f"{path} is missing: run python -m tests.fixtures.train_test_models"
        assert path.stat().st_size <= MAX_BYTES


def test_configs_are_the_training_scripts() -> None:
    oc = json.loads((MODELS_DIR / f"{OPENCLIP_NAME}.json").read_text(encoding="utf-8"))
    cn = json.loads((MODELS_DIR / f"{CNCLIP_NAME}.json").read_text(encoding="utf-8"))
    assert oc == OPENCLIP_CONFIG
    assert cn == CNCLIP_CONFIG
    assert oc["text_cfg"]["vocab_size"] == 49408  # open_clip's own BPE vocabulary
    assert cn["vocab_size"] == 21128  # cn_clip's own Chinese vocabulary


def test_checkpoint_layouts() -> None:
    import torch
    from safetensors.torch import load_file

    oc = load_file(str(OC_WEIGHTS))
    assert "token_embedding.weight" in oc and "visual.attnpool.c_proj.weight" in oc
    assert all(v.dtype == torch.float16 for v in oc.values() if v.is_floating_point())
    cn = torch.load(CN_WEIGHTS, map_location="cpu", weights_only=True)
    assert set(cn) >= {"state_dict", "epoch", "step"}  # cn_clip's training checkpoint layout
    assert all(k.startswith("module.") for k in cn["state_dict"])
    assert "module.bert.embeddings.word_embeddings.weight" in cn["state_dict"]


def test_both_models_classify_shapes_through_the_user_model_path(tmp_path: Path) -> None:
    """Import + load_encoder, then zero-shot on one fresh picture per class (in memory)."""
    from clipdesk.core.models import load_encoder

    paths = DataPaths(tmp_path / "data").ensure()
    infos = import_test_models(paths)
    assert [i.model_id for i in infos] == [f"user:{OPENCLIP_NAME}", f"user:{CNCLIP_NAME}"]
    pictures = [W.render(W.make_scene([31337, i], cls=c.key, distractors=0), 0.4)
                for i, c in enumerate(W.CLASSES)]
    for info, lang in zip(infos, ("en", "zh"), strict=True):
        assert info.speaks(lang)
        encoder = load_encoder(info, paths, device="cpu")
        images = encoder.encode_images(pictures)
        prompts = [W.prompts_en(c)[0] if lang == "en" else W.prompts_zh(c)[0] for c in W.CLASSES]
        texts = encoder.encode_texts(prompts)
        accuracy = float((np.argmax(images @ texts.T, axis=1) == np.arange(len(W.CLASSES))).mean())
        assert accuracy >= 0.85, (info.model_id, accuracy)
