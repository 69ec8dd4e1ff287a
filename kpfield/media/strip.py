"""Metadata-stripped copies of photos, safe to share: no EXIF, GPS, XMP, ICC, comments."""

from __future__ import annotations

import io

from PIL import Image

from kpfield.media.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, open_photo
from kpfield.media.render import bare_copy, conversion_refused, has_alpha, to_rgb, upright

STRIPPED_JPEG_QUALITY = 95

_PNG_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA"})


def strip_metadata(
    data: bytes,
    *,
    name: str = "photo",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """A copy of the photo with all metadata removed and the EXIF orientation applied to pixels.

    JPEG stays JPEG (re-encoded at quality 95, so not bit-identical pixels); every other accepted
    type becomes PNG (lossless; animations keep their first frame). The original is untouched:
    this is a labelled derivative, never a replacement for the evidence.
    """
    img, mime = open_photo(data, name, max_bytes=max_bytes, max_pixels=max_pixels)
    out = io.BytesIO()
    with img:
        try:
            turned = upright(img)
            if mime == "image/jpeg":
                pixels = turned if turned.mode in ("L", "RGB") else to_rgb(turned)
                # Fresh quantisation tables: the camera's own (a fingerprint) are not reused.
                bare_copy(pixels).save(out, format="JPEG", quality=STRIPPED_JPEG_QUALITY)
            else:
                bare_copy(_png_ready(turned)).save(out, format="PNG")
        except (ValueError, OSError) as exc:
            raise conversion_refused(name, exc) from None
    return out.getvalue()


def _png_ready(img: Image.Image) -> Image.Image:
    """Convert to a plain PNG mode, keeping transparency as an alpha band."""
    if img.mode in _PNG_MODES and "transparency" not in img.info:
        return img
    if has_alpha(img):
        return img.convert("RGBA")
    return to_rgb(img)
