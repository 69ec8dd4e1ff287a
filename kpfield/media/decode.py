"""Safe, in-memory opening of untrusted photos: size caps, pixel limits, full decode.

Everything works on ``bytes`` through :class:`io.BytesIO`; nothing is written to disk.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageFile

from kpfield.errors import N_, MediaError

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""Largest file we accept as a photo (200 MiB)."""

DEFAULT_MAX_PIXELS = 80_000_000
"""Largest decoded size we accept (80 megapixels, about 240 MB of RGB in memory)."""

# Pillow format name -> MIME type we record. MPO is how Pillow names JPEGs that carry a
# multi-picture index (many phones and cameras); the file is still a JPEG.
MIME_BY_FORMAT: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
}

# Only these decoders ever see untrusted bytes (never EPS/Ghostscript, PSD, ICO, ...).
# MPO files are produced by the JPEG factory, so "JPEG" covers them.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "GIF")

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)


def looks_like_heif(data: bytes) -> bool:
    """True if ``data`` starts like an ISO-BMFF HEIF/HEIC image."""
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def heif_refused(name: str) -> MediaError:
    """The error for HEIC/HEIF photos, which Pillow cannot decode without a plugin."""
    return MediaError(
        N_(
            "{name} is a HEIC photo, which KP Field cannot read yet. "
            "Set the phone or camera to save JPEG, or convert the photo to JPEG."
        ),
        name=name,
    )


def check_size(data: bytes, name: str, max_bytes: int) -> None:
    """Refuse empty inputs and inputs over ``max_bytes``."""
    if not data:
        raise MediaError(N_("{name} is empty."), name=name)
    if len(data) > max_bytes:
        raise MediaError(
            N_("{name} is too big ({size_mb} MB); the largest file accepted is {limit_mb} MB."),
            name=name,
            size_mb=_mb(len(data)),
            limit_mb=_mb(max_bytes),
        )


def open_photo(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: tuple[int, int] | None = None,
) -> tuple[Image.Image, str]:
    """Open and fully decode a photo; return the loaded image and its MIME type.

    ``draft_size`` lets JPEG decoding downscale by 1/2, 1/4 or 1/8 on the fly (for thumbnails).
    Every failure becomes a :class:`MediaError`; the message never includes file content.
    """
    img, mime, _stored = open_photo_sized(
        data, name, max_bytes=max_bytes, max_pixels=max_pixels, draft_size=draft_size
    )
    return img, mime


def open_photo_sized(
    data: bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft_size: tuple[int, int] | None = None,
) -> tuple[Image.Image, str, tuple[int, int]]:
    """As :func:`open_photo`, also returning the stored size (``draft()`` shrinks ``size``)."""
    check_size(data, name, max_bytes)
    if looks_like_heif(data):
        raise heif_refused(name)
    img = _open_header(data, name)
    try:
        mime = MIME_BY_FORMAT.get(img.format or "")
        if mime is None:  # pragma: no cover - _OPEN_FORMATS and MIME_BY_FORMAT agree
            raise MediaError(N_("{name} is not a photo we can read."), name=name)
        width, height = img.size
        if width <= 0 or height <= 0:
            raise MediaError(N_("{name} is damaged or incomplete."), name=name)
        if width * height > max_pixels:
            raise _too_many_pixels(name, width * height, max_pixels)
        if draft_size is not None and img.format in ("JPEG", "MPO"):
            img.draft("RGB", draft_size)
        if img.format in ("JPEG", "MPO") and isinstance(img, ImageFile.ImageFile):
            # All the bytes in one decode call: Pillow's default feeds 64 KiB at a time, and each
            # call gives up and takes back the GIL, which in a batch (attach_files decodes in two
            # threads beside the writers) meant ~70 waits for the GIL per 12 MP photo.
            img.decodermaxblock = max(img.decodermaxblock, len(data))
        _load(img, name, max_pixels)
    except MediaError:
        img.close()
        raise
    return img, mime, (width, height)


def _open_header(data: bytes, name: str) -> Image.Image:
    # Pillow also checks its global MAX_IMAGE_PIXELS here: it raises beyond twice that and only
    # warns below it (we do not touch the global filters: not thread-safe). Our per-call limit is
    # checked right after; a warning turned into an error by the caller is a refusal too.
    try:
        return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, None, None) from None
    # Pillow's parsers raise a wide, version-dependent set of exceptions on hostile input
    # (OSError, SyntaxError, struct.error, ValueError, IndexError, ...). At this trust boundary
    # every one of them means "not a photo we can read".
    except Exception as exc:
        log.info("photo refused at open: %s", type(exc).__name__)
        raise MediaError(N_("{name} is not a photo we can read."), name=name) from None


def _load(img: Image.Image, name: str, max_pixels: int) -> None:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched Pillow into accepting cut-off files; evidence must not be padded.
        raise MediaError(N_("{name} cannot be checked safely right now."), name=name)
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, None, max_pixels) from None
    except Exception as exc:  # same trust boundary as _open_header
        log.info("photo refused at decode: %s", type(exc).__name__)
        raise MediaError(
            N_(
                "{name} is damaged or incomplete; it may have been cut off while copying. "
                "Copy it again from the camera or phone."
            ),
            name=name,
        ) from None


def _too_many_pixels(name: str, pixels: int | None, limit: int | None) -> MediaError:
    if pixels is None or limit is None:
        return MediaError(N_("{name} is too large to open safely."), name=name)
    return MediaError(
        N_(
            "{name} is too large to open safely ({megapixels} megapixels; "
            "the limit is {limit} megapixels)."
        ),
        name=name,
        megapixels=round(pixels / 1_000_000, 1),
        limit=round(limit / 1_000_000, 1),
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"
