"""The transformers backend: ``save_pretrained`` folders imported and loaded through clipdesk's
normal path give the vectors of transformers' documented usage.

Reference usage (the model cards'): ``AutoProcessor`` + ``<Family>Model.from_pretrained``, then
``get_image_features(**processor(images=..., return_tensors="pt"))`` and
``get_text_features(**processor(text=..., padding=True, return_tensors="pt"))`` (SigLIP:
``padding="max_length", max_length=64``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clipdesk.core.errors import InvalidCheckpoint, ModelError
from clipdesk.core.models import ModelRegistry
from clipdesk.core.models.base import Backend
from clipdesk.paths import DataPaths
from tests.core.models.test_parity import EN_QUERIES, ZH_QUERIES, _assert_parity, _open, _ours
from tests.fixtures.tiny_hf_models import IMAGE_SIZE, PROJECTION_DIM, TOWER

CASES = [("clip", "CLIPModel", EN_QUERIES, {"en"}),
         ("chinese_clip", "ChineseCLIPModel", ZH_QUERIES, {"zh"}),
         ("altclip", "AltCLIPModel", ZH_QUERIES + EN_QUERIES, {"zh", "en"}),
         ("siglip", "SiglipModel", EN_QUERIES, {"*"}),
         ("dual", "VisionTextDualEncoderModel", ZH_QUERIES, {"zh"})]
TEXT_KWARGS: dict[str, dict[str, object]] = {
    "siglip": {"padding": "max_length", "max_length": 64}}
DIMS = {"siglip": TOWER["hidden_size"]}


def _reference(folder: Path, cls_name: str, images: list, texts: list[str],
               text_kwargs: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    import torch
    import transformers

    processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
    model = getattr(transformers, cls_name).from_pretrained(folder, local_files_only=True)
    model.eval()
    with torch.inference_mode():
        img = model.get_image_features(**processor(images=images, return_tensors="pt"))
        inputs = processor(text=texts, return_tensors="pt", **{"padding": True, **text_kwargs})
        txt = model.get_text_features(**inputs)
    return img.pooler_output.numpy(), txt.pooler_output.numpy()


@pytest.mark.parametrize(("family", "cls_name", "queries", "languages"), CASES)
def test_imported_folder_parity(family: str, cls_name: str, queries: list[str],
                                languages: set[str], tiny_hf_folders: dict[str, Path],
                                data_paths: DataPaths, photos: list[Path]) -> None:
    folder = tiny_hf_folders[family]
    info = ModelRegistry(data_paths).import_model(folder)
    assert info.backend == Backend.HF and info.arch == cls_name and info.user
    assert info.model_id == f"user:{folder.name.replace('_', '-')}"
    assert info.embed_dim == DIMS.get(family, PROJECTION_DIM) and info.image_size == IMAGE_SIZE
    assert info.languages == languages
    assert info.checkpoint_path is not None and info.checkpoint_path.parent == (
        data_paths.user_model_dir / info.model_id.split(":", 1)[1])
    images = _open(photos)
    ref = _reference(folder, cls_name, images, queries, TEXT_KWARGS.get(family, {}))
    ours = _ours(info.model_id, data_paths, images, queries)
    _assert_parity(*ours, *ref)
    # the data folder holds its own copy of everything the folder had
    copied = {p.name for p in info.checkpoint_path.parent.iterdir()} - {"manifest.json"}
    assert copied == {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(("family", "queries"), [(c[0], c[2]) for c in CASES])
def test_vectors_differ_between_photos_and_texts(family: str, queries: list[str],
                                                 tiny_hf_folders: dict[str, Path],
                                                 data_paths: DataPaths,
                                                 photos: list[Path]) -> None:
    """Random towers must not collapse (nor texts become unknown tokens), or the ranking
    comparison would prove nothing."""
    info = ModelRegistry(data_paths).import_model(tiny_hf_folders[family], copy=False)
    images, texts = _ours(info, data_paths, _open(photos), queries)
    assert len({tuple(np.argsort(-row)[:3]) for row in texts @ images.T}) > 1
    assert (texts @ texts.T)[np.triu_indices(len(texts), 1)].max() < 0.999
    assert (images @ images.T)[np.triu_indices(len(images), 1)].min() < 0.999


def _clip_images(folder: Path, images: list) -> np.ndarray:
    """The paired OpenAI CLIP's ``get_image_features``, as its model card shows."""
    import torch
    import transformers

    model = transformers.CLIPModel.from_pretrained(folder, local_files_only=True).eval()
    processor = transformers.CLIPProcessor.from_pretrained(folder, local_files_only=True)
    with torch.no_grad():
        return model.get_image_features(
            **processor(images=images, return_tensors="pt")).pooler_output.numpy()


