"""Windows: keep Qt's file-dialog history out of the registry.

Every QFileDialog saves its history, last folder and sidebar when it is destroyed through
``QSettings(UserScope, "QtProject")``, which on Windows is always the registry
(``HKCU\\Software\\QtProject\\OrganizationDefaults\\FileDialog``): QSettings.setPath cannot
redirect it (see qt_privacy). So we delete that key when the app starts, after every file
dialog is destroyed, and when the app quits. A crash while a dialog's folder is recorded
leaves it until the next start; docs/packaging.md says so.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QFileDialog

QT_KEY = r"Software\QtProject\OrganizationDefaults\FileDialog"


class Registry(Protocol):
    """The part of :mod:`winreg` this needs (a fake stands in for it in tests)."""

    HKEY_CURRENT_USER: Any

    def OpenKey(self, key: Any, sub_key: str) -> Any: ...  # noqa: N802 - winreg's names

    def EnumKey(self, key: Any, index: int) -> str: ...  # noqa: N802

    def DeleteKey(self, key: Any, sub_key: str) -> None: ...  # noqa: N802

    def CloseKey(self, key: Any) -> None: ...  # noqa: N802


def _delete_tree(reg: Registry, root: Any, path: str) -> int:
    """Delete ``path`` and everything below it (winreg.DeleteKey refuses keys with children)."""
    try:
        handle = reg.OpenKey(root, path)
    except OSError:
        return 0  # already gone
    removed = 0
    try:
        children: list[str] = []
        while True:
            try:
                children.append(reg.EnumKey(handle, len(children)))
            except OSError:
                break
    finally:
        reg.CloseKey(handle)
    for child in children:
        removed += _delete_tree(reg, root, f"{path}\\{child}")
    reg.DeleteKey(root, path)
    return removed + 1


def clear_file_dialog_history(reg: Registry | None = None) -> int:
    """Remove Qt's file-dialog key; returns how many keys went (0 off Windows or if absent)."""
    if reg is not None:
        return _delete_tree(reg, reg.HKEY_CURRENT_USER, QT_KEY)
    if os.name != "nt":
        return 0
    import winreg

    registry: Any = winreg  # typeshed hides winreg off Windows
    return _delete_tree(registry, registry.HKEY_CURRENT_USER, QT_KEY)


class _DialogWatcher(QObject):
    """Clears the key once each file dialog has been destroyed (it writes in its destructor)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Hide and isinstance(watched, QFileDialog):
            watched.destroyed.connect(lambda *_: clear_file_dialog_history())
        return False


def keep_file_dialog_history_out_of_registry(app: QApplication) -> QObject | None:
    """Install the clean-up on ``app`` (Windows only); returns the filter so it stays alive."""
    if os.name != "nt":
        return None
    clear_file_dialog_history()
    watcher = _DialogWatcher(app)
    app.installEventFilter(watcher)
    app.aboutToQuit.connect(clear_file_dialog_history)
    return watcher
