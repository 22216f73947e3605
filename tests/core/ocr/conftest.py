"""Photos with words on them: real coco-mini photos with Chinese or English text drawn on a
sign, as a person's receipts, screenshots and signs would show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    pytest.skip("no CJK font here (apt-get install fonts-noto-cjk)")


def draw_sign(src: Path, dest: Path, text: str, *, at: tuple[int, int] = (30, 30),
              size: int = 44) -> tuple[int, int, int, int]:
    """``src`` with ``text`` on a white sign, saved as ``dest``; the sign's box in pixels."""
    font = cjk_font(size)
    with Image.open(src) as opened:
        im = opened.convert("RGB")
    draw = ImageDraw.Draw(im)
    left, top, right, bottom = draw.textbbox(at, text, font=font)
    box = (left - 12, top - 12, right + 12, bottom + 12)
    draw.rectangle(box, fill="white")
    draw.text(at, text, font=font, fill="black")
    im.save(dest, quality=90)
    return box


@pytest.fixture
def signs(coco_mini: Path, tmp_path: Path) -> dict[str, Path]:
    """A folder of six coco-mini photos: ``invoice`` shows 增值税发票, ``exit`` shows
    EMERGENCY EXIT, four show no added text."""
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = sorted((coco_mini / "images").glob("*.jpg"))[10:16]
    out = {"folder": folder}
    out["invoice"] = folder / "收据 invoice.jpg"
    draw_sign(sources[0], out["invoice"], "增值税发票 No.2024")
    out["exit"] = folder / "exit.jpg"
    draw_sign(sources[1], out["exit"], "EMERGENCY EXIT", at=(60, 200))
    for n, src in enumerate(sources[2:]):
        shutil.copy(src, folder / f"plain-{n}.jpg")
    return out
