"""Inspecting an imported photo: what it really is, its size, and what its EXIF claims."""

from __future__ import annotations

from dataclasses import dataclass

from kpfield.media.claims import read_claims
from kpfield.media.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, open_photo


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    """A decoded photo's type and size, and the capture claims found in its EXIF.

    ``width``/``height`` are the stored pixel dimensions (before EXIF orientation is applied);
    see :attr:`display_size`. Coordinates are signed integer micro-degrees, altitude whole metres.
    """

    mime: str
    width: int
    height: int
    taken_at: str | None = None
    gps_lat_micro: int | None = None
    gps_lon_micro: int | None = None
    gps_alt_m: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    software: str | None = None
    orientation: int | None = None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as the photo is shown, after its EXIF orientation."""
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height


def inspect_photo(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> PhotoInfo:
    """Fully decode ``data`` (named ``name`` for messages) and describe it.

    Raises :class:`~kpfield.errors.MediaError` for anything that is not a complete, readable
    photo of an accepted type within the size and pixel limits. Malformed EXIF is not an error.
    """
    img, mime = open_photo(data, name, max_bytes=max_bytes, max_pixels=max_pixels)
    with img:
        claims = read_claims(img)
        width, height = img.size
    return PhotoInfo(
        mime=mime,
        width=width,
        height=height,
        taken_at=claims.taken_at,
        gps_lat_micro=claims.gps_lat_micro,
        gps_lon_micro=claims.gps_lon_micro,
        gps_alt_m=claims.gps_alt_m,
        camera_make=claims.camera_make,
        camera_model=claims.camera_model,
        software=claims.software,
        orientation=claims.orientation,
    )
