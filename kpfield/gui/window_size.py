"""The main window's first size: what the screen has room for, never more than 1366×768.

A 1366×768 laptop with a taskbar leaves about 1366×728 for windows, and the title bar takes another
~30 pixels: a window asked to be 768 tall pushes its status bar (lock state, pending count) off the
screen. The window is resizable; its minimum fits that laptop with room to spare.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

PREFERRED = QSize(1366, 768)
MINIMUM = QSize(960, 600)
# Title bar and borders a window manager adds around the client area (before the window is shown
# Qt cannot know them; this is what Windows 10/11 and common Linux desktops use, rounded up).
FRAME = QSize(16, 40)


def first_geometry(available: QRect) -> QRect:
    """A client-area rectangle that fits ``available`` with its frame, centred in it."""
    width = max(MINIMUM.width(), min(PREFERRED.width(), available.width() - FRAME.width()))
    height = max(MINIMUM.height(), min(PREFERRED.height(), available.height() - FRAME.height()))
    title_bar = FRAME.height() - FRAME.width() // 2  # the rest is the bottom border
    x = available.x() + max((available.width() - width) // 2, 0)
    y = available.y() + title_bar + max((available.height() - height - FRAME.height()) // 2, 0)
    return QRect(x, y, width, height)
