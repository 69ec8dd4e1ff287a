"""Bad input gets a clear MediaError: impostors, truncation, bombs, oversize, empty, HEIC."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from PIL import Image, ImageFile

from kpfield.errors import MediaError
from kpfield.media import inspect_photo, inspect_with_thumbnail, make_thumbnail, strip_metadata
from tests.media.images import encode, jpeg, marked_image, noise_image, png_declaring

Operation = Callable[..., object]

ALL_OPERATIONS = [
    pytest.param(lambda d, **kw: inspect_photo(d, "x.jpg", **kw), id="inspect"),
    pytest.param(lambda d, **kw: make_thumbnail(d, name="x.jpg", **kw), id="thumbnail"),
    pytest.param(lambda d, **kw: strip_metadata(d, name="x.jpg", **kw), id="strip"),
    pytest.param(lambda d, **kw: inspect_with_thumbnail(d, "x.jpg", **kw), id="one-decode"),
]


@pytest.fixture(scope="module")
def noisy_jpeg() -> bytes:
    return jpeg(noise_image((256, 256)), quality=90)


def test_text_posing_as_jpeg() -> None:
    with pytest.raises(MediaError, match=r"^notes\.jpg is not a photo we can read\.$"):
        inspect_photo(b"Meeting at the river at noon. Bring the list.\n", "notes.jpg")


def test_message_names_the_file_but_never_its_content() -> None:
    secret = b"witness name: Jane Doe"
    with pytest.raises(MediaError) as caught:
        inspect_photo(secret, "x.jpg")
    assert "Jane" not in caught.value.message
    assert caught.value.params == {"name": "x.jpg"}


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_empty(operation: Operation) -> None:
    with pytest.raises(MediaError, match="is empty"):
        operation(b"")


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_truncated_jpeg(noisy_jpeg: bytes, fraction: float, operation: Operation) -> None:
    with pytest.raises(MediaError, match="damaged or incomplete"):
        operation(noisy_jpeg[: int(len(noisy_jpeg) * fraction)])


@pytest.mark.parametrize("cut", [1, 2, 3, 20])
def test_jpeg_cut_in_its_header(noisy_jpeg: bytes, cut: int) -> None:
    with pytest.raises(MediaError, match="not a photo we can read"):
        inspect_photo(noisy_jpeg[:cut], "x.jpg")


def test_jpeg_missing_only_its_last_bytes(noisy_jpeg: bytes) -> None:
    with pytest.raises(MediaError):
        inspect_photo(noisy_jpeg[:-2], "x.jpg")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF"])
def test_truncated_other_formats(fmt: str) -> None:
    data = encode(noise_image((128, 128)), fmt)
    with pytest.raises(MediaError):
        inspect_photo(data[: len(data) // 2], "x.img")


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_decompression_bomb_beyond_pillows_own_limit(operation: Operation) -> None:
    bomb = png_declaring(100_000, 100_000)  # 10 gigapixels in under 100 bytes
    assert len(bomb) < 100
    with pytest.raises(MediaError, match="too large to open safely"):
        operation(bomb)


def test_bomb_under_pillows_limit_but_over_ours() -> None:
    bomb = png_declaring(9_000, 9_000)  # 81 MP: Pillow's default lets it through
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no DecompressionBombWarning noise either
        with pytest.raises(MediaError, match=r"81\.0 megapixels; the limit is 80\.0"):
            inspect_photo(bomb, "x.png")


def test_pixel_limit_is_per_call() -> None:
    data = jpeg(marked_image((400, 300)))
    with pytest.raises(MediaError, match="too large"):
        inspect_photo(data, "x.jpg", max_pixels=100_000)
    assert inspect_photo(data, "x.jpg", max_pixels=120_000).width == 400
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the global is left alone


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_pixel_limit_applies_to_every_operation(operation: Operation) -> None:
    with pytest.raises(MediaError, match="too large"):
        operation(jpeg(marked_image((400, 300))), max_pixels=100_000)


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_byte_limit(operation: Operation) -> None:
    data = jpeg(marked_image((64, 64)))
    with pytest.raises(MediaError, match=r"too big \(0\.0 MB\)"):
        operation(data, max_bytes=len(data) - 1)


def test_oversized_input_is_refused_before_decoding() -> None:
    data = b"\xff\xd8\xff" + bytes(201 * 1024 * 1024)
    with pytest.raises(
        MediaError, match=r"too big \(201\.0 MB\); the largest file accepted is 200\.0"
    ):
        inspect_photo(data, "huge.jpg")


def test_heic_is_refused_clearly() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    with pytest.raises(MediaError, match="HEIC"):
        inspect_photo(heic, "IMG_1234.HEIC")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"BM" + bytes(60),  # BMP: a real image type, but not one we accept
        b"%!PS-Adobe-3.0 EPSF-3.0\n",  # EPS would run Ghostscript: never opened
        b"\x00\x00\x01\x00\x01\x00" + bytes(40),  # ICO
    ],
)
def test_other_types_are_not_photos(data: bytes) -> None:
    with pytest.raises(MediaError, match="not a photo we can read"):
        inspect_photo(data, "x.jpg")


def test_bmp_is_refused_even_when_valid() -> None:
    with pytest.raises(MediaError, match="not a photo we can read"):
        inspect_photo(encode(marked_image((8, 8)), "BMP"), "x.bmp")


def test_refuses_when_pillow_is_told_to_accept_truncated_files(
    monkeypatch: pytest.MonkeyPatch, noisy_jpeg: bytes
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(MediaError, match="cannot be checked safely"):
        inspect_photo(noisy_jpeg[: len(noisy_jpeg) // 2], "x.jpg")
