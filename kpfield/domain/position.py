"""Positions as people type them: decimal degrees (8.6432, -10,97), with a hemisphere letter
(8.6432 N, W 10.97), or degrees-minutes-seconds (8°38'35"N, 8 38 35.2 N, 8°38.58'N).

Values become integer micro-degrees through Decimal: no floats anywhere. Letters: N/S for latitude;
E/W for longitude, plus O (ouest, oeste) and L (leste) as French and Portuguese write them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import Enum


class Axis(Enum):
    LATITUDE = 90
    LONGITUDE = 180


_HEMISPHERES = {
    Axis.LATITUDE: {"N": 1, "S": -1},
    Axis.LONGITUDE: {"E": 1, "L": 1, "W": -1, "O": -1},
}
# Degree, minute and second marks as keyboards, phones and word processors produce them.
_MARKS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "´": "'", "″": '"',
                        "“": '"', "”": '"'})
_NUMBER = r"\d+(?:[.,]\d+)?"
_DMS = re.compile(
    rf"""^(?P<sign>[-+])?\s*
        (?P<deg>{_NUMBER})\s*°?\s*
        (?:(?P<min>{_NUMBER})\s*'?\s*)?
        (?:(?P<sec>{_NUMBER})\s*(?:"|'')?\s*)?$""",
    re.VERBOSE | re.IGNORECASE,
)


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def parse_coordinate(text: str, axis: Axis) -> int | None:
    """One latitude or longitude in any accepted form -> micro-degrees; None if not understood."""
    value = text.strip().translate(_MARKS).upper()
    if not value:
        return None
    hemisphere = 1
    letters = _HEMISPHERES[axis]
    if value[-1] in letters:
        hemisphere, value = letters[value[-1]], value[:-1].strip()
    elif value[0] in letters:
        hemisphere, value = letters[value[0]], value[1:].strip()
    match = _DMS.match(value)
    if match is None:
        return None
    try:
        degrees = _number(match["deg"])
        minutes = _number(match["min"]) if match["min"] else Decimal(0)
        seconds = _number(match["sec"]) if match["sec"] else Decimal(0)
    except InvalidOperation:
        return None
    whole_degrees = degrees == degrees.to_integral_value()
    if minutes >= 60 or seconds >= 60 or (match["min"] and not whole_degrees):
        return None  # 8.5°30' is not a position
    if match["sec"] and minutes != minutes.to_integral_value():
        return None
    if match["sign"] == "-" and hemisphere == -1:
        return None  # "-8 S" is ambiguous: refuse rather than guess
    sign = -1 if match["sign"] == "-" else hemisphere
    total = degrees + minutes / 60 + seconds / 3600
    if total > axis.value:
        return None
    return sign * int((total * 1_000_000).to_integral_value())


def parse_position(text: str) -> tuple[int, int] | None:
    """Latitude and longitude pasted together ("8°38'35"N 10°58'16"W", "8.64, -10.97")."""
    value = text.strip().translate(_MARKS).upper()
    # Split after a latitude letter, or at a comma/semicolon between two decimals.
    for pattern in (r"^(.*?[NS])\s*[,;/]?\s*(.+)$", r"^(.+?)\s*[;/]\s*(.+)$",
                    r"^([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)$",
                    r"^([-+]?\d+(?:[.,]\d+)?)\s+([-+]?\d+(?:[.,]\d+)?)$"):
        match = re.match(pattern, value)
        if match is None:
            continue
        lat = parse_coordinate(match[1], Axis.LATITUDE)
        lon = parse_coordinate(match[2], Axis.LONGITUDE)
        if lat is not None and lon is not None:
            return lat, lon
    return None


def format_degrees(micro: int) -> str:
    """Micro-degrees as signed decimal degrees with six places (what the editor shows)."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), 1_000_000)
    return f"{sign}{whole}.{frac:06d}"
