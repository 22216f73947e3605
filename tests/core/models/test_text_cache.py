"""The encoder remembers recent texts: a search and its live count encode the query once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from clipdesk.core.models import load_encoder
from clipdesk.core.models import torch_encoder as te
from clipdesk.core.models.base import ModelInfo
from clipdesk.paths import DataPaths


def test_repeated_texts_are_encoded_once(
    tiny_open_clip: ModelInfo, data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = load_encoder(tiny_open_clip, data_paths, device="cpu")
    first = encoder.encode_texts(["a red circle", "a blue square"])
    calls: list[list[str]] = []
    forward = encoder._encode_text_batch  # type: ignore[attr-defined]

    def spy(batch: Any) -> Any:
        calls.append(list(batch))
        return forward(batch)

    monkeypatch.setattr(encoder, "_encode_text_batch", spy)
    again = encoder.encode_texts(["a blue square", "a green star", "a red circle", "a green star"])
    assert calls == [["a green star"]]  # only the new text, once
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[2], first[0])
    np.testing.assert_array_equal(again[1], again[3])
    again[0] += 1.0  # callers get copies: the cache is not changed through them
    np.testing.assert_array_equal(encoder.encode_texts(["a blue square"])[0], first[1])


def test_the_cache_is_bounded(
    tiny_open_clip: ModelInfo, data_paths: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(te, "TEXT_CACHE_SIZE", 3)
    encoder = load_encoder(tiny_open_clip, data_paths, device="cpu")
    encoder.encode_texts([f"text {i}" for i in range(5)])
    assert list(encoder._text_cache) == ["text 2", "text 3", "text 4"]  # type: ignore[attr-defined]