def test_taiyi_pairing_parity(tiny_hf_folders: dict[str, Path], data_paths: DataPaths,
                              photos: list[Path]) -> None:
    """Taiyi-CLIP's model card: ``BertForSequenceClassification(...).logits`` for the text and
    the paired OpenAI CLIP's ``get_image_features`` for the images, both L2-normalised. The
    card tokenizes with ``padding=True`` and passes ``input_ids`` only; one text at a time (no
    padding) that is the same as ours with the attention mask."""
    import torch
    import transformers

    registry = ModelRegistry(data_paths)
    clip = registry.import_model(tiny_hf_folders["clip"])
    info = registry.import_model(tiny_hf_folders["taiyi"], image_model=clip.model_id)
    assert info.arch == "BertForSequenceClassification" and info.image_model == clip.model_id
    images = _open(photos)
    folder = tiny_hf_folders["taiyi"]
    tokenizer = transformers.BertTokenizer.from_pretrained(folder, local_files_only=True)
    text_encoder = transformers.BertForSequenceClassification.from_pretrained(
        folder, local_files_only=True).eval()
    ref_img = _clip_images(tiny_hf_folders["clip"], images)
    with torch.no_grad():
        ref_txt = np.concatenate([
            text_encoder(tokenizer([q], return_tensors="pt", padding=True)["input_ids"])
            .logits.numpy() for q in ZH_QUERIES])
    _assert_parity(*_ours(info.model_id, data_paths, images, ZH_QUERIES), ref_img, ref_txt)


def _mclip_reference(folder: Path, texts: list[str]) -> np.ndarray:
    """The ``multilingual-clip`` package's ``MultilingualCLIP.forward``: tokenizer with
    ``padding=True``, the transformer's last hidden states averaged over the attention mask,
    then ``LinearTransformation``; its transformer is built from the base config (here the tiny
    one the fixture used) and filled from the checkpoint."""
    import torch
    import transformers

    from tests.fixtures.tiny_hf_models import MCLIP_BASE

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    transformer = transformers.XLMRobertaModel(transformers.XLMRobertaConfig(
        vocab_size=len(tokenizer), **MCLIP_BASE)).eval()
    transformer.load_state_dict({k[12:]: v for k, v in state.items()
                                 if k.startswith("transformer.")})
    linear = torch.nn.Linear(MCLIP_BASE["hidden_size"], PROJECTION_DIM)
    linear.load_state_dict({k[21:]: v for k, v in state.items()
                            if k.startswith("LinearTransformation.")})
    with torch.no_grad():
        txt_tok = tokenizer(texts, padding=True, return_tensors="pt")
        embs = transformer(**txt_tok)[0]
        att = txt_tok["attention_mask"]
        embs = (embs * att.unsqueeze(2)).sum(dim=1) / att.sum(dim=1)[:, None]
        return linear(embs).numpy()


