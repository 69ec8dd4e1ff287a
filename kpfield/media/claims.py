"""Capture claims read from EXIF: time, GPS position, camera, orientation.

These are claims made by the file, not facts: they are recorded as found and never trusted for
anything else. Malformed EXIF never raises; a claim that cannot be read is simply ``None``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_TAG_SOFTWARE = 0x0131
_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_OFFSET_TIME = 0x9010
_TAG_OFFSET_TIME_ORIGINAL = 0x9011

_GPS_LAT_REF = 1
_GPS_LAT = 2
_GPS_LON_REF = 3
_GPS_LON = 4
_GPS_ALT_REF = 5
_GPS_ALT = 6

_MAX_TEXT = 128
_OFFSET_RE = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d")


@dataclass(frozen=True, slots=True)
class CaptureClaims:
    """What a photo's EXIF says about when, where and with what it was taken."""

    taken_at: str | None = None
    gps_lat_micro: int | None = None
    gps_lon_micro: int | None = None
    gps_alt_m: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    software: str | None = None
    orientation: int | None = None


def read_claims(img: Image.Image) -> CaptureClaims:
    """Read capture claims from an opened image; never raises on malformed metadata."""
    ifd0 = _safe_exif(img)
    if ifd0 is None:
        return CaptureClaims()
    exif_ifd = _safe_ifd(ifd0, ExifTags.IFD.Exif)
    gps_ifd = _safe_ifd(ifd0, ExifTags.IFD.GPSInfo)
    lat, lon = _gps_position(gps_ifd)
    return CaptureClaims(
        taken_at=_taken_at(ifd0, exif_ifd),
        gps_lat_micro=lat,
        gps_lon_micro=lon,
        gps_alt_m=_guard(_gps_altitude, gps_ifd),
        camera_make=_text(ifd0.get(_TAG_MAKE)),
        camera_model=_text(ifd0.get(_TAG_MODEL)),
        software=_text(ifd0.get(_TAG_SOFTWARE)),
        orientation=_orientation(ifd0.get(_TAG_ORIENTATION)),
    )


def orientation_of(img: Image.Image) -> int | None:
    """The EXIF orientation (1-8) of an opened image, or ``None``."""
    ifd0 = _safe_exif(img)
    return None if ifd0 is None else _orientation(ifd0.get(_TAG_ORIENTATION))


def _safe_exif(img: Image.Image) -> Image.Exif | None:
    # Pillow's TIFF-structure parser raises many exception types on hostile EXIF blocks.
    try:
        return img.getexif()
    except Exception as exc:
        log.info("EXIF unreadable: %s", type(exc).__name__)
        return None


def _safe_ifd(ifd0: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(ifd0.get_ifd(tag))
    except Exception as exc:  # same boundary as _safe_exif
        log.info("EXIF sub-IFD %#x unreadable: %s", tag, type(exc).__name__)
        return {}


def _guard(fn: Any, arg: Any) -> Any:
    try:
        return fn(arg)
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError):
        return None


def _taken_at(ifd0: Image.Exif, exif_ifd: dict[int, Any]) -> str | None:
    # DateTimeOriginal (Exif IFD) is when the shutter fired; DateTime (IFD0) is when the file
    # was last changed, used only as a fallback. Each has its own offset tag in the Exif IFD.
    for when, offset_tag in (
        (exif_ifd.get(_TAG_DATETIME_ORIGINAL), _TAG_OFFSET_TIME_ORIGINAL),
        (ifd0.get(_TAG_DATETIME), _TAG_OFFSET_TIME),
    ):
        iso = _exif_datetime(_text(when))
        if iso is not None:
            offset = _text(exif_ifd.get(offset_tag))
            return iso + offset if offset is not None and _OFFSET_RE.fullmatch(offset) else iso
    return None


def _exif_datetime(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return parsed.isoformat()


def _gps_position(gps: dict[int, Any]) -> tuple[int | None, int | None]:
    lat = _guard(lambda g: _coordinate(g.get(_GPS_LAT), g.get(_GPS_LAT_REF), "N", "S", 90), gps)
    lon = _guard(lambda g: _coordinate(g.get(_GPS_LON), g.get(_GPS_LON_REF), "E", "W", 180), gps)
    if lat is None or lon is None:  # half a position is no position
        return None, None
    return lat, lon


def _coordinate(value: Any, ref: Any, positive: str, negative: str, limit: int) -> int | None:
    ref_text = _text(ref)
    if ref_text is None or ref_text.upper() not in (positive, negative):
        return None
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    degrees, minutes, seconds = (_rational(part) for part in value)
    if degrees is None or minutes is None or seconds is None:
        return None
    if min(degrees, minutes, seconds) < 0 or minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if total > limit:
        return None
    micro = round(total * 1_000_000)
    return -micro if ref_text.upper() == negative else micro


def _gps_altitude(gps: dict[int, Any]) -> int | None:
    altitude = _rational(gps.get(_GPS_ALT))
    if altitude is None or altitude < 0 or altitude > 100_000:
        return None
    ref = gps.get(_GPS_ALT_REF, 0)
    if isinstance(ref, bytes):
        ref = ref[0] if ref else 0
    below_sea_level = ref == 1
    metres = round(altitude)
    return -metres if below_sea_level else metres


def _rational(value: Any) -> Fraction | None:
    """An exact fraction from an EXIF rational (IFDRational, tuple or int); None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    numerator = getattr(value, "numerator", None)
    denominator = getattr(value, "denominator", None)
    if isinstance(value, tuple) and len(value) == 2:
        numerator, denominator = value
    if not isinstance(numerator, int) or not isinstance(denominator, int) or denominator == 0:
        return None
    return Fraction(numerator, denominator)


def _orientation(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    return None


def _text(value: Any) -> str | None:
    """A short, printable string from an EXIF ASCII value; None if empty or not text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0]
    cleaned = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:_MAX_TEXT] or None
