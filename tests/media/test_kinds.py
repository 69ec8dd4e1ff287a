"""detect_kind: attachment kind and MIME type from magic numbers, never from the name."""

from __future__ import annotations

import pytest

from kpfield.errors import MediaError
from kpfield.media import detect_kind
from tests.media.images import encode, jpeg, marked_image


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg(), ("photo", "image/jpeg")),
        (encode(marked_image((8, 8)), "PNG"), ("photo", "image/png")),
        (encode(marked_image((8, 8)), "WEBP"), ("photo", "image/webp")),
        (encode(marked_image((8, 8)), "TIFF"), ("photo", "image/tiff")),
        (encode(marked_image((8, 8)), "GIF"), ("photo", "image/gif")),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", ("audio", "audio/mpeg")),
        (b"\xff\xfb\x90\x64" + bytes(20), ("audio", "audio/mpeg")),
        (b"OggS\x00\x02" + bytes(20), ("audio", "audio/ogg")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", ("audio", "audio/wav")),
        (b"fLaC\x00\x00\x00\x22", ("audio", "audio/flac")),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", ("audio", "audio/mp4")),
        (b"#!AMR\n" + bytes(10), ("audio", "audio/amr")),
        (b"%PDF-1.7\n", ("document", "application/pdf")),
    ],
)
def test_known_kinds(data: bytes, expected: tuple[str, str]) -> None:
    assert detect_kind(data, "whatever.bin") == expected


@pytest.mark.parametrize(
    "data",
    [
        b"just some notes",
        b"PK\x03\x04" + bytes(20),  # zip / docx
        b"MZ\x90\x00",  # Windows program
        b"\xff\xf1\x50\x80",  # bit pattern of an AAC ADTS header (MPEG-4 layer 0): not MP3
        b"RIFF\x24\x00\x00\x00AVI LIST",
    ],
)
def test_unknown_kinds_are_refused(data: bytes) -> None:
    with pytest.raises(MediaError, match="not a kind of file KP Field accepts"):
        detect_kind(data, "song.mp3")


def test_empty_and_heic() -> None:
    with pytest.raises(MediaError, match="empty"):
        detect_kind(b"", "a.pdf")
    with pytest.raises(MediaError, match="HEIC"):
        detect_kind(b"\x00\x00\x00\x18ftypheic" + bytes(16), "a.heic")
