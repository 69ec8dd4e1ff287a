"""strip_metadata: no EXIF, GPS, XMP, comments, ICC or text; orientation baked into pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, PngImagePlugin

from kpfield.media import inspect_photo, strip_metadata
from tests.media.images import (
    MARKER,
    camera_exif,
    camera_jpeg,
    encode,
    jpeg_segments,
    marked_image,
    png_chunks,
    srgb_icc,
    xmp_packet,
)


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.fixture(scope="module")
def camera_photo() -> bytes:
    data = camera_jpeg(orientation=6)
    # The fixture really carries what we mean to strip.
    assert data.count(MARKER.encode()) == 3  # EXIF UserComment, XMP, COM
    assert inspect_photo(data, "x.jpg").gps_lat_micro is not None
    return data


@pytest.fixture(scope="module")
def stripped_jpeg(camera_photo: bytes) -> bytes:
    return strip_metadata(camera_photo)


def test_jpeg_stays_jpeg_without_metadata_segments(stripped_jpeg: bytes) -> None:
    assert MARKER.encode() not in stripped_jpeg
    markers = [marker for marker, _ in jpeg_segments(stripped_jpeg)]
    assert 0xFE not in markers  # COM
    assert not [m for m in markers if 0xE1 <= m <= 0xEF]  # EXIF, XMP, ICC, MPF, IPTC, Adobe
    for needle in (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"Acme"):
        assert needle not in stripped_jpeg
    img = _open(stripped_jpeg)
    assert img.format == "JPEG"
    assert "icc_profile" not in img.info
    assert "comment" not in img.info
    assert "xmp" not in img.info


def test_gps_and_all_claims_are_gone(stripped_jpeg: bytes) -> None:
    exif = _open(stripped_jpeg).getexif()
    assert not exif
    assert not exif.get_ifd(0x8825)
    info = inspect_photo(stripped_jpeg, "x.jpg")
    assert info.gps_lat_micro is None
    assert info.gps_lon_micro is None
    assert info.gps_alt_m is None
    assert info.taken_at is None
    assert info.camera_make is None
    assert info.orientation is None


def test_orientation_is_applied_to_pixels(stripped_jpeg: bytes) -> None:
    img = _open(stripped_jpeg).convert("RGB")
    assert img.size == (300, 400)  # was 400x300 with orientation 6
    red, blue = img.getpixel((290, 10)), img.getpixel((10, 390))
    assert isinstance(red, tuple)
    assert isinstance(blue, tuple)
    assert red[0] > 200
    assert red[2] < 60
    assert blue[2] > 200
    assert blue[0] < 60


def test_high_quality_reencode(camera_photo: bytes, stripped_jpeg: bytes) -> None:
    original = _open(camera_photo).transpose(Image.Transpose.ROTATE_270).convert("RGB")
    again = _open(stripped_jpeg).convert("RGB")
    extrema = ImageChops.difference(original, again).getextrema()
    assert isinstance(extrema[0], tuple)
    worst = max(int(band[1]) for band in extrema)
    assert worst < 40


def test_png_stays_png_without_text_exif_or_icc() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", MARKER)
    text.add_itxt("Description", MARKER, zip=True)
    text.add_text("Author", MARKER, zip=True)
    data = encode(
        marked_image(),
        "PNG",
        pnginfo=text,
        exif=camera_exif(orientation=6),
        icc_profile=srgb_icc(),
    )
    assert {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP"} <= set(png_chunks(data))

    out = strip_metadata(data)
    assert png_chunks(out)[0] == b"IHDR"
    assert set(png_chunks(out)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert MARKER.encode() not in out
    assert _open(out).format == "PNG"
    assert _open(out).size == (300, 400)


def test_png_xmp_is_removed() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    out = strip_metadata(encode(marked_image(), "PNG", pnginfo=info))
    assert MARKER.encode() not in out


def test_transparency_is_kept_in_png() -> None:
    img = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 10, 10))
    out = _open(strip_metadata(encode(img, "PNG")))
    assert out.mode == "RGBA"
    assert out.getpixel((15, 15)) == (0, 0, 0, 0)
    assert out.getpixel((5, 5)) == (255, 0, 0, 255)


def test_palette_gif_with_transparency_becomes_rgba_png() -> None:
    img = Image.new("P", (10, 10), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = _open(strip_metadata(encode(img, "GIF", transparency=1)))
    assert (out.format, out.mode) == ("PNG", "RGBA")
    pixel = out.getpixel((0, 0))
    assert isinstance(pixel, tuple)
    assert pixel[3] == 0


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF"])
def test_other_types_become_png(fmt: str) -> None:
    data = encode(marked_image(), fmt, exif=camera_exif())
    out = strip_metadata(data)
    assert _open(out).format == "PNG"
    assert inspect_photo(out, "x.png").camera_make is None


def test_cmyk_jpeg_becomes_rgb_jpeg() -> None:
    out = _open(strip_metadata(encode(marked_image().convert("CMYK"), "JPEG")))
    assert (out.format, out.mode) == ("JPEG", "RGB")


def test_original_bytes_are_not_touched(camera_photo: bytes) -> None:
    before = bytes(camera_photo)
    strip_metadata(camera_photo)
    assert camera_photo == before
