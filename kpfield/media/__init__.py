"""Photos and other attachments, in memory only: inspection, thumbnails, stripped copies.

Everything takes and returns ``bytes``; nothing readable is ever written to disk. Untrusted input
is refused with :class:`~kpfield.errors.MediaError`, never another exception.
"""

from kpfield.media.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from kpfield.media.kinds import AttachmentKind, detect_kind
from kpfield.media.photo import PhotoInfo, inspect_photo, inspect_with_thumbnail
from kpfield.media.strip import strip_metadata
from kpfield.media.thumbnail import make_thumbnail

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "AttachmentKind",
    "PhotoInfo",
    "detect_kind",
    "inspect_photo",
    "inspect_with_thumbnail",
    "make_thumbnail",
    "strip_metadata",
]
