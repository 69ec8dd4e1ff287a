"""Small sound recordings and documents for attachment tests (made here, never downloaded)."""

from __future__ import annotations

import io
import struct
import wave


def wav_bytes(frames: bytes = b"\x00\x01" * 8000, *, rate: int = 8000, width: int = 2) -> bytes:
    """A mono PCM WAV holding ``frames`` (8000 two-byte frames at 8 kHz: one second)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def adpcm_wav(seconds: int = 1) -> bytes:
    """A WAV in IMA ADPCM (format 0x11), which the ``wave`` module cannot read: no length."""
    data = bytes(256 * seconds * 8)
    fmt = struct.pack("<HHIIHHHH", 0x11, 1, 8000, 4055, 256, 4, 2, 505)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(4000)
OGG_OPUS = b"OggS\x00\x02" + bytes(20) + b"OpusHead" + bytes(3000)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(3000)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Interview notes, 3 October.\nThe guards came at dawn; two diggers were hurt.\n"
