"""Small widget factories shared by the setup, unlock and settings screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit


def paragraph(text: str) -> QLabel:
    """A wrapped, non-selectable paragraph of explanation."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


def secret_field(name: str) -> QLineEdit:
    """A passphrase entry: echo hidden, named for tests and accessibility."""
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field
