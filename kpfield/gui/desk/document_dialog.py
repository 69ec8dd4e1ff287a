"""A case's plain-text document, read from the vault into memory and shown as plain text.

Never rich text: a document is whatever a monitor imported, so markup in it stays characters.
Only the first part of a very long document is shown; its SHA-256 is recomputed over the whole
original. Recordings and PDF documents have no viewer in this build of Qt (the report says so).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.attachment_text import human_size
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.tasks import user_message
from kpfield.services.case_documents import DocumentText
from kpfield.services.desk import AttachmentView


class DocumentDialog(QDialog):
    def __init__(
        self, ctx: AppContext, report_id: str, att: AttachmentView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("caseDocumentDialog")
        set_help_page(self, "desk")
        self.setWindowTitle(att.original_name or _("Document"))
        self.resize(900, 620)
        self.note = QLabel(_("Opening the document…"))
        self.note.setObjectName("caseDocumentNote")
        self.note.setWordWrap(True)
        self.text = QPlainTextEdit()  # plain text only: no markup is ever interpreted
        self.text.setObjectName("caseDocumentText")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        ctx.runner.call(lambda s: s.hq().cases.text_of(report_id, att.attachment_id)).success(
            self._show
        ).failure(self._failed)

    def _show(self, doc: DocumentText) -> None:
        _ = self.ctx.gettext
        self.text.setPlainText(doc.text)
        lines = [_("The text is read from the vault into memory only.")]
        if doc.truncated:
            lines.append(
                _("Only the first {shown} of {size} are shown.").format(
                    shown=human_size(doc.shown), size=human_size(doc.size)
                )
            )
        lines.append(
            _("SHA-256 recomputed now matches the sealed report.")
            if doc.sha256_ok
            else _("SHA-256 recomputed now DOES NOT match the sealed report.")
        )
        self.note.setText(" ".join(lines))
        self.note.setStyleSheet("" if doc.sha256_ok else "color: #a32020;")

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(user_message(exc, self.ctx.gettext))
        self.note.setStyleSheet("color: #a32020;")