def test_mclip_pairing_parity(tiny_hf_folders: dict[str, Path], data_paths: DataPaths,
                              photos: list[Path]) -> None:
    """M-CLIP: a multilingual text tower (text vectors as its package computes them, in one
    padded batch) for the paired CLIP's images."""

    registry = ModelRegistry(data_paths)
    clip = registry.import_model(tiny_hf_folders["clip"])
    info = registry.import_model(tiny_hf_folders["mclip"], image_model=clip.model_id)
    assert info.arch == "MultilingualCLIP" and info.languages == {"*"}
    assert info.embed_dim == PROJECTION_DIM and info.image_model == clip.model_id
    images = _open(photos)
    ref_img = _clip_images(tiny_hf_folders["clip"], images)
    texts = ZH_QUERIES + EN_QUERIES
    ours = _ours(info.model_id, data_paths, images, texts, batch_size=len(images))
    _assert_parity(*ours, ref_img, _mclip_reference(tiny_hf_folders["mclip"], texts))


def test_mclip_weights_missing_the_projection_are_refused(
        tiny_hf_folders: dict[str, Path], data_paths: DataPaths, tmp_path: Path) -> None:
    import torch

    folder = tmp_path / "broken-mclip"
    folder.mkdir()
    for p in tiny_hf_folders["mclip"].iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    torch.save({k: v for k, v in state.items() if not k.startswith("LinearTransformation.")},
               folder / "pytorch_model.bin")
    registry = ModelRegistry(data_paths)
    clip = registry.import_model(tiny_hf_folders["clip"], copy=False)
    with pytest.raises(InvalidCheckpoint, match="projection"):
        registry.import_model(folder, image_model=clip.model_id)


def test_languages_and_name_can_be_given(tiny_hf_folders: dict[str, Path],
                                         data_paths: DataPaths) -> None:
    info = ModelRegistry(data_paths).import_model(
        tiny_hf_folders["clip"], name="Mine", languages=["zh", "en"], copy=False)
    assert info.model_id == "user:mine" and info.display_name == "Mine"
    assert info.languages == {"zh", "en"}
    assert info.checkpoint_path == tiny_hf_folders["clip"].resolve() / "model.safetensors"


def test_a_folder_without_processor_files_is_refused(tiny_hf_folders: dict[str, Path],
                                                     data_paths: DataPaths,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "bare"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes((tiny_hf_folders["clip"] / name).read_bytes())
    with pytest.raises(ModelError, match="processor"):
        ModelRegistry(data_paths).import_model(folder)
    assert not any(data_paths.user_model_dir.iterdir())


def test_weights_that_do_not_fit_the_config_are_refused(tiny_hf_folders: dict[str, Path],
                                                        data_paths: DataPaths,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "wrong"
    folder.mkdir()
    for p in tiny_hf_folders["clip"].iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["projection_dim"] = 40
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(InvalidCheckpoint):
        ModelRegistry(data_paths).import_model(folder)
    assert not any(data_paths.user_model_dir.iterdir())


def test_weights_missing_a_tensor_are_refused(tiny_hf_folders: dict[str, Path],
                                              data_paths: DataPaths, tmp_path: Path) -> None:
    """transformers would fill the tensor with random values and only log it."""
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "partial"
    folder.mkdir()
    for p in tiny_hf_folders["siglip"].iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    state = load_file(folder / "model.safetensors")
    del state["text_model.encoder.layers.0.layer_norm1.weight"]
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(InvalidCheckpoint, match="layer_norm1"):
        ModelRegistry(data_paths).import_model(folder)
    assert not any(data_paths.user_model_dir.iterdir())


def test_an_unsupported_model_type_is_not_taken_for_a_transformers_folder(
        tmp_path: Path, data_paths: DataPaths) -> None:
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (folder / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ModelError):
        ModelRegistry(data_paths).import_model(folder)


def test_importing_the_backend_imports_no_transformers() -> None:
    import subprocess
    import sys

    code = ("import sys, clipdesk.core.models.hf_backend, clipdesk.core.models.importer; "
            "print([m for m in ('transformers', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
