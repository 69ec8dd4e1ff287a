"""One question before a step that cannot be undone: the safe answer is the default and Escape."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(
    parent: QWidget,
    *,
    name: str,
    title: str,
    text: str,
    yes: str,
    no: str,
    then: Callable[[], None],
    destructive: bool = True,
) -> QMessageBox:
    """Ask (window-modal, never blocking the event loop); ``then`` runs only on ``yes``."""
    box = QMessageBox(
        QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName(name)
    keep = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    role = QMessageBox.ButtonRole
    go = box.addButton(yes, role.DestructiveRole if destructive else role.AcceptRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda b: then() if b is go else None)
    box.open()
    return box
