"""The built-in model table: what clipdesk can download, as plain data.

Kept free of torch and of the libraries so that listing models is instant. The open_clip entries
were taken from ``open_clip.pretrained`` (each tag's ``hf_hub`` repository; open_clip downloads
``open_clip_model.safetensors`` from it first and ``open_clip_pytorch_model.bin`` otherwise), and a
test checks them against the installed open_clip. The cn_clip entries follow
``cn_clip.clip.utils._MODELS`` (Hugging Face ``OFA-Sys`` repositories). The ``hf:`` entries are
whole transformers repositories (see :mod:`.hf_repo`); sizes are their weights' download sizes,
licences their model cards'. Taiyi-CLIP (Chinese) and M-CLIP (48 languages) are text towers for
OpenAI CLIP's image towers (``image_model``): they search the vectors of that model.
"""

from __future__ import annotations

from clipdesk.core.models.base import Backend, ModelInfo

HF = "https://huggingface.co"
DEFAULT_MODEL_ID = "cn_clip:ViT-B-16"

OPEN_CLIP_WEIGHTS = "open_clip_model.safetensors"
OPEN_CLIP_WEIGHTS_ALT = "open_clip_pytorch_model.bin"

ZH = frozenset({"zh"})
EN = frozenset({"en"})
ANY = frozenset({"*"})


def _cn(arch: str, repo: str, filename: str, *, name: str, dim: int, size: int, bytes_: int,
        text: str, description: str, recommended: bool = False) -> ModelInfo:
    vision = arch
    return ModelInfo(
        model_id=f"cn_clip:{arch}", backend=Backend.CN_CLIP, arch=arch, display_name=name,
        languages=ZH, embed_dim=dim, image_size=size, download_size=bytes_,
        description=description, url=f"{HF}/OFA-Sys/{repo}/resolve/main/{filename}",
        filename=filename, recommended=recommended,
        extra={"hf_repo": f"OFA-Sys/{repo}", "hf_file": filename,
               "vision_model": vision, "text_model": text},
    )


def _oc(arch: str, tag: str, repo: str, *, name: str, dim: int, bytes_: int, description: str,
        languages: frozenset[str] = EN, recommended: bool = False,
        text_repo: str | None = None) -> ModelInfo:
    stem = f"open_clip_{arch}_{tag}"
    # a transformers text tower: its config and tokenizer come from that repository
    text = {"hf_text_repo": text_repo} if text_repo else {}
    return ModelInfo(
        model_id=f"open_clip:{arch}/{tag}", backend=Backend.OPEN_CLIP, arch=arch,
        display_name=name, languages=languages, embed_dim=dim, image_size=224,
        download_size=bytes_, description=description, pretrained=tag,
        url=f"{HF}/{repo}/resolve/main/{OPEN_CLIP_WEIGHTS}", filename=f"{stem}.safetensors",
        recommended=recommended,
        extra={"hf_repo": repo, "hf_file": OPEN_CLIP_WEIGHTS,
               "alt_url": f"{HF}/{repo}/resolve/main/{OPEN_CLIP_WEIGHTS_ALT}",
               "alt_filename": f"{stem}.bin", **text},
    )


def _hf(repo: str, cls: str, *, name: str, dim: int, bytes_: int, licence: str,
        description: str, languages: frozenset[str] = EN, size: int = 224,
        image_model: str | None = None) -> ModelInfo:
    extra = {"hf_repo": repo, "licence": licence}
    if image_model:
        extra["image_model"] = image_model
    return ModelInfo(
        model_id=f"hf:{repo}", backend=Backend.HF, arch=cls, display_name=name,
        languages=languages, embed_dim=dim, image_size=size, download_size=bytes_,
        description=description, url=f"{HF}/{repo}", extra=extra,
    )


OPENAI_B32 = "hf:openai/clip-vit-base-patch32"
OPENAI_L14 = "hf:openai/clip-vit-large-patch14"

