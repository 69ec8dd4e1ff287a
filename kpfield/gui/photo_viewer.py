"""One photo: the image (decoded off the GUI thread), its capture claims and SHA-256."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.attachment_text import human_size
from kpfield.domain.models import Attachment
from kpfield.domain.position import format_degrees
from kpfield.gui.context import AppContext
from kpfield.gui.tasks import user_message

MAX_SIDE = 1400


def decode_scaled(data: bytes, max_side: int = MAX_SIDE) -> QImage:
    """Decode on a worker (the compute pool); QImage, unlike QPixmap, is safe off the GUI thread."""
    image = QImage.fromData(data)
    if image.isNull():
        return image
    if max(image.width(), image.height()) > max_side:
        image = image.scaled(
            max_side,
            max_side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


class PhotoViewer(QDialog):
    def __init__(self, ctx: AppContext, att: Attachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("photoViewer")
        self.setWindowTitle(att.original_name)
        self._pixmap: QPixmap | None = None
        self.resize(1100, 680)
        h = QHBoxLayout(self)
        self.image = QLabel(_("Opening the photo…"))
        self.image.setObjectName("photoImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(480, 360)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        h.addWidget(self.image, 3)
        side = QVBoxLayout()
        note = QLabel(
            _(
                "What the file says about itself. These are claims, not facts: a camera's clock "
                "and position can be wrong or changed."
            )
        )
        note.setWordWrap(True)
        side.addWidget(note)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        c = att.claims
        unknown = _("not in the file")
        form.addRow(_("File"), self._value(att.original_name))
        form.addRow(_("Size"), self._value(human_size(att.size)))
        if c.width and c.height:
            form.addRow(_("Pixels"), self._value(f"{c.width} × {c.height}"))
        form.addRow(_("Taken (camera clock)"), self._value(c.taken_at or unknown))
        position = unknown
        if c.gps_lat_micro is not None and c.gps_lon_micro is not None:
            position = f"{format_degrees(c.gps_lat_micro)}, {format_degrees(c.gps_lon_micro)}"
        form.addRow(_("Position (GPS)"), self._value(position))
        camera = " ".join(x for x in (c.camera_make, c.camera_model) if x) or unknown
        form.addRow(_("Camera"), self._value(camera))
        form.addRow(_("Imported"), self._value(att.imported_at[:19].replace("T", " ")))
        sha = self._value(att.sha256)
        sha.setObjectName("photoSha256")
        sha.setStyleSheet("font-family: monospace;")
        form.addRow(_("SHA-256 of the original"), sha)
        side.addLayout(form)
        side.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        side.addWidget(buttons)
        h.addLayout(side, 2)

        # Decrypting needs the blob's key from the vault (store lane); decoding does not (pool).
        ctx.runner.call(lambda s: s.reports.original_bytes(att.id)).success(self._decode).failure(
            self._failed
        )

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _decode(self, data: bytes) -> None:
        if not self.isVisible():
            return  # closed while the photo was being decrypted
        self.ctx.runner.compute(lambda _job: decode_scaled(data)).success(self._show).failure(
            self._failed
        )

    def _show(self, image: QImage) -> None:
        if not self.isVisible():
            return
        if image.isNull():
            self.image.setText(self.ctx.gettext("This file cannot be shown as an image."))
            return
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        self.image.setPixmap(
            self._pixmap.scaled(
                self.image.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()

    def _failed(self, exc: BaseException) -> None:
        self.image.setText(user_message(exc, self.ctx.gettext))

    def done(self, result: int) -> None:
        self.image.clear()  # drop the decoded photo from memory as soon as the viewer closes
        self._pixmap = None
        super().done(result)
