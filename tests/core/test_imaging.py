"""Safe decoding: formats, sizes, orientation, colour modes, dates, every way a file can fail."""

from __future__ import annotations

import io
import os
import pickle
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from clipdesk.core import imaging
from clipdesk.core.colour import to_rgb
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.exif import parse_exif_datetime
from clipdesk.core.imaging import (
    DEFAULT_MAX_PIXELS,
    ImageDecodeError,
    LoadedImage,
    is_supported,
    load_image_file,
    normalize_image,
    supported_suffixes,
)
from tests.core.image_samples import (
    BLACK,
    BLUE,
    GREEN,
    QUADRANTS,
    RED,
    WHITE,
    as_stored,
    close,
    encode,
    exif_bytes,
    forge_png_size,
    mean_abs_diff,
    photo_like,
    quadrant_colours,
    quadrant_picture,
    write,
)


def decode_bytes(tmp_path: Path, name: str, data: bytes, **kwargs: object) -> LoadedImage:
    return load_image_file(write(tmp_path / name, data), **kwargs)  # type: ignore[arg-type]


def only_colour(image: Image.Image) -> tuple[int, ...]:
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None
    return max(colours)[1]  # type: ignore[return-value]


def assert_rgb8(result: LoadedImage) -> None:
    assert isinstance(result.image, Image.Image)
    assert result.image.mode == "RGB"


# -- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "fmt", "options"),
    [
        (".jpg", "JPEG", {"quality": 95}),
        (".jpeg", "JPEG", {"quality": 95}),
        (".png", "PNG", {}),
        (".webp", "WEBP", {"lossless": True}),
        (".gif", "GIF", {}),
        (".bmp", "BMP", {}),
        (".tif", "TIFF", {}),
        (".tiff", "TIFF", {"compression": "tiff_deflate"}),
    ],
)
def test_each_supported_format_decodes_to_rgb(
    tmp_path: Path, suffix: str, fmt: str, options: dict[str, object]
) -> None:
    picture = quadrant_picture(120, 80)
    result = decode_bytes(tmp_path, "photo" + suffix, encode(picture, fmt, **options))
    assert_rgb8(result)
    assert (result.width, result.height) == (120, 80)
    assert result.image.size == (120, 80)
    assert result.format == fmt
    for name, colour in quadrant_colours(result.image).items():
        assert close(colour, QUADRANTS[name]), (name, colour)


