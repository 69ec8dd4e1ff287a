"""inspect_photo: real type from content, dimensions, and the capture claims in EXIF."""

from __future__ import annotations

import pytest
from PIL import Image

from kpfield.media import PhotoInfo, inspect_photo
from tests.media.images import (
    EXIF_IFD,
    GPS_IFD,
    camera_exif,
    camera_jpeg,
    encode,
    jpeg,
    marked_image,
    rational,
    replace_app1,
)


def test_camera_jpeg_claims() -> None:
    info = inspect_photo(camera_jpeg(orientation=6), "IMG_0001.JPG")
    assert info == PhotoInfo(
        mime="image/jpeg",
        width=400,
        height=300,
        taken_at="2024-05-01T10:11:12+02:00",
        gps_lat_micro=-28_736_761,  # 28°44'12.34" S
        gps_lon_micro=24_766_667,  # 24°46' E
        gps_alt_m=1234,
        camera_make="Acme",
        camera_model="FieldCam 3",
        software="FieldCam firmware 1.2",
        orientation=6,
    )
    assert info.display_size == (300, 400)


@pytest.mark.parametrize(
    ("fmt", "mime", "mode"),
    [
        ("PNG", "image/png", "RGBA"),
        ("WEBP", "image/webp", "RGB"),
        ("TIFF", "image/tiff", "RGB"),
        ("GIF", "image/gif", "P"),
        ("JPEG", "image/jpeg", "L"),
    ],
)
def test_mime_comes_from_content(fmt: str, mime: str, mode: str) -> None:
    data = encode(marked_image((40, 30)).convert(mode), fmt)
    info = inspect_photo(data, "misleading-name.jpg")
    assert (info.mime, info.width, info.height) == (mime, 40, 30)
    assert info.taken_at is None
    assert info.gps_lat_micro is None


def test_png_with_exif_chunk() -> None:
    data = encode(marked_image(), "PNG", exif=camera_exif())
    info = inspect_photo(data, "a.png")
    assert info.camera_make == "Acme"
    assert info.gps_lon_micro == 24_766_667


def test_falls_back_to_datetime_and_its_offset() -> None:
    exif = Image.Exif()
    exif[0x0132] = "2023:01:02 03:04:05"
    exif.get_ifd(EXIF_IFD)[0x9010] = "-05:00"
    info = inspect_photo(jpeg(exif=exif), "a.jpg")
    assert info.taken_at == "2023-01-02T03:04:05-05:00"


def test_no_offset_gives_local_time() -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0x9003] = "2024:05:01 10:11:12"
    assert inspect_photo(jpeg(exif=exif), "a.jpg").taken_at == "2024-05-01T10:11:12"


def test_north_west_and_below_sea_level() -> None:
    exif = Image.Exif()
    g = exif.get_ifd(GPS_IFD)
    g[1], g[2] = "N", (rational(8), rational(30), rational(0))
    g[3], g[4] = "W", (rational(13), rational(15), rational(36))
    g[5], g[6] = b"\x01", rational(20)
    info = inspect_photo(jpeg(exif=exif), "a.jpg")
    assert (info.gps_lat_micro, info.gps_lon_micro, info.gps_alt_m) == (8_500_000, -13_260_000, -20)


def _gps_exif(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    g = exif.get_ifd(GPS_IFD)
    g[1], g[2] = "S", (rational(28), rational(44), rational(0))
    g[3], g[4] = "E", (rational(24), rational(46), rational(0))
    for key, value in tags.items():
        g[int(key.removeprefix("t"))] = value
    return exif


@pytest.mark.parametrize(
    "tags",
    [
        {"t1": "Q"},  # unknown reference
        {"t2": (rational(28), rational(0, 0), rational(0))},  # zero denominator
        {"t2": (rational(28), rational(75), rational(0))},  # 75 minutes
        {"t2": (rational(95), rational(0), rational(0))},  # latitude beyond the pole
        {"t4": (rational(181), rational(0), rational(0))},  # longitude out of range
        {"t4": rational(24)},  # a single value, not degrees/minutes/seconds
        {"t2": (rational(28), rational(44))},  # two parts, not three
        {"t3": ""},  # empty reference
    ],
)
def test_malformed_gps_yields_no_position(tags: dict[str, object]) -> None:
    info = inspect_photo(jpeg(exif=_gps_exif(**tags)), "a.jpg")
    assert (info.gps_lat_micro, info.gps_lon_micro) == (None, None)


def test_missing_reference_yields_no_position() -> None:
    exif = _gps_exif()
    del exif.get_ifd(GPS_IFD)[1]
    assert inspect_photo(jpeg(exif=exif), "a.jpg").gps_lat_micro is None


@pytest.mark.parametrize(
    "when", ["0000:00:00 00:00:00", "2024-05-01 10:11:12", "    :  :     :  :  ", "garbage"]
)
def test_bad_dates_yield_none(when: str) -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0x9003] = when
    exif.get_ifd(EXIF_IFD)[0x9011] = "+02:00"
    assert inspect_photo(jpeg(exif=exif), "a.jpg").taken_at is None


def test_bad_offset_is_dropped() -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0x9003] = "2024:05:01 10:11:12"
    exif.get_ifd(EXIF_IFD)[0x9011] = "+2h"
    assert inspect_photo(jpeg(exif=exif), "a.jpg").taken_at == "2024-05-01T10:11:12"


def test_odd_text_and_orientation_values() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Ac\x07me\x00trailing junk"
    exif[0x0110] = "   "
    exif[0x0131] = "x" * 1000
    exif[0x0112] = 9
    info = inspect_photo(jpeg(exif=exif), "a.jpg")
    assert info.camera_make == "Acme"
    assert info.camera_model is None
    assert info.software is not None
    assert len(info.software) == 128
    assert info.orientation is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(
    "payload",
    [
        b"Exif\x00\x00",  # empty TIFF structure
        b"Exif\x00\x00II*\x00\xf0\xff\xff\xff",  # IFD offset far past the end
        b"Exif\x00\x00XX*\x00\x08\x00\x00\x00",  # unknown byte order
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 40,  # 65535 entries claimed
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01"
        b"\x7f\xff\xff\xff\x00\x00\x00\x00",  # GPS IFD pointer far past the end
    ],
)
def test_corrupted_exif_is_not_an_error(payload: bytes) -> None:
    data = replace_app1(camera_jpeg(), payload)
    info = inspect_photo(data, "a.jpg")
    assert (info.mime, info.width, info.height) == ("image/jpeg", 400, 300)
    assert info.gps_lat_micro is None
    assert info.taken_at is None
