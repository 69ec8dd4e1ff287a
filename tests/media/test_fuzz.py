"""Property tests: hostile bytes give a result or a MediaError, never any other exception."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpfield.errors import MediaError
from kpfield.media import PhotoInfo, detect_kind, inspect_photo, make_thumbnail, strip_metadata
from tests.media.images import camera_exif, camera_jpeg, encode, marked_image

SEEDS = {
    "jpeg": camera_jpeg(orientation=6, size=(48, 32)),
    "png": encode(marked_image((48, 32)), "PNG", exif=camera_exif()),
    "webp": encode(marked_image((48, 32)), "WEBP", exif=camera_exif()),
    "tiff": encode(marked_image((48, 32)), "TIFF"),
    "gif": encode(marked_image((48, 32)).convert("P"), "GIF"),
}

FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid photo with some bytes overwritten, a slice removed, or the tail cut off."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        start = draw(st.integers(0, len(data) - 1))
        del data[start : start + draw(st.integers(1, 64))]
    if draw(st.booleans()):
        del data[draw(st.integers(1, len(data))) :]
    return bytes(data)


def _only_media_errors(operation: Callable[[bytes], object], data: bytes) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about corrupt EXIF; that is fine
        try:
            return operation(data)
        except MediaError:
            return None


MAGIC = [
    b"",
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00II*\x00\x08\x00\x00\x00",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"GIF89a",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"II*\x00",
    b"MM\x00*",
]


@FUZZ
@given(st.tuples(st.sampled_from(MAGIC), st.binary(max_size=2048)).map(b"".join))
def test_random_bytes(data: bytes) -> None:
    result = _only_media_errors(lambda d: inspect_photo(d, "x.jpg"), data)
    assert result is None or isinstance(result, PhotoInfo)


@FUZZ
@given(mutated())
def test_mutated_photos_inspect(data: bytes) -> None:
    result = _only_media_errors(lambda d: inspect_photo(d, "x.jpg"), data)
    assert result is None or isinstance(result, PhotoInfo)


@FUZZ
@given(mutated())
def test_mutated_photos_derivatives(data: bytes) -> None:
    thumb = _only_media_errors(lambda d: make_thumbnail(d, 16), data)
    stripped = _only_media_errors(strip_metadata, data)
    # Whatever we produce is itself a readable photo.
    for output in (thumb, stripped):
        if output is not None:
            assert isinstance(output, bytes)
            inspect_photo(output, "derived")


@FUZZ
@given(st.binary(max_size=64))
def test_detect_kind(data: bytes) -> None:
    result = _only_media_errors(lambda d: detect_kind(d, "x"), data)
    assert result is None or (
        isinstance(result, tuple) and result[0] in ("photo", "audio", "document")
    )


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seeds_are_valid(name: str) -> None:
    assert inspect_photo(SEEDS[name], name).width == 48