def test_supported_suffixes_name_the_base_formats() -> None:
    suffixes = supported_suffixes()
    assert {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"} <= suffixes
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    assert is_supported("a/B.JPG") and is_supported(Path("x.tiff"))
    assert not is_supported("notes.txt") and not is_supported("archive.psd")


def test_heif_suffixes_only_with_pillow_heif() -> None:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        assert ".heic" not in supported_suffixes()
    else:
        assert {".heic", ".heif", ".avif"} <= supported_suffixes()


def test_heic_decodes_with_pillow_heif(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    stored = as_stored(quadrant_picture(128, 96), 6)
    path = tmp_path / "phone.heic"
    exif = exif_bytes(orientation=6, original="2020:01:02 03:04:05")
    stored.save(path, format="HEIF", exif=exif, quality=95)
    result = load_image_file(path, min_side=32)
    assert_rgb8(result)
    assert result.format == "HEIF"
    assert (result.width, result.height) == (128, 96)
    assert result.taken_at == datetime(2020, 1, 2, 3, 4, 5)
    for name, colour in quadrant_colours(result.image).items():
        assert close(colour, QUADRANTS[name], tolerance=40), (name, colour)


def test_heic_without_pillow_heif_says_what_is_missing(tmp_path: Path) -> None:
    try:
        import pillow_heif  # noqa: F401

        pytest.skip("pillow-heif is installed")
    except ImportError:
        pass
    with pytest.raises(ImageDecodeError, match="pillow-heif"):
        decode_bytes(tmp_path, "phone.heic", b"\x00\x00\x00\x18ftypheic" + bytes(64))


def test_file_object_source() -> None:
    data = encode(quadrant_picture(), "PNG")
    result = load_image_file(io.BytesIO(data))
    assert result.image.size == (96, 64)
    assert quadrant_colours(result.image)["top_left"] == RED


# -- size: draft and reduce ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    photo_like(4000, 3000).save(path, "JPEG", quality=90)
    return path


def test_jpeg_draft_decodes_straight_to_about_the_needed_size(big_jpeg: Path) -> None:
    result = load_image_file(big_jpeg, min_side=224)
    assert (result.width, result.height) == (4000, 3000)  # the file's size, not the decoded one
    assert 224 <= min(result.image.size) < 2 * 224
    assert result.image.size == (500, 375)  # DCT-scaled by 1/8: no full-size buffer was made


def test_jpeg_draft_looks_like_a_full_decode_resized(big_jpeg: Path) -> None:
    drafted = load_image_file(big_jpeg, min_side=224).image
    full = load_image_file(big_jpeg).image
    assert full.size == (4000, 3000)
    reference = full.resize(drafted.size, Image.Resampling.LANCZOS)
    assert mean_abs_diff(drafted, reference) < 3.0


def test_without_draft_reduce_gives_the_same_bounds(big_jpeg: Path) -> None:
    plain = load_image_file(big_jpeg, min_side=224, draft=False).image
    drafted = load_image_file(big_jpeg, min_side=224).image
    assert 224 <= min(plain.size) < 448
    assert mean_abs_diff(plain.resize(drafted.size), drafted) < 4.0


@pytest.mark.parametrize("min_side", [100, 224, 256, 300, 999])
def test_png_is_reduced_but_never_below_min_side(tmp_path: Path, min_side: int) -> None:
    result = decode_bytes(
        tmp_path, "big.png", encode(photo_like(1600, 1200), "PNG"), min_side=min_side
    )
    assert min_side <= min(result.image.size) < 2 * min_side
    assert (result.width, result.height) == (1600, 1200)


def test_reduced_png_looks_like_a_resize(tmp_path: Path) -> None:
    picture = photo_like(1600, 1200)
    reduced = decode_bytes(tmp_path, "big.png", encode(picture, "PNG"), min_side=224).image
    reference = picture.resize(reduced.size, Image.Resampling.LANCZOS)
    assert mean_abs_diff(reduced, reference) < 3.0


@pytest.mark.parametrize(("size", "fmt"), [((4000, 400), "JPEG"), ((400, 4000), "PNG")])
def test_panoramas_keep_their_short_side(tmp_path: Path, size: tuple[int, int], fmt: str) -> None:
    result = decode_bytes(
        tmp_path, "pano." + fmt.lower(), encode(photo_like(*size), fmt), min_side=224
    )
    assert 224 <= min(result.image.size) < 448
    assert result.image.size[0] / result.image.size[1] == pytest.approx(size[0] / size[1], 0.02)


def test_small_images_are_never_enlarged(tmp_path: Path) -> None:
    result = decode_bytes(tmp_path, "small.jpg", encode(photo_like(120, 90), "JPEG"), min_side=224)
    assert result.image.size == (120, 90)


# -- orientation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(tmp_path: Path, orientation: int) -> None:
    upright = quadrant_picture(96, 64)
    stored = as_stored(upright, orientation)
    data = encode(stored, "JPEG", quality=95, exif=exif_bytes(orientation=orientation))
    result = decode_bytes(tmp_path, f"o{orientation}.jpg", data)
    assert result.orientation == orientation
    assert (result.width, result.height) == (96, 64)  # reported after orientation
    assert result.image.size == (96, 64)
    for name, colour in quadrant_colours(result.image).items():
        assert close(colour, QUADRANTS[name]), (orientation, name, colour)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "WEBP"])
def test_orientation_in_other_formats(tmp_path: Path, fmt: str) -> None:
    upright = quadrant_picture(96, 64)
    stored = as_stored(upright, 6)
    options: dict[str, object] = {"exif": exif_bytes(orientation=6)}
    if fmt == "WEBP":
        options["lossless"] = True
    result = decode_bytes(tmp_path, "o6." + fmt.lower(), encode(stored, fmt, **options))
    assert (result.width, result.height) == (96, 64)
    assert quadrant_colours(result.image) == QUADRANTS


