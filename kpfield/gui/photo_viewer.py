"""A report's attachments one at a time: the photo (decoded off the GUI thread) or the text of a
plain-text document, what the file claims about itself, its caption and SHA-256; previous/next.

Sound recordings and PDF documents are described, not played or shown: this build of Qt has no
multimedia or PDF module, and a plaintext temporary file for another program is never written.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.attachment_text import KIND_LABELS, TYPE_LABELS, format_duration, human_size
from kpfield.domain.models import Attachment, AttachmentKind
from kpfield.domain.position import format_degrees
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
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


def has_gps(att: Attachment) -> bool:
    return att.claims.gps_lat_micro is not None and att.claims.gps_lon_micro is not None


class PhotoViewer(QDialog):
    use_position = Signal(object)  # the Attachment whose EXIF GPS the monitor wants to use

    def __init__(
        self,
        ctx: AppContext,
        attachments: list[Attachment],
        index: int = 0,
        parent: QWidget | None = None,
        *,
        editable: bool = False,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("photoViewer")
        set_help_page(self, "data")
        self.attachments = list(attachments)
        self.index = max(0, min(index, len(self.attachments) - 1))
        self.editable = editable
        self._pixmap: QPixmap | None = None
        self._generation = 0
        self.resize(1100, 680)
        h = QHBoxLayout(self)
        self.stack = QStackedWidget()
        self.image = QLabel()
        self.image.setObjectName("photoImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(480, 360)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.text = QPlainTextEdit()
        self.text.setObjectName("documentText")
        self.text.setReadOnly(True)
        self.stack.addWidget(self.image)
        self.stack.addWidget(self.text)
        h.addWidget(self.stack, 3)
        side = QVBoxLayout()
        self.note = QLabel()
        self.note.setObjectName("viewerNote")
        self.note.setWordWrap(True)
        side.addWidget(self.note)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        side.addLayout(self.form)
        side.addStretch(1)
        self.gps_button = QPushButton(_("Use this photo's position for the report"))
        self.gps_button.setObjectName("viewerUsePosition")
        self.gps_button.clicked.connect(lambda: self.use_position.emit(self.current))
        side.addWidget(self.gps_button)
        nav = QHBoxLayout()
        self.prev_button = QPushButton(_("◀ Previous"))
        self.prev_button.setObjectName("viewerPrevious")
        self.prev_button.setToolTip(_("Previous file (Left arrow)"))
        self.next_button = QPushButton(_("Next ▶"))
        self.next_button.setObjectName("viewerNext")
        self.next_button.setToolTip(_("Next file (Right arrow)"))
        self.position_label = QLabel()
        self.position_label.setObjectName("viewerPosition")
        nav.addWidget(self.prev_button)
        nav.addWidget(self.position_label, 1, Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(self.next_button)
        side.addLayout(nav)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        side.addWidget(buttons)
        h.addLayout(side, 2)
        self.prev_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(1))
        self._show_current()

    @property
    def current(self) -> Attachment:
        return self.attachments[self.index]

    def go(self, step: int) -> None:
        """Show the previous (-1) or next (+1) attachment; nothing past either end."""
        target = self.index + step
        if 0 <= target < len(self.attachments):
            self.index = target
            self._show_current()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key.Key_Left:
            self.go(-1)
        elif event.key() == Qt.Key.Key_Right:
            self.go(1)
        else:
            super().keyPressEvent(event)

    # ---------------------------------------------------------------- one attachment
    def _show_current(self) -> None:
        _ = self.ctx.gettext
        self._generation += 1
        self._pixmap = None
        self.image.clear()
        self.text.clear()
        att = self.current
        self.setWindowTitle(att.original_name)
        n = len(self.attachments)
        self.position_label.setText(_("{i} of {n}").format(i=self.index + 1, n=n))
        self.prev_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < n - 1)
        self.gps_button.setVisible(att.kind is AttachmentKind.PHOTO)
        self.gps_button.setEnabled(self.editable and has_gps(att))
        self._fill_form(att)
        generation = self._generation
        if att.kind is AttachmentKind.PHOTO:
            self.stack.setCurrentWidget(self.image)
            self.image.setText(_("Opening the photo…"))
            self.note.setText(
                _(
                    "What the file says about itself. These are claims, not facts: a camera's "
                    "clock and position can be wrong or changed."
                )
            )
            # Decrypting needs the blob's key (store lane); decoding does not (compute pool).
            self.ctx.runner.call(lambda s: s.reports.original_bytes(att.id)).success(
                lambda data: self._decode(generation, data)
            ).failure(self._failed)
        elif att.mime == "text/plain":
            self.stack.setCurrentWidget(self.text)
            self.note.setText(_("The text is read from the vault into memory only."))
            self.ctx.runner.call(lambda s: s.reports.text_of(att.id)).success(
                lambda text: self._show_text(generation, text)
            ).failure(self._failed)
        else:
            self.stack.setCurrentWidget(self.image)
            what = (
                _("This recording cannot be played inside KP Field.")
                if att.kind is AttachmentKind.AUDIO
                else _("This document cannot be shown inside KP Field.")
            )
            self.image.setText(what)
            self.note.setText(
                what
                + " "
                + _(
                    "It is kept encrypted exactly as imported, and HQ receives the original "
                    "with the sealed report."
                )
            )

    def _fill_form(self, att: Attachment) -> None:
        _ = self.ctx.gettext
        while self.form.rowCount():
            self.form.removeRow(0)
        c = att.claims
        unknown = _("not in the file")
        self.form.addRow(_("File"), self._value(att.original_name))
        self.form.addRow(_("Caption"), self._value(att.caption or _("no caption yet")))
        kind = _(KIND_LABELS.get(att.kind.value, att.kind.value))
        kind_type = _(TYPE_LABELS.get(att.mime, att.mime))
        self.form.addRow(_("Kind"), self._value(f"{kind} · {kind_type}"))
        self.form.addRow(_("Size"), self._value(human_size(att.size)))
        if att.kind is AttachmentKind.AUDIO:
            length = format_duration(c.duration_ms) or _("not stated by this kind of file")
            self.form.addRow(_("Length"), self._value(length))
        if att.kind is AttachmentKind.PHOTO:
            if c.width and c.height:
                self.form.addRow(_("Pixels"), self._value(f"{c.width} × {c.height}"))
            self.form.addRow(_("Taken (camera clock)"), self._value(c.taken_at or unknown))
            position = unknown
            if c.gps_lat_micro is not None and c.gps_lon_micro is not None:
                position = f"{format_degrees(c.gps_lat_micro)}, {format_degrees(c.gps_lon_micro)}"
            self.form.addRow(_("Position (GPS)"), self._value(position))
            camera = " ".join(x for x in (c.camera_make, c.camera_model) if x) or unknown
            self.form.addRow(_("Camera"), self._value(camera))
        self.form.addRow(_("Imported"), self._value(att.imported_at[:19].replace("T", " ")))
        sha = self._value(att.sha256)
        sha.setObjectName("photoSha256")
        sha.setStyleSheet("font-family: monospace;")
        self.form.addRow(_("SHA-256 of the original"), sha)

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _decode(self, generation: int, data: bytes) -> None:
        if not self.isVisible() or generation != self._generation:
            return  # closed, or moved on, while the photo was being decrypted
        self.ctx.runner.compute(lambda _job: decode_scaled(data)).success(
            lambda image: self._show(generation, image)
        ).failure(self._failed)

    def _show(self, generation: int, image: QImage) -> None:
        if not self.isVisible() or generation != self._generation:
            return
        if image.isNull():
            self.image.setText(self.ctx.gettext("This file cannot be shown as an image."))
            return
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def _show_text(self, generation: int, text: str) -> None:
        if self.isVisible() and generation == self._generation:
            self.text.setPlainText(text)

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
        self.stack.setCurrentWidget(self.image)

    def done(self, result: int) -> None:
        # Drop the decoded photo and any document text from memory as soon as the viewer closes.
        self._generation += 1
        self.image.clear()
        self.text.clear()
        self._pixmap = None
        super().done(result)