BUILTIN_MODELS: tuple[ModelInfo, ...] = (
    _cn("ViT-B-16", "chinese-clip-vit-base-patch16", "clip_cn_vit-b-16.pt",
        name="Chinese CLIP ViT-B/16", dim=512, size=224, bytes_=753_000_000,
        text="RoBERTa-wwm-ext-base-chinese", recommended=True,
        description="Chinese queries; the best balance of speed and accuracy (recommended)."),
    _cn("ViT-L-14", "chinese-clip-vit-large-patch14", "clip_cn_vit-l-14.pt",
        name="Chinese CLIP ViT-L/14", dim=768, size=224, bytes_=1_625_000_000,
        text="RoBERTa-wwm-ext-base-chinese",
        description="Chinese queries; more accurate than ViT-B/16, about three times slower."),
    _cn("ViT-L-14-336", "chinese-clip-vit-large-patch14-336px", "clip_cn_vit-l-14-336.pt",
        name="Chinese CLIP ViT-L/14 @336px", dim=768, size=336, bytes_=1_626_000_000,
        text="RoBERTa-wwm-ext-base-chinese",
        description="Chinese queries; sees finer detail at 336 px, slower than ViT-L/14."),
    _cn("ViT-H-14", "chinese-clip-vit-huge-patch14", "clip_cn_vit-h-14.pt",
        name="Chinese CLIP ViT-H/14", dim=1024, size=224, bytes_=3_830_000_000,
        text="RoBERTa-wwm-ext-large-chinese",
        description="Chinese queries; the most accurate Chinese model, needs a strong GPU."),
    _cn("RN50", "chinese-clip-rn50", "clip_cn_rn50.pt",
        name="Chinese CLIP RN50", dim=1024, size=224, bytes_=308_000_000,
        text="RBT3-chinese",
        description="Chinese queries; the smallest and fastest, least accurate; fine on a CPU."),
    _oc("ViT-B-32", "laion2b_s34b_b79k", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        name="OpenCLIP ViT-B/32 (LAION-2B)", dim=512, bytes_=605_000_000,
        description="English queries; fast, good on a CPU (66.6% ImageNet zero-shot)."),
    _oc("ViT-B-16", "datacomp_xl_s13b_b90k", "laion/CLIP-ViT-B-16-DataComp.XL-s13B-b90K",
        name="OpenCLIP ViT-B/16 (DataComp-XL)", dim=512, bytes_=599_000_000, recommended=True,
        description="English queries; accurate for its size (73.5% ImageNet zero-shot)."),
    _oc("ViT-B-16", "laion2b_s34b_b88k", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K",
        name="OpenCLIP ViT-B/16 (LAION-2B)", dim=512, bytes_=599_000_000,
        description="English queries; LAION-2B training (70.2% ImageNet zero-shot)."),
    _oc("ViT-L-14", "datacomp_xl_s13b_b90k", "laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K",
        name="OpenCLIP ViT-L/14 (DataComp-XL)", dim=768, bytes_=1_711_000_000,
        description="English queries; the most accurate built-in model, best with a GPU "
                    "(79.2% ImageNet zero-shot)."),
    _oc("ViT-L-14", "laion2b_s32b_b82k", "laion/CLIP-ViT-L-14-laion2B-s32B-b82K",
        name="OpenCLIP ViT-L/14 (LAION-2B)", dim=768, bytes_=1_711_000_000,
        description="English queries; large LAION-2B model (75.3% ImageNet zero-shot)."),
    _oc("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k",
        "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
        name="OpenCLIP multilingual ViT-B/32 (XLM-RoBERTa, LAION-5B)", dim=512,
        bytes_=1_466_000_000, languages=ANY, text_repo="FacebookAI/xlm-roberta-base",
        description="Queries in many languages, Chinese included; an XLM-RoBERTa text tower "
                    "(its tokenizer is downloaded with it)."),
    _hf("openai/clip-vit-base-patch32", "CLIPModel", name="OpenAI CLIP ViT-B/32",
        dim=512, bytes_=605_000_000, licence="MIT",
        description="English queries; the original CLIP, fast (63.2% ImageNet zero-shot). "
                    "Taiyi-CLIP 102M searches its photos in Chinese."),
    _hf("openai/clip-vit-large-patch14", "CLIPModel", name="OpenAI CLIP ViT-L/14",
        dim=768, bytes_=1_710_000_000, licence="MIT",
        description="English queries; the original large CLIP (75.3% ImageNet zero-shot). "
                    "Taiyi-CLIP 326M searches its photos in Chinese."),
    _hf("IDEA-CCNL/Taiyi-CLIP-Roberta-102M-Chinese", "BertForSequenceClassification",
        name="Taiyi-CLIP RoBERTa 102M (Chinese)", dim=512, bytes_=409_000_000,
        licence="Apache-2.0", languages=ZH, image_model=OPENAI_B32,
        description="Chinese queries over the photos of OpenAI CLIP ViT-B/32 (its image "
                    "tower): index once, search in Chinese and English."),
    _hf("IDEA-CCNL/Taiyi-CLIP-Roberta-large-326M-Chinese", "BertForSequenceClassification",
        name="Taiyi-CLIP RoBERTa-large 326M (Chinese)", dim=768, bytes_=1_300_000_000,
        licence="Apache-2.0", languages=ZH, image_model=OPENAI_L14,
        description="Chinese queries over the photos of OpenAI CLIP ViT-L/14 (its image "
                    "tower); more accurate than Taiyi-CLIP 102M."),
    _hf("M-CLIP/XLM-Roberta-Large-Vit-B-32", "MultilingualCLIP",
        name="M-CLIP XLM-R Large (48 languages)", dim=512, bytes_=2_240_000_000,
        licence="see the model card", languages=ANY, image_model=OPENAI_B32,
        description="Queries in 48 languages, Chinese included, over the photos of OpenAI "
                    "CLIP ViT-B/32 (its image tower)."),
    _hf("M-CLIP/XLM-Roberta-Large-Vit-L-14", "MultilingualCLIP",
        name="M-CLIP XLM-R Large for ViT-L/14 (48 languages)", dim=768, bytes_=2_240_000_000,
        licence="see the model card", languages=ANY, image_model=OPENAI_L14,
        description="Queries in 48 languages, Chinese included, over the photos of OpenAI "
                    "CLIP ViT-L/14 (its image tower)."),
    _hf("OFA-Sys/chinese-clip-vit-base-patch16", "ChineseCLIPModel",
        name="Chinese CLIP ViT-B/16 (transformers)", dim=512, bytes_=753_000_000,
        licence="MIT", languages=ZH,
        description="Chinese queries; Chinese CLIP ViT-B/16 through transformers."),
    _hf("BAAI/AltCLIP", "AltCLIPModel", name="AltCLIP (Chinese and English)", dim=768,
        bytes_=3_460_000_000, licence="CreativeML OpenRAIL-M", languages=frozenset({"zh", "en"}),
        description="Chinese and English queries; CLIP ViT-L/14 with a bilingual XLM-R text "
                    "tower; needs a GPU."),
    _hf("google/siglip2-base-patch16-224", "SiglipModel", name="SigLIP 2 ViT-B/16",
        dim=768, bytes_=1_510_000_000, licence="Apache-2.0", languages=ANY,
        description="Queries in many languages, Chinese included; Google's SigLIP 2."),
)