def test_orientation_with_draft_reports_upright_full_size(tmp_path: Path) -> None:
    stored = photo_like(4000, 3000)
    data = encode(stored, "JPEG", quality=85, exif=exif_bytes(orientation=6))
    result = decode_bytes(tmp_path, "portrait.jpg", data, min_side=224)
    assert (result.width, result.height) == (3000, 4000)
    assert result.image.size == (375, 500)


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_is_ignored(tmp_path: Path, value: int) -> None:
    data = encode(quadrant_picture(), "JPEG", quality=95, exif=exif_bytes(orientation=value))
    result = decode_bytes(tmp_path, "odd.jpg", data)
    assert result.orientation == 1
    assert result.image.size == (96, 64)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_malformed_exif_costs_no_pixels(tmp_path: Path) -> None:
    data = encode(quadrant_picture(), "JPEG", quality=95, exif=b"Exif\x00\x00MM\x00*garbage")
    result = decode_bytes(tmp_path, "badexif.jpg", data)
    assert result.image.size == (96, 64)
    assert result.taken_at is None


def test_normalize_in_memory_image() -> None:
    upright = quadrant_picture(96, 64)
    stored = as_stored(upright, 8).convert("RGBA")
    stored.getexif()[0x0112] = 8
    result = normalize_image(stored)
    assert result.mode == "RGB" and result.size == (96, 64)
    assert quadrant_colours(result) == QUADRANTS
    assert normalize_image(Image.new("LA", (4, 4), (0, 0))).getpixel((0, 0)) == WHITE


# -- colour modes ----------------------------------------------------------------------------------


def test_cmyk_jpeg_adobe_inverted(tmp_path: Path) -> None:
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95)
    assert b"Adobe" in data  # libjpeg writes Adobe's inverted CMYK convention
    result = decode_bytes(tmp_path, "cmyk.jpg", data)
    assert_rgb8(result)
    assert close(only_colour(result.image), RED)


def test_cmyk_tiff_and_broken_icc_profile(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (32, 32), (255, 0, 255, 0))  # cyan + yellow = green
    result = decode_bytes(tmp_path, "cmyk.tif", encode(cmyk, "TIFF"))
    assert close(only_colour(result.image), GREEN)
    data = encode(cmyk, "JPEG", quality=95, icc_profile=b"not a profile")
    assert close(only_colour(decode_bytes(tmp_path, "icc.jpg", data).image), GREEN)


@pytest.mark.parametrize(("dtype", "fmt"), [("<u2", "PNG"), ("<u2", "TIFF"), (">u2", "TIFF")])
def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path: Path, dtype: str, fmt: str) -> None:
    values = np.array([[0, 257, 32896, 65535]], dtype=dtype).repeat(4, axis=0)
    source = Image.fromarray(values)
    assert source.mode.startswith("I;16")
    result = decode_bytes(tmp_path, "grey16." + fmt.lower(), encode(source, fmt))
    pixels = np.asarray(result.image)
    assert pixels.shape == (4, 4, 3)
    assert pixels[0, :, 0].tolist() == [0, 1, 128, 255]
    assert (pixels[..., 0] == pixels[..., 2]).all()


def test_16_bit_reduce(tmp_path: Path) -> None:
    values = np.full((600, 800), 32896, dtype=np.uint16)
    result = decode_bytes(tmp_path, "g16.png", encode(Image.fromarray(values), "PNG"), min_side=100)
    assert 100 <= min(result.image.size) < 200
    assert only_colour(result.image) == (128, 128, 128)
    ramp = np.tile(np.linspace(0, 65535, 800).astype(np.uint16), (600, 1))
    result = decode_bytes(tmp_path, "ramp.png", encode(Image.fromarray(ramp), "PNG"), min_side=100)
    row = np.asarray(result.image)[0, :, 0].astype(int)
    assert row[0] <= 2 and row[-1] >= 253 and (np.diff(row) >= 0).all()  # scaled, not clipped


def test_32_bit_integer_and_float_modes() -> None:
    as_int = Image.fromarray(np.array([[0, 32896, 65535]], dtype=np.int32))
    assert as_int.mode == "I"
    assert np.asarray(to_rgb(as_int))[0, :, 0].tolist() == [0, 128, 255]
    signed = Image.fromarray(np.array([[-1000, 0, 1000]], dtype=np.int32))
    assert np.asarray(to_rgb(signed))[0, :, 0].tolist() == [0, 128, 255]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert unit.mode == "F"
    assert np.asarray(to_rgb(unit))[0, :, 0].tolist() == [0, 128, 255]
    wide = Image.fromarray(np.array([[-5.0, 0.0, 5.0, np.nan]], dtype=np.float32))
    assert np.asarray(to_rgb(wide))[0, :, 0].tolist() == [0, 128, 255, 128]
    flat = Image.fromarray(np.full((2, 2), 7.5, dtype=np.float32))
    assert to_rgb(flat).getpixel((0, 0)) == (0, 0, 0)


