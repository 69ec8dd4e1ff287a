"""Photos and other attachments, in memory only: inspection, thumbnails, stripped copies.

Everything takes and returns ``bytes``; nothing readable is ever written to disk. Untrusted input
is refused with :class:`~kpfield.errors.MediaError`, never another exception.
"""

from kpfield.media.audio import audio_duration_ms
from kpfield.media.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from kpfield.media.kinds import MAX_TEXT_BYTES, AttachmentKind, detect_kind, looks_like_text
from kpfield.media.photo import PhotoInfo, inspect_photo, inspect_with_thumbnail
from kpfield.media.strip import strip_metadata
from kpfield.media.thumbnail import make_thumbnail

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_TEXT_BYTES",
    "AttachmentKind",
    "PhotoInfo",
    "audio_duration_ms",
    "detect_kind",
    "inspect_photo",
    "inspect_with_thumbnail",
    "looks_like_text",
    "make_thumbnail",
    "strip_metadata",
]
