"""Recognising what kind of attachment a file is from its first bytes, never its name."""

from __future__ import annotations

from typing import Literal

from kpfield.errors import N_, MediaError
from kpfield.media.decode import heif_refused, looks_like_heif

AttachmentKind = Literal["photo", "audio", "document"]

_PHOTO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_AUDIO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"#!AMR", "audio/amr"),
)
_M4A_BRANDS = frozenset({b"M4A ", b"M4B ", b"mp42", b"isom", b"3gp4", b"3gp5"})


def detect_kind(data: bytes, name: str) -> tuple[AttachmentKind, str]:
    """Sniff ``data`` and return ``(kind, mime)``; refuse types we do not accept.

    This looks only at magic numbers: a photo must still pass :func:`inspect_photo`.
    """
    if not data:
        raise MediaError(N_("{name} is empty."), name=name)
    for magic, mime in _PHOTO_MAGIC:
        if data.startswith(magic):
            return "photo", mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "photo", "image/webp"
    if looks_like_heif(data):
        raise heif_refused(name)
    for magic, mime in _AUDIO_MAGIC:
        if data.startswith(magic):
            return "audio", mime
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if data[4:8] == b"ftyp" and data[8:12] in _M4A_BRANDS:
        # Also the container of many videos; the vault treats these as recordings.
        return "audio", "audio/mp4"
    if _is_mpeg_audio_frame(data):
        return "audio", "audio/mpeg"
    if data.startswith(b"%PDF-"):
        return "document", "application/pdf"
    raise MediaError(
        N_("{name} is not a kind of file KP Field accepts (photos, sound recordings, PDF)."),
        name=name,
    )


def _is_mpeg_audio_frame(data: bytes) -> bool:
    """An MP3 without an ID3 tag: an MPEG audio frame header (11 sync bits, valid fields)."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version = (data[1] >> 3) & 0x3
    layer = (data[1] >> 1) & 0x3
    bitrate = data[2] >> 4
    sample_rate = (data[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and sample_rate != 3