def test_float_tiff_file(tmp_path: Path) -> None:
    values = np.array([[0.0, 0.25, 1.0]], dtype=np.float32).repeat(3, axis=0)
    result = decode_bytes(tmp_path, "float.tif", encode(Image.fromarray(values), "TIFF"))
    assert np.asarray(result.image)[0, :, 1].tolist() == [0, 64, 255]


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (30, 10), (255, 0, 0, 0))  # fully transparent red: white
    rgba.paste((0, 0, 255, 255), (10, 0, 20, 10))  # opaque blue
    rgba.paste((0, 0, 0, 128), (20, 0, 30, 10))  # half-transparent black: mid grey
    result = decode_bytes(tmp_path, "alpha.png", encode(rgba, "PNG"))
    assert result.image.getpixel((5, 5)) == WHITE
    assert result.image.getpixel((15, 5)) == BLUE
    assert close(result.image.getpixel((25, 5)), (127, 127, 127), 2)  # type: ignore[arg-type]


def test_la_is_composited_on_white(tmp_path: Path) -> None:
    la = Image.new("LA", (20, 10), (0, 0))
    la.paste((0, 255), (10, 0, 20, 10))
    result = decode_bytes(tmp_path, "la.png", encode(la, "PNG"), min_side=None)
    assert result.image.getpixel((5, 5)) == WHITE
    assert result.image.getpixel((15, 5)) == BLACK


def test_alpha_survives_reduce(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    result = decode_bytes(tmp_path, "clear.png", encode(rgba, "PNG"), min_side=100)
    assert min(result.image.size) >= 100
    assert only_colour(result.image) == WHITE


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency(tmp_path: Path, fmt: str) -> None:
    palette = Image.new("P", (20, 10), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (10, 0, 20, 10))
    result = decode_bytes(tmp_path, "pal." + fmt.lower(), encode(palette, fmt, transparency=0))
    assert result.image.getpixel((5, 5)) == WHITE
    assert result.image.getpixel((15, 5)) == RED


def test_rgb_and_grey_with_transparent_colour(tmp_path: Path) -> None:
    rgb = Image.new("RGB", (10, 10), (10, 20, 30))
    result = decode_bytes(tmp_path, "trns.png", encode(rgb, "PNG", transparency=(10, 20, 30)))
    assert only_colour(result.image) == WHITE
    grey = Image.new("L", (10, 10), 40)
    result = decode_bytes(tmp_path, "trnsl.png", encode(grey, "PNG", transparency=40))
    assert only_colour(result.image) == WHITE


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF"])
def test_one_bit(tmp_path: Path, fmt: str) -> None:
    bits = Image.new("1", (16, 8), 0)
    bits.paste(1, (8, 0, 16, 8))
    result = decode_bytes(tmp_path, "bits." + fmt.lower(), encode(bits, fmt))
    assert result.image.getpixel((2, 2)) == BLACK
    assert result.image.getpixel((12, 2)) == WHITE


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_greyscale(tmp_path: Path, fmt: str) -> None:
    grey = Image.new("L", (16, 16), 100)
    result = decode_bytes(tmp_path, "grey." + fmt.lower(), encode(grey, fmt))
    assert close(only_colour(result.image), (100, 100, 100), 2)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_first_frame_of_animation(tmp_path: Path, fmt: str) -> None:
    frames = [Image.new("RGB", (40, 30), c) for c in (RED, BLUE, GREEN)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", 1) == 3
    result = decode_bytes(tmp_path, "anim." + fmt.lower(), data)
    assert result.image.size == (40, 30)
    assert close(only_colour(result.image), RED, 8)


# -- EXIF dates ------------------------------------------------------------------------------------


def test_date_taken_prefers_original(tmp_path: Path) -> None:
    exif = exif_bytes(original="2021:07:04 15:30:12", datetime="2023:01:01 00:00:00")
    result = decode_bytes(tmp_path, "d.jpg", encode(quadrant_picture(), "JPEG", exif=exif))
    assert result.taken_at == datetime(2021, 7, 4, 15, 30, 12)


def test_date_taken_falls_back_to_datetime(tmp_path: Path) -> None:
    for name, exif in [
        ("only.jpg", exif_bytes(datetime="2019:02:03 04:05:06")),
        ("bad.jpg", exif_bytes(original="0000:00:00 00:00:00", datetime="2019:02:03 04:05:06")),
    ]:
        result = decode_bytes(tmp_path, name, encode(quadrant_picture(), "JPEG", exif=exif))
        assert result.taken_at == datetime(2019, 2, 3, 4, 5, 6), name


def test_no_date(tmp_path: Path) -> None:
    assert decode_bytes(tmp_path, "n.png", encode(quadrant_picture(), "PNG")).taken_at is None
    exif = exif_bytes(original="    :  :     :  :  ", datetime="garbage")
    data = encode(quadrant_picture(), "JPEG", exif=exif)
    assert decode_bytes(tmp_path, "blank.jpg", data).taken_at is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021:07:04 15:30:12", datetime(2021, 7, 4, 15, 30, 12)),
        ("2021:07:04 15:30:12\x00", datetime(2021, 7, 4, 15, 30, 12)),
        (b"2021:07:04 15:30:12", datetime(2021, 7, 4, 15, 30, 12)),
        ("2021-07-04T15:30:12+02:00", datetime(2021, 7, 4, 15, 30, 12)),
        ("2021:07:04 15:30", datetime(2021, 7, 4, 15, 30)),
        ("2021:07:04", datetime(2021, 7, 4)),
        (("2021:07:04 15:30:12",), datetime(2021, 7, 4, 15, 30, 12)),
        ("0000:00:00 00:00:00", None),
        ("    :  :     :  :  ", None),
        ("2021:13:45 25:61:00", None),
        ("2021:02:30 10:00:00", None),
        ("0001:01:01 00:00:00", None),
        ("", None),
        ("garbage", None),
        (b"\xff\xfe\x00", None),
        (20210704, None),
        (None, None),
        ((), None),
        (3.5, None),
    ],
)
def test_parse_exif_datetime(value: object, expected: datetime | None) -> None:
    assert parse_exif_datetime(value) == expected


