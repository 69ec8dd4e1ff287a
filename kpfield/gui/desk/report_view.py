"""One case: the report as HTML, its photos from memory, its witnesses' identities at HQ, and
the review panel."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.context import AppContext
from kpfield.gui.desk.document_dialog import DocumentDialog
from kpfield.gui.desk.identity_panel import IdentityPanel
from kpfield.gui.desk.photo_strip import THUMB, PhotoStrip
from kpfield.gui.desk.report_html import DOCUMENT_LINK, report_html
from kpfield.gui.desk.review_panel import ReviewPanel
from kpfield.services.desk import AttachmentView, CaseView


class ReportView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseReportView")
        self.ctx = ctx
        self.view: CaseView | None = None
        self.text = QTextBrowser()
        self.text.setObjectName("caseText")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link)
        self.photos = PhotoStrip(ctx)
        scroll = QScrollArea()
        scroll.setWidget(self.photos)
        scroll.setWidgetResizable(True)
        scroll.setFixedHeight(THUMB + 24)  # one row of thumbnails and a scroll bar
        self.photo_scroll = scroll
        self.identities = IdentityPanel(ctx)
        self.review = ReviewPanel(ctx)
        # The review and the witnesses' identities share the room below the text, as tabs.
        self.tabs = QTabWidget()
        self.tabs.setObjectName("caseActions")
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.tabs.setDocumentMode(True)  # no frame: the case's text keeps the room
        self.tabs.addTab(self.review, ctx.gettext("Review"))
        self.tabs.addTab(self.identities, "")
        self.placeholder = QLabel(ctx.gettext("Choose a case in the list to read it."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.text, 3)
        layout.addWidget(scroll)
        layout.addWidget(self.tabs)
        self.show_case(None)

    def show_case(self, v: CaseView | None) -> None:
        self.view = v
        self.placeholder.setVisible(v is None)
        self.text.setVisible(v is not None)
        self.review.show_case(v)
        self.identities.show_case(v)
        self._name_identity_tab()
        if v is None:
            self.text.clear()
            self.photos.clear()
            self.photo_scroll.hide()
            return
        _, terms = self.ctx.gettext, self.ctx.terms()
        self.text.setHtml(report_html(v, _, lambda t: _(terms.label(t))))
        photos = tuple(a for a in v.attachments if a.kind in ("photo", ""))
        self.photo_scroll.setVisible(bool(photos))
        if self.photos.tiles.keys() != {a.attachment_id for a in photos}:
            self.photos.show_photos(photos)

    def _link(self, url: QUrl) -> None:
        """Only the report's own links do anything, and nothing goes online: an in-page anchor
        (a spoken consent to its recording's entry) scrolls, ``document:<id>`` opens the text."""
        link = url.toString()
        if link.startswith("#"):
            self.text.scrollToAnchor(url.fragment())
            return
        if self.view is None or not link.startswith(DOCUMENT_LINK):
            return
        aid = link[len(DOCUMENT_LINK) :]
        att = next((a for a in self.view.attachments if a.attachment_id == aid), None)
        if att is not None:
            self.open_document(att)

    def open_document(self, att: AttachmentView) -> DocumentDialog | None:
        if self.view is None:
            return None
        dialog = DocumentDialog(self.ctx, self.view.report_id, att, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _name_identity_tab(self) -> None:
        _ = self.ctx.gettext
        n = self.identities.held_count()
        title = (
            _("Witness identities ({n} held at HQ)").format(n=n) if n else _("Witness identities")
        )
        self.tabs.setTabText(self.tabs.indexOf(self.identities), title)

    def clear(self) -> None:
        self.show_case(None)
