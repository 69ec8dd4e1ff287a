"""The self-test's look at Qt: the platform plugin loads, the image plugins decode photos."""

from __future__ import annotations

import io
import os
import sys

# The photo viewer hands originals of these kinds to Qt (PNG is built into QtGui).
IMAGE_FORMATS = ("jpeg", "gif", "webp", "tiff")


def _no_display() -> bool:
    """Linux/BSD with no X or Wayland display: Qt's default plugin would abort the process."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_qt() -> str:
    """Start Qt (on the real display if there is one), decode a JPEG, load the app icon."""
    from PIL import Image
    from PySide6.QtGui import QImage, QImageReader
    from PySide6.QtWidgets import QApplication

    from kpfield.gui.main import app_icon

    existing = QApplication.instance()
    argv = sys.argv[:1] + (["-platform", "offscreen"] if _no_display() else [])
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    platform = app.platformName()
    have = {bytes(f.data()).decode("ascii") for f in QImageReader.supportedImageFormats()}
    missing = [f for f in IMAGE_FORMATS if f not in have]
    if missing:
        raise RuntimeError(f"image plugins missing: {', '.join(missing)}")
    sample = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(sample, "JPEG")
    image = QImage.fromData(sample.getvalue())
    if image.isNull() or image.width() != 8:
        raise RuntimeError("the JPEG plugin could not decode a photo")
    if app_icon().isNull():
        raise RuntimeError("the app icon did not load")
    return f"platform {platform}; image formats {', '.join(IMAGE_FORMATS)}; icon"
