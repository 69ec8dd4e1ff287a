"""inspect_with_thumbnail: one draft-scale decode gives what inspect_photo + make_thumbnail give."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kpfield.errors import MediaError
from kpfield.media import inspect_photo, inspect_with_thumbnail, make_thumbnail
from tests.media.images import jpeg, noise_image


@pytest.mark.parametrize("size", [(2000, 1500), (300, 200), (4001, 17)])
def test_same_info_and_thumbnail_as_two_decodes(size: tuple[int, int]) -> None:
    data = jpeg(noise_image(size), quality=85)
    info, thumb = inspect_with_thumbnail(data, "x.jpg")
    assert info == inspect_photo(data, "x.jpg")
    assert (info.width, info.height) == size  # the stored size, not the draft-scaled one
    with Image.open(io.BytesIO(thumb)) as a, Image.open(io.BytesIO(make_thumbnail(data))) as b:
        assert a.size == b.size
        assert max(a.size) <= 320


def test_refuses_a_jpeg_missing_its_last_bytes() -> None:
    data = jpeg(noise_image((1024, 768)), quality=90)
    with pytest.raises(MediaError):
        inspect_with_thumbnail(data[:-2], "x.jpg")