# -- decompression bombs ---------------------------------------------------------------------------


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Sizes of every image whose pixels were loaded (allocated) during the test."""
    calls: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def test_forged_header_refused_before_allocating(
    tmp_path: Path, load_calls: list[tuple[int, int]]
) -> None:
    forged = forge_png_size(encode(Image.new("L", (8, 8)), "PNG"), 9000, 9000)  # 81 MP
    with pytest.raises(ImageDecodeError) as caught:
        decode_bytes(tmp_path, "bomb.png", forged, max_pixels=50_000_000)
    assert str(caught.value) == "image too large (81.0 megapixels, limit 50.0)"
    assert load_calls == []


def test_giant_header_beyond_pillows_own_limit(tmp_path: Path) -> None:
    forged = forge_png_size(encode(Image.new("L", (8, 8)), "PNG"), 100_000, 100_000)
    with pytest.raises(ImageDecodeError, match=r"image too large \(10,000.0 megapixels"):
        decode_bytes(tmp_path, "huge.png", forged)
    with pytest.raises(ImageDecodeError, match="image too large"):
        decode_bytes(tmp_path, "huge2.png", forged, max_pixels=None)


def test_pixel_limit_is_per_call_and_thread_safe(tmp_path: Path) -> None:
    path = write(tmp_path / "p.png", encode(photo_like(200, 100), "PNG"))

    def attempt(limit: int | None) -> str:
        try:
            return str(load_image_file(path, max_pixels=limit).image.size)
        except ImageDecodeError as exc:
            return str(exc)

    limits = [10_000, None, 20_000, 19_999] * 10
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, limits))
    expected = {
        10_000: "image too large (0.02 megapixels, limit 0.01)",
        None: "(200, 100)",
        20_000: "(200, 100)",
        19_999: "image too large (0.02 megapixels, limit 0.02)",
    }
    assert answers == [expected[limit] for limit in limits]
    assert DEFAULT_MAX_PIXELS == 200_000_000


def test_pillow_bomb_error_and_warning_become_decode_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "p.png", encode(Image.new("RGB", (100, 100)), "PNG"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow refuses above 2000 ...
    with pytest.raises(ImageDecodeError, match=r"image too large \(0.01 megapixels, limit 0.001\)"):
        load_image_file(path, max_pixels=None)  # ... but the setting is 1000: said so
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 8000)  # Pillow warns above 8000
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ImageDecodeError, match="image too large"):
            load_image_file(path, max_pixels=None)


def test_the_message_states_the_setting_not_pillows_double(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings of 200 MP; a 450 MP picture trips Pillow's own check (at 2 x 200 MP) first."""
    forged = forge_png_size(encode(Image.new("L", (8, 8)), "PNG"), 30_000, 15_000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000_000)
    with pytest.raises(ImageDecodeError) as caught:
        decode_bytes(tmp_path, "huge.png", forged, max_pixels=200_000_000)
    assert str(caught.value) == "image too large (450.0 megapixels, limit 200.0)"


