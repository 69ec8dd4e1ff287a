"""make_thumbnail: small, upright, RGB JPEGs with no metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kpfield.media import make_thumbnail
from tests.media.images import MARKER, camera_jpeg, encode, jpeg, jpeg_segments, marked_image


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_landscape_camera_jpeg() -> None:
    thumb = _open(make_thumbnail(camera_jpeg(size=(4000, 3000))))
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (320, 240))


def test_orientation_is_applied() -> None:
    thumb = _open(make_thumbnail(camera_jpeg(orientation=6, size=(400, 300)), 100))
    assert thumb.size == (75, 100)
    # Orientation 6 means "rotate 90° clockwise to view": the red top-left goes top-right.
    red = thumb.getpixel((70, 5))
    assert isinstance(red, tuple)
    assert red[0] > 200
    assert red[2] < 60


def test_no_metadata_survives() -> None:
    data = make_thumbnail(camera_jpeg(orientation=6))
    markers = [marker for marker, _ in jpeg_segments(data)]
    assert 0xFE not in markers  # COM
    assert not [m for m in markers if 0xE1 <= m <= 0xEF]  # APP1..APP15: EXIF, XMP, ICC, IPTC
    assert MARKER.encode() not in data
    assert not _open(data).getexif()


@pytest.mark.parametrize(
    ("img", "fmt"),
    [
        (marked_image((600, 200)).convert("RGBA"), "PNG"),
        (marked_image((600, 200)).convert("P"), "GIF"),
        (marked_image((600, 200)).convert("CMYK"), "JPEG"),
        (marked_image((600, 200)).convert("L"), "PNG"),
        (marked_image((600, 200)).convert("I;16"), "PNG"),
        (marked_image((600, 200)), "WEBP"),
        (marked_image((600, 200)), "TIFF"),
    ],
    ids=["rgba-png", "gif", "cmyk-jpeg", "grey-png", "16bit-png", "webp", "tiff"],
)
def test_other_formats_and_modes(img: Image.Image, fmt: str) -> None:
    thumb = _open(make_thumbnail(encode(img, fmt), 120))
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (120, 40))


def test_transparency_is_flattened_on_white() -> None:
    clear = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    thumb = _open(make_thumbnail(encode(clear, "PNG"), 20))
    assert thumb.getpixel((10, 10)) == (255, 255, 255)


def test_small_photo_is_not_enlarged() -> None:
    assert _open(make_thumbnail(jpeg(marked_image((30, 20))))).size == (30, 20)


def test_max_side_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_side"):
        make_thumbnail(jpeg(), 0)
