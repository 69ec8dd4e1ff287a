"""Builders for test photos, made in memory with Pillow, and small parsers to look inside them."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from PIL import Image, ImageCms
from PIL.TiffImagePlugin import IFDRational

MARKER = "KPF-SECRET-MARKER-7f3a"
"""Text planted in metadata; it must never survive stripping."""

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def rational(value: int, denominator: int = 1) -> IFDRational:
    return IFDRational(value, denominator)


def camera_exif(*, orientation: int = 1, gps: bool = True) -> Image.Exif:
    """EXIF like a phone writes: make, model, software, time with offset, GPS, a user comment."""
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "FieldCam 3"
    exif[0x0131] = "FieldCam firmware 1.2"
    exif[0x0132] = "2024:06:02 08:00:00"
    exif[0x0112] = orientation
    sub = exif.get_ifd(EXIF_IFD)
    sub[0x9003] = "2024:05:01 10:11:12"
    sub[0x9011] = "+02:00"
    sub[0x9286] = b"ASCII\x00\x00\x00" + MARKER.encode()
    if gps:
        g = exif.get_ifd(GPS_IFD)
        g[1] = "S"
        g[2] = (rational(28), rational(44), rational(1234, 100))
        g[3] = "E"
        g[4] = (rational(24), rational(46), rational(0))
        g[5] = b"\x00"
        g[6] = rational(12345, 10)
    return exif


def xmp_packet() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>'
        + MARKER.encode()
        + b"</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def srgb_icc() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


def marked_image(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Grey image with a red top-left and a blue bottom-right corner, to follow rotations."""
    img = Image.new("RGB", size, (128, 128, 128))
    w, h = size
    img.paste((255, 0, 0), (0, 0, w // 4, h // 4))
    img.paste((0, 0, 255), (w - w // 4, h - h // 4, w, h))
    return img


def noise_image(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Random pixels: large, incompressible scan data, good for truncation tests."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def jpeg(img: Image.Image | None = None, **save: Any) -> bytes:
    out = io.BytesIO()
    (img if img is not None else marked_image()).save(out, format="JPEG", **save)
    return out.getvalue()


def encode(img: Image.Image, fmt: str, **save: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def camera_jpeg(*, orientation: int = 1, size: tuple[int, int] = (400, 300)) -> bytes:
    """A JPEG carrying EXIF (with GPS and a marked UserComment), XMP, a COM segment and ICC."""
    return jpeg(
        marked_image(size),
        exif=camera_exif(orientation=orientation),
        xmp=xmp_packet(),
        comment=MARKER.encode(),
        icc_profile=srgb_icc(),
        quality=90,
    )


def jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(marker, payload) for each JPEG segment before the scan data."""
    assert data[:2] == b"\xff\xd8"
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker == 0xD9:
            return
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        yield marker, data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        pos += 2 + length


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, types = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` 1-bit pixels (a bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def replace_app1(data: bytes, payload: bytes) -> bytes:
    """``data`` (a JPEG) with its EXIF APP1 segment replaced by ``payload``."""
    pos = 2
    while pos < len(data):
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if marker == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
            return data[:pos] + segment + data[end:]
        pos = end
    raise AssertionError("no EXIF segment")