def test_decodes_are_bounded_in_memory(tmp_path: Path) -> None:
    from clipdesk.core.imaging import DecodeBudget

    big = write(tmp_path / "big.png", encode(Image.new("RGBA", (3000, 2000), (1, 2, 3, 4)),
                                                "PNG"))
    with pytest.raises(ImageDecodeError) as caught:  # 6 MP RGBA: 48 MB with a working copy
        load_image_file(big, budget=DecodeBudget(max_bytes=40 << 20))
    assert str(caught.value) == "needs 46 MB of memory to decode (limit 40 MB)"
    entered: list[str] = []

    class Gate:
        def __enter__(self) -> None:
            entered.append("in")

        def __exit__(self, *exc: object) -> None:
            entered.append("out")

    budget = DecodeBudget(max_bytes=None, huge_bytes=40 << 20, gate=Gate)
    assert min(load_image_file(big, min_side=64, budget=budget).image.size) >= 64
    assert entered == ["in", "out"]  # a huge decode passes through the gate
    small = write(tmp_path / "small.png", encode(Image.new("RGB", (300, 200)), "PNG"))
    load_image_file(small, budget=budget)
    assert entered == ["in", "out"]  # a small one does not
    jpeg = write(tmp_path / "big.jpg", encode(Image.new("RGB", (3000, 2000)), "JPEG"))
    load_image_file(jpeg, min_side=64, budget=budget)  # decoded at 1/8 by DCT scaling: small
    assert entered == ["in", "out"]
    assert 1 << 30 <= imaging.default_max_decode_bytes() <= 4 << 30


def test_set_pillow_pixel_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    imaging.set_pillow_pixel_limit(300_000_000)
    assert Image.MAX_IMAGE_PIXELS == 300_000_000


# -- failures --------------------------------------------------------------------------------------


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = encode(photo_like(640, 480), "JPEG", quality=90)
    for cut in (len(data) // 2, len(data) - 100, 40):
        with pytest.raises(ImageDecodeError, match=r"^truncated JPEG$"):
            decode_bytes(tmp_path, "cut.jpg", data[:cut], min_side=64)


def test_truncated_png(tmp_path: Path) -> None:
    data = encode(photo_like(320, 240), "PNG")
    with pytest.raises(ImageDecodeError, match=r"^truncated PNG$"):
        decode_bytes(tmp_path, "cut.png", data[: len(data) // 2])


@pytest.mark.parametrize("name", ["noise.jpg", "noise.png", "noise.heic", "noise.webp"])
def test_random_bytes(tmp_path: Path, name: str) -> None:
    noise = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(ImageDecodeError) as caught:
        decode_bytes(tmp_path, name, noise)
    assert str(caught.value) in {
        "not an image file",
        "HEIF images need pillow-heif, which is not installed",
    }


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError, match=r"^empty file$") as caught:
        decode_bytes(tmp_path, "empty.jpg", b"")
    assert caught.value.path == tmp_path / "empty.jpg"
    assert isinstance(caught.value, ClipdeskError)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.png", b"hello, this is text\n" * 10),
        ("page.jpg", b"<html><body>not a photo</body></html>"),
        ("vector.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"),
        ("pixmap.jpg", b"P6\n4 4\n255\n" + bytes(48)),  # PPM: Pillow reads it, clipdesk does not
    ],
)
def test_non_images_with_image_suffixes(tmp_path: Path, name: str, data: bytes) -> None:
    with pytest.raises(ImageDecodeError, match=r"^not an image file$"):
        decode_bytes(tmp_path, name, data)


def test_directory_missing_and_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    with pytest.raises(ImageDecodeError, match=r"^unreadable: is a folder"):
        load_image_file(folder)
    with pytest.raises(ImageDecodeError, match=r"^file not found$"):
        load_image_file(tmp_path / "gone.jpg")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(ImageDecodeError, match=r"^unreadable: not a regular file$"):
        load_image_file(fifo)


