"""Photos made with Pillow: tiny ones carrying markers, and realistic noisy ones for benchmarks."""

from __future__ import annotations

import io
import random
import struct

from PIL import Image

EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
IMAGE_DESCRIPTION = 0x010E


def jpeg_with_marker(marker: bytes, *, size: tuple[int, int] = (96, 72), seed: int = 0) -> bytes:
    """A JPEG carrying ``marker`` in a COM segment, EXIF UserComment and ImageDescription."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "FieldCam 3"
    exif[IMAGE_DESCRIPTION] = marker.decode("ascii")
    exif.get_ifd(EXIF_IFD)[USER_COMMENT] = b"ASCII\x00\x00\x00" + marker
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif, comment=marker)
    return out.getvalue()


def jpeg_com_segments(data: bytes) -> list[bytes]:
    """The payloads of the COM (0xFFFE) segments before the image data."""
    out: list[bytes] = []
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        kind = data[i + 1]
        if kind == 0xDA:  # start of scan: metadata is over
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if kind == 0xFE:
            out.append(data[i + 4 : i + 2 + length])
        i += 2 + length
    return out


def small_photo(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small, unique JPEG (random pixels) for tests that attach many photos."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def noisy_photo(seed: int, width: int = 4000, height: int = 3000, quality: int = 90) -> bytes:
    """A camera-sized JPEG: smooth gradients plus sensor-like noise, so it compresses to MBs.

    Pure random pixels would compress to ~15 MB and flat colour to ~100 kB; a blurred field plus
    a little noise lands in the 3–6 MB range a phone produces.
    """
    rnd = random.Random(seed)
    # A low-resolution random field, upscaled smoothly, gives large-scale structure.
    base = Image.frombytes("RGB", (40, 30), rnd.randbytes(40 * 30 * 3)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    noise = Image.frombytes("L", (width, height), rnd.randbytes(width * height))
    noise_rgb = Image.merge("RGB", (noise, noise, noise))
    amount = 0.10 + rnd.random() * 0.08
    img = Image.blend(base, noise_rgb, amount)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()
