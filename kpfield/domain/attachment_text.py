"""How an attachment is described in lists: its kind in words, size and length (no I/O)."""

from __future__ import annotations

from kpfield.errors import N_

KIND_LABELS = {
    "photo": N_("Photo"),
    "audio": N_("Sound recording"),
    "document": N_("Document"),
}
TYPE_LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/tiff": "TIFF",
    "image/gif": "GIF",
    "audio/wav": "WAV",
    "audio/mpeg": "MP3",
    "audio/ogg": "Ogg/Opus",
    "audio/flac": "FLAC",
    "audio/mp4": "M4A",
    "audio/amr": "AMR",
    "application/pdf": "PDF",
    "text/plain": N_("plain text"),
}


def human_size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.0f} KiB"
    return f"{size} B"


def format_duration(ms: int | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); empty when the file does not state its length."""
    if ms is None or ms < 0:
        return ""
    seconds = ms // 1000
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
