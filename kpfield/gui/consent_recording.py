"""Which of the report's recordings holds a spoken consent (part of the witness dialog).

Naming it is optional: a voice identifies the witness, and a monitor may keep the recording off
the laptop. The choice is the recording's SHA-256, as sealed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from kpfield.domain.attachment_text import format_duration
from kpfield.domain.models import Attachment
from kpfield.gui.context import AppContext


def describe(a: Attachment) -> str:
    """File name, length and caption, as the list of choices shows a recording."""
    parts = [a.original_name, format_duration(a.claims.duration_ms), a.caption.strip()]
    return " · ".join(p for p in parts if p)


class RecordingChoice:
    """The label, the combo and the hint shown when the method is "Spoken, audio recorded"."""

    def __init__(self, ctx: AppContext, audio: Sequence[Attachment], stored: str) -> None:
        _ = ctx.gettext
        self.label = QLabel(_("Recording of the consent"))
        self.combo = QComboBox()
        self.combo.setObjectName("consentRecording")
        # Sized to a long caption it would push the dialog wider than a 1366 screen.
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(16)
        for a in audio:
            self._add(describe(a), a.sha256)
        if stored and stored not in {a.sha256 for a in audio}:
            # Named earlier and not attached here (another report's file, or removed): kept
            # unless the monitor chooses otherwise; a seal of this report leaves it out.
            self._add(_("A recording not attached to this report"), stored)
        self.has_choices = self.combo.count() > 0
        self._add(_("Not on this laptop"), "")
        self.combo.setCurrentIndex(self.combo.findData(stored))  # "" is "Not on this laptop"
        self.hint = QLabel(
            _(
                "You can attach the recording to this report (Photos and files) and choose it "
                "here. This is optional: a voice identifies the witness, so keeping the "
                "recording off this laptop is also a choice."
            )
        )
        self.hint.setObjectName("recordingHint")
        self.hint.setWordWrap(True)

    def _add(self, text: str, sha256: str) -> None:
        self.combo.addItem(text, sha256)
        self.combo.setItemData(self.combo.count() - 1, text, Qt.ItemDataRole.ToolTipRole)

    def show_for(self, active: bool, *, editable: bool = True) -> None:
        """Shown only for a spoken, recorded consent: the choices, or the hint without any."""
        self.label.setVisible(active and self.has_choices)
        self.combo.setVisible(active and self.has_choices)
        self.combo.setEnabled(editable)
        self.hint.setVisible(active and not self.has_choices)

    def sha256(self) -> str:
        """The chosen recording's SHA-256; empty for "Not on this laptop"."""
        return str(self.combo.currentData() or "")
