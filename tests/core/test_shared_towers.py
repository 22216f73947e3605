"""Text towers that share an image tower: indexing once with the image model makes every partner
searchable, with no second image pass, and unions run over the one set of image vectors.

The partners here: a tiny transformers CLIP (English byte-level BPE) and a tiny Taiyi-CLIP-style
text tower (a ``BertForSequenceClassification`` over a Chinese WordPiece vocabulary, whose logits
are text vectors for that CLIP's images), both random weights saved with ``save_pretrained``.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.engine import Engine
from clipdesk.core.errors import ModelError
from clipdesk.core.models import ModelRegistry
from clipdesk.core.models.base import ModelInfo
from clipdesk.core.search import Query
from clipdesk.paths import DataPaths
from tests.core.models.test_parity import _open


@pytest.fixture(scope="module")
def photos(coco_mini: Path) -> list[Path]:
    return sorted((coco_mini / "images").glob("*.jpg"))[:11]


@pytest.fixture
def partners(tiny_hf_folders: dict[str, Path], data_paths: DataPaths
             ) -> tuple[ModelInfo, ModelInfo]:
    registry = ModelRegistry(data_paths)
    clip = registry.import_model(tiny_hf_folders["clip"], name="Tiny CLIP", copy=False)
    taiyi = registry.import_model(tiny_hf_folders["taiyi"], name="Tiny Taiyi",
                                  image_model=clip.model_id, copy=False)
    return clip, taiyi


def _embedding_rows(paths: DataPaths) -> dict[str, int]:
    with sqlite3.connect(paths.database) as db:
        return dict(db.execute("SELECT model_id, count(*) FROM embeddings GROUP BY model_id"))


def test_the_text_tower_is_recorded_with_its_image_model(partners: tuple[ModelInfo, ModelInfo],
                                                         data_paths: DataPaths) -> None:
    clip, taiyi = partners
    assert taiyi.image_model == clip.model_id and taiyi.shares_images
    assert taiyi.languages == {"zh"} and taiyi.embed_dim == clip.embed_dim
    assert taiyi.image_size == clip.image_size
    registry = ModelRegistry(data_paths)
    sharing = registry.image_sharing()
    assert sharing[taiyi.model_id] == clip.model_id
    assert sharing["hf:IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese"] == \
        "hf:openai/clip-vit-base-patch32"
    assert [i.model_id for i in registry.partners(clip.model_id)] == [taiyi.model_id]
    assert registry.is_available(taiyi)


def test_index_once_search_with_both_text_towers_and_their_union(
        partners: tuple[ModelInfo, ModelInfo], data_paths: DataPaths, photos: list[Path],
        tmp_path: Path) -> None:
    clip, taiyi = partners
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in photos[:10]:
        shutil.copy(p, folder / p.name)
    engine = Engine(data_paths)
    try:
        first = engine.index([folder], model_id=clip.model_id)
        assert first is not None and first.embedded == 10
        again = engine.index(model_id=taiyi.model_id)
        # nothing to embed: the text tower was not even loaded
        assert again is not None and again.embedded == 0
        assert taiyi.model_id not in engine.loaded_encoders()
        assert _embedding_rows(data_paths) == {clip.model_id: 10}
        counts = engine.reader().model_counts()
        assert counts[clip.model_id] == counts[taiyi.model_id] == 10

        # each text tower ranks the one set of stored image vectors with its own text vector
        library = engine.reader()
        ids = library.file_ids()
        stored = library.vectors(clip.model_id, ids)
        for model, text in ((taiyi, "一只狗在海边"), (clip, "a dog on the beach")):
            result = engine.search(Query(text=text, top_k=10), model.model_id)
            assert result.model_ids == (model.model_id,)
            query = engine.encoder(model.model_id).encode_texts([text])[0]
            expected = ids[np.argsort(-(stored @ query), kind="stable")]
            assert [h.file_id for h in result.hits] == expected.tolist()
        # the Taiyi side's images are CLIP's: a new photo indexed with it gets CLIP's vector
        shutil.copy(photos[10], folder / photos[10].name)
        added = engine.index(model_id=taiyi.model_id)
        assert added is not None and added.embedded == 1
        assert _embedding_rows(data_paths) == {clip.model_id: 11}
        new_id = int(np.setdiff1d(library.file_ids(), ids)[0])
        vec = library.vectors(taiyi.model_id, [new_id])[0]
        ref = engine.encoder(clip.model_id).encode_images(_open([photos[10]]))[0]
        assert float(vec @ ref) >= 0.9999

        union = engine.search(Query(text="a dog", top_k=11),
                              f"{clip.model_id}+{taiyi.model_id}")
        assert set(union.model_ids) == {clip.model_id, taiyi.model_id}
        assert len(union.hits) == 11
    finally:
        engine.close()


def test_a_text_tower_needs_an_image_model_of_the_same_size(
        tiny_hf_folders: dict[str, Path], data_paths: DataPaths) -> None:
    registry = ModelRegistry(data_paths)
    with pytest.raises(ModelError, match="image vectors it was trained for"):
        registry.import_model(tiny_hf_folders["taiyi"])
    siglip = registry.import_model(tiny_hf_folders["siglip"], copy=False)  # 32-d, not 24-d
    with pytest.raises(ModelError, match="cannot be compared"):
        registry.import_model(tiny_hf_folders["taiyi"], image_model=siglip.model_id)
    clip = registry.import_model(tiny_hf_folders["clip"], copy=False)
    with pytest.raises(ModelError, match="own image tower"):
        registry.import_model(tiny_hf_folders["altclip"], image_model=clip.model_id)
    assert {i.model_id for i in registry.user_models()} == {siglip.model_id, clip.model_id}
