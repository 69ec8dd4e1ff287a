"""Keep Qt's own settings off the disk.

Qt's file dialog (even the non-native one) saves its history and last-visited folder through
QSettings when it closes: ``~/.config/QtProject.conf`` on Linux and macOS, which would record
the folders evidence was imported from and exported to. Pointing Qt's user settings at a path
below ``/dev/null`` makes every such write fail silently. (On Windows QSettings' native format is
the registry, which this cannot redirect; the packaging issue must handle it.)
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings


def keep_qt_settings_off_disk() -> None:
    if os.name != "posix":  # pragma: no cover - see the module note
        return
    nowhere = os.path.join(os.devnull, "kpfield-qt-settings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, nowhere)
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, nowhere)
