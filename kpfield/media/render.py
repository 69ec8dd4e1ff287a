"""Shared pixel work for derivatives: orientation, mode normalisation, metadata-free copies."""

from __future__ import annotations

import logging

from PIL import Image, ImageOps

from kpfield.errors import N_, MediaError

log = logging.getLogger(__name__)


def upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels; on unreadable EXIF, leave them as they are."""
    try:
        turned = ImageOps.exif_transpose(img)
    except Exception as exc:  # Pillow parses untrusted EXIF here; see claims._safe_exif
        log.info("orientation not applied: %s", type(exc).__name__)
        return img
    return img if turned is None else turned


def has_alpha(img: Image.Image) -> bool:
    """True if the image carries transparency (an alpha band or a transparent palette entry)."""
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def to_rgb(img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """An RGB copy, with any transparency flattened onto ``background``."""
    if has_alpha(img):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img if img.mode == "RGB" else img.convert("RGB")


def bare_copy(img: Image.Image) -> Image.Image:
    """The same pixels in a fresh image with no ``info`` (no EXIF, XMP, ICC, comments, text).

    Pillow's encoders copy some metadata from ``img.info`` (e.g. JPEG comments, PNG ICC
    profiles), so derivatives are always written from a bare copy.
    """
    fresh = Image.new(img.mode, img.size)
    fresh.paste(img)
    return fresh


def conversion_refused(name: str, exc: Exception) -> MediaError:
    """The error for a decoded image whose pixel format we cannot convert."""
    log.info("photo conversion failed: %s", type(exc).__name__)
    return MediaError(N_("{name} uses an image format KP Field cannot convert."), name=name)