def test_decode_error_survives_pickling(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError) as caught:
        decode_bytes(tmp_path, "empty.png", b"")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.reason, copy.path) == (
        "empty file",
        "empty file",
        tmp_path / "empty.png",
    )


def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.jpg", encode(quadrant_picture(), "JPEG"))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user (root) who can read a mode-000 file")
        with pytest.raises(ImageDecodeError, match=r"^unreadable: permission denied$"):
            load_image_file(path)
    finally:
        path.chmod(0o600)


def test_permission_denied_reason_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = write(tmp_path / "x.jpg", encode(quadrant_picture(), "JPEG"))
    monkeypatch.setattr(imaging, "open", refuse, raising=False)
    with pytest.raises(ImageDecodeError, match=r"^unreadable: permission denied$"):
        load_image_file(path)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        SyntaxError("not a PNG file"),
        struct.error("unpack requires a buffer of 4 bytes"),
        IndexError("list index out of range"),
        KeyError("MPO"),
        TypeError("unsupported"),
        EOFError(),
        ZeroDivisionError("division by zero"),
        MemoryError(),
        RuntimeError("something new"),
    ],
)
def test_any_pillow_exception_becomes_a_decode_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    path = write(tmp_path / "x.jpg", encode(quadrant_picture(), "JPEG"))

    def explode(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(Image, "open", explode)
    with pytest.raises(ImageDecodeError) as caught:
        load_image_file(path)
    reason = str(caught.value)
    assert reason and "\n" not in reason and len(reason) <= 120
    assert caught.value.__cause__ is error


def test_damaged_jpeg_data(tmp_path: Path) -> None:
    data = bytearray(encode(photo_like(320, 240), "JPEG", quality=90))
    table = data.index(b"\xff\xc4") + 5  # the code counts of the first Huffman table
    data[table : table + 16] = bytes([0xFF]) * 16  # a table with impossible code counts
    with pytest.raises(ImageDecodeError, match=r"^damaged JPEG data$"):
        decode_bytes(tmp_path, "damaged.jpg", bytes(data))


# -- threads and real photos -----------------------------------------------------------------------


def test_parallel_decodes_match_sequential(tmp_path: Path) -> None:
    paths = []
    for i in range(12):
        picture = photo_like(640 + 16 * i, 480, seed=i)
        fmt = ("JPEG", "PNG", "WEBP")[i % 3]
        paths.append(write(tmp_path / f"p{i}.{fmt.lower()}", encode(picture, fmt)))
    paths.append(write(tmp_path / "bad.jpg", b"nope"))

    def digest(path: Path) -> object:
        try:
            result = load_image_file(path, min_side=128)
        except ImageDecodeError as exc:
            return str(exc)
        return result.image.size, result.image.tobytes()

    sequential = [digest(p) for p in paths]
    with ThreadPoolExecutor(6) as pool:
        for _ in range(3):
            assert list(pool.map(digest, paths)) == sequential


def test_coco_mini_photos_decode(coco_mini: Path) -> None:
    photos = sorted((coco_mini / "images").glob("*.jpg"))
    assert len(photos) > 100
    for path in photos:
        result = load_image_file(path, min_side=224)
        assert result.image.mode == "RGB"
        with Image.open(path) as original:
            assert (result.width, result.height) == original.size
        assert min(result.image.size) >= min(224, result.width, result.height)
        assert min(result.image.size) < 2 * 224 or min(result.width, result.height) < 448


def test_coco_mini_draft_matches_full_decode(coco_mini: Path) -> None:
    for path in sorted((coco_mini / "images").glob("*.jpg"))[:20]:
        drafted = load_image_file(path, min_side=224).image
        full = load_image_file(path).image.resize(drafted.size, Image.Resampling.LANCZOS)
        assert mean_abs_diff(drafted, full) < 6.0, path.name


def test_avif_when_pillow_or_pillow_heif_reads_it(tmp_path: Path) -> None:
    if ".avif" not in supported_suffixes():
        pytest.skip("no AVIF support on this installation")
    from PIL import features

    if not features.check("avif"):
        pytest.importorskip("pillow_heif").register_heif_opener()
    path = tmp_path / "photo.avif"
    quadrant_picture(128, 96).save(path, quality=95)
    result = load_image_file(path)
    assert (result.width, result.height) == (128, 96)
    for name, colour in quadrant_colours(result.image).items():
        assert close(colour, QUADRANTS[name], tolerance=40), (name, colour)
