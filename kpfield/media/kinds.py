"""Recognising what kind of attachment a file is from its content; its name can only veto."""

from __future__ import annotations

import re
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

MAX_TEXT_BYTES = 4 << 20
"""Plain text is shown inside the app from memory; larger text files are refused."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TEXT_SUFFIXES = frozenset({"", ".txt", ".text", ".md", ".csv", ".log"})
# What a name's extension says a file is; a file whose content is of ANOTHER kind is refused
# (an extension we do not know says nothing, and is not checked).
_SUFFIX_KINDS: dict[str, AttachmentKind] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp"), "photo"),
    **dict.fromkeys(
        (".mp3", ".ogg", ".oga", ".opus", ".wav", ".flac", ".m4a", ".aac", ".amr"), "audio"
    ),
    **dict.fromkeys((".pdf", ".txt", ".text", ".md", ".csv", ".log"), "document"),
}
_ACCEPTED = N_(
    "{name} is not a kind of file KP Field accepts (photos, sound recordings such as WAV, MP3, "
    "Ogg/Opus or M4A, PDF and plain text documents)."
)


def detect_kind(data: bytes, name: str) -> tuple[AttachmentKind, str]:
    """Sniff ``data`` and return ``(kind, mime)``; refuse types we do not accept.

    The content decides (magic numbers, or valid UTF-8 text); the name only vetoes: a file
    named like one kind that holds another is refused. A photo must still pass
    :func:`inspect_photo`.
    """
    if not data:
        raise MediaError(N_("{name} is empty."), name=name)
    kind, mime = _sniff(data, name)
    claimed = _SUFFIX_KINDS.get(_suffix(name))
    if claimed is not None and claimed != kind:
        raise MediaError(
            N_(
                "{name} does not hold what its name says: its content is {mime}. KP Field goes "
                "by what a file holds; check that this is the file you meant."
            ),
            name=name,
            mime=mime,
        )
    return kind, mime


def _suffix(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[1].lower() if "." in base.lstrip(".") else ""


def _sniff(data: bytes, name: str) -> tuple[AttachmentKind, str]:
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
    if _suffix(name) in _TEXT_SUFFIXES and looks_like_text(data[: MAX_TEXT_BYTES + 1]):
        if len(data) > MAX_TEXT_BYTES:
            raise MediaError(
                N_("{name} is too large for a text document (the limit is {limit} MiB)."),
                name=name,
                limit=MAX_TEXT_BYTES >> 20,
            )
        return "document", "text/plain"
    raise MediaError(_ACCEPTED, name=name)


def looks_like_text(data: bytes) -> bool:
    """UTF-8 (a BOM allowed, a character cut at the end allowed) without control characters
    other than tab, line breaks and form feed."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3 or exc.reason != "unexpected end of data":
            return False
        text = data[: exc.start].decode("utf-8")
    return bool(text.strip()) and _CONTROL.search(text) is None


def _is_mpeg_audio_frame(data: bytes) -> bool:
    """An MP3 without an ID3 tag: an MPEG audio frame header (11 sync bits, valid fields)."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version = (data[1] >> 3) & 0x3
    layer = (data[1] >> 1) & 0x3
    bitrate = data[2] >> 4
    sample_rate = (data[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and sample_rate != 3
