"""One report: tabs for incident and place, narrative, witnesses, photos, notes; autosave.

Autosave runs two seconds after typing stops and on every navigation (``flush``). Saves are queued
on the store thread, so a lock or close queued after a flush always runs after the save.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import Changes
from kpfield.domain.models import Attachment, CoordinateSource, Report, ReportStatus
from kpfield.domain.position import format_degrees
from kpfield.errors import N_, StateError
from kpfield.gui.confirm import confirm
from kpfield.gui.context import AppContext
from kpfield.gui.incident_form import IncidentForm, mark_required
from kpfield.gui.labels import STATUS
from kpfield.gui.photo_panel import PhotoPanel
from kpfield.gui.tasks import Op, user_message
from kpfield.gui.witness_panel import WitnessPanel
from kpfield.services.reports import ReportView

AUTOSAVE_MS = 2000


class ReportEditor(QWidget):
    saved = Signal(object)  # the saved Report
    seal_requested = Signal(str)
    amend_requested = Signal(str)
    trail_requested = Signal(str)
    delete_requested = Signal(str)
    loaded = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("reportEditor")
        self.report: Report | None = None
        self.save_state = "idle"  # idle | dirty | saving | saved | failed
        self._edits = 0
        self._loading = False
        v = QVBoxLayout(self)
        v.setContentsMargins(6, 0, 0, 0)

        header = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("editorHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)  # a long heading wraps instead of widening the window
        header.addWidget(self.heading, 1)
        self.indicator = QLabel()
        self.indicator.setObjectName("savedIndicator")
        header.addWidget(self.indicator)
        self.trail_button = QPushButton(_("Custody trail"))
        self.trail_button.setObjectName("trailButton")
        self.seal_button = QPushButton(_("Seal…"))
        self.seal_button.setObjectName("sealButton")
        self.amend_button = QPushButton(_("Amend…"))
        self.amend_button.setObjectName("amendButton")
        self.delete_button = QPushButton(_("Delete draft…"))
        self.delete_button.setObjectName("deleteDraft")
        for b in (self.trail_button, self.delete_button, self.seal_button, self.amend_button):
            header.addWidget(b)
        v.addLayout(header)

        self.banner = QLabel()
        self.banner.setObjectName("sealedBanner")
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        v.addWidget(self.banner)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("editorTabs")
        self.incident = IncidentForm(ctx)
        scroll = self.incident_scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.incident)
        self.tabs.addTab(scroll, _("Incident and place"))
        self.narrative = self._text("narrativeEdit", _("What happened, in the witnesses' words…"))
        self.tabs.addTab(self.narrative, mark_required(_("Narrative"), self.narrative, _))
        self.witnesses = WitnessPanel(ctx)
        self.tabs.addTab(self.witnesses, _("Witnesses"))
        self.photos = PhotoPanel(ctx)
        self.witnesses.attachments = lambda: list(self.photos.attachments)
        self.tabs.addTab(self.photos, _("Photos and files"))
        self.notes = self._text("notesEdit", _("Sources checked, follow-up, context for HQ…"))
        self.private_notes = self._text(
            "privateNotesEdit", _("Reminders for yourself: never sealed, never sent")
        )
        self.tabs.addTab(self._notes_tab(), _("Notes"))
        v.addWidget(self.tabs, 1)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.flush)
        self.incident.edited.connect(self._edited)
        self.narrative.textChanged.connect(self._edited)
        self.notes.textChanged.connect(self._edited)
        self.private_notes.textChanged.connect(self._edited)
        self.witnesses.report_changed.connect(self._witnesses_changed)
        self.photos.changed.connect(lambda: self.saved.emit(self.report))
        self.photos.position_from_photo.connect(self.use_photo_position)
        self.seal_button.clicked.connect(self._request_seal)
        self.amend_button.clicked.connect(lambda: self._emit_id(self.amend_requested))
        self.trail_button.clicked.connect(lambda: self._emit_id(self.trail_requested))
        self.delete_button.clicked.connect(lambda: self._emit_id(self.delete_requested))
        ctx.runner.changed.connect(self._changes)
        self.show_report(None)

    def use_photo_position(self, att: Attachment) -> None:
        """Copy a photo's EXIF GPS into the report's position; asks first if one is set."""
        c = att.claims
        if self.report is None or not self.report.is_draft:
            return
        if c.gps_lat_micro is None or c.gps_lon_micro is None:
            return
        lat, lon = c.gps_lat_micro, c.gps_lon_micro

        def apply() -> None:
            self.incident.set_position(lat, lon, CoordinateSource.PHOTO_EXIF)
            self.tabs.setCurrentIndex(0)

        current = self.incident.position_typed()
        if not current:
            apply()
            return
        _ = self.ctx.gettext
        confirm(
            self,
            name="replacePositionQuestion",
            title=_("Replace the position?"),
            text=_(
                "This report's position is {current}. Replace it with {lat}, {lon} from the "
                "EXIF of {name}? A camera's GPS is a claim; the source is set to photo EXIF."
            ).format(
                current=current,
                lat=format_degrees(lat),
                lon=format_degrees(lon),
                name=att.original_name,
            ),
            yes=_("Replace the position"),
            no=_("Keep the current position"),
            then=apply,
            destructive=False,
        )

    def _notes_tab(self) -> QWidget:
        """Both kinds of notes, each labelled with where it goes (tested on a real bundle)."""
        _ = self.ctx.gettext
        tab = QWidget()
        box = QVBoxLayout(tab)
        for title, where, edit, name in (
            (
                _("Notes for HQ"),
                _("Sealed with the report and sent to HQ in the encrypted bundle."),
                self.notes,
                "hqNotesLabel",
            ),
            (
                _("Private notes"),
                _(
                    "Kept only on this laptop, encrypted. Never sealed, never in a bundle, "
                    "never sent to HQ."
                ),
                self.private_notes,
                "privateNotesLabel",
            ),
        ):
            label = QLabel(f"<b>{html.escape(title)}</b> — {html.escape(where)}")
            label.setObjectName(name)
            label.setWordWrap(True)
            box.addWidget(label)
            box.addWidget(edit, 1)
        return tab

    def _text(self, name: str, placeholder: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        font = QFont(edit.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.2)
        edit.setFont(font)
        edit.document().setDocumentMargin(12)
        edit.setTabChangesFocus(True)
        return edit

    # ---------------------------------------------------------------- open / show
    def open_report(self, report_id: str) -> Op[ReportView]:
        """Save what is being edited, then load ``report_id`` from the store."""
        self.flush()
        op = self.ctx.runner.call(lambda s: s.reports.view(report_id))
        op.success(self._loaded)
        return op

    def _changes(self, changes: Changes) -> None:
        """Broadcast from the runner: reload the open report if the change concerns it."""
        report = self.report
        if report is None:
            return
        # A transfer changes the status of reports it does not name; drafts never travel.
        if report.id in changes.reports or (changes.transfers and not report.is_draft):
            rid = report.id
            self.open_report(rid).failure(lambda _exc: self._gone(rid))

    def _gone(self, report_id: str) -> None:
        """The open report can no longer be read (purged after headquarters acknowledged it)."""
        if self.report is not None and self.report.id == report_id:
            self.show_report(None)

    def _loaded(self, view: ReportView) -> None:
        current = self.report
        if (
            current is not None
            and current.id != view.report.id
            and self.save_state == "failed"
        ):
            # The save queued before this load failed: keep the monitor's text on screen (the
            # error is shown) rather than replacing it with the next report.
            return
        # Anything typed while the next report was loading is saved before it is replaced.
        self.flush()
        self.show_report(view.report)
        self.witnesses.load(view.report, view.witnesses)
        self.photos.load(view.report, view.attachments)
        self.loaded.emit(view.report.id)

    def show_report(self, report: Report | None) -> None:
        _ = self.ctx.gettext
        self.timer.stop()
        self.report = report
        self._loading = True
        try:
            if report is None:
                self.incident.load(Report(id=ReportId(""), status=ReportStatus.DRAFT))
                self.narrative.clear()
                self.notes.clear()
                self.private_notes.clear()
                self.witnesses.clear()
                self.photos.clear()
            else:
                self.incident.load(report)
                self.narrative.setPlainText(report.narrative)
                self.notes.setPlainText(report.monitor_notes)
                self.private_notes.setPlainText(report.private_notes)
        finally:
            self._loading = False
        self._set_state("idle")
        draft = report is not None and report.is_draft
        self.tabs.setEnabled(report is not None)
        self.incident.set_read_only(not draft)
        self.narrative.setReadOnly(not draft)
        self.notes.setReadOnly(not draft)
        self.private_notes.setReadOnly(not draft)
        self.seal_button.setVisible(draft)
        self.delete_button.setVisible(draft)
        self.amend_button.setVisible(report is not None and not draft)
        self.trail_button.setEnabled(report is not None)
        if report is None:
            self.heading.setText(_("No report open. Choose one on the left or press Ctrl+N."))
            self.banner.hide()
            return
        version = _("version {n}").format(n=report.version)
        self.heading.setText(f"{_(STATUS[report.status])} · {version}")
        if draft:
            self.banner.setVisible(report.amends is not None)
            self.banner.setText(
                _("This draft corrects an earlier sealed version. Seal it when it is ready.")
            )
        else:
            self.banner.show()
            self.banner.setText(
                _(
                    "Sealed on {when}. A sealed report can no longer change. To correct it, use "
                    "Amend: a new version is made and the sealed one stays as it was."
                ).format(when=(report.sealed_at or "")[:16].replace("T", " "))
            )

    def focus_field(self, path: str) -> QWidget:
        """Show the tab holding the field a seal problem names (``title``, ``place.country``,
        ``witness 'W-1'``…) and put the cursor in it."""
        f = self.incident
        targets: dict[str, QWidget] = {
            "title": f.title,
            "incident.date": f.date,
            "incident.categories": f.categories,
            "incident.perpetrators": f.perpetrators,
            "incident.people_affected": f.people,
            "place.site": f.site,
            "place.area": f.area,
            "place.country": f.country,
            "place.coordinates": f.lat,
            "narrative": self.narrative,
            "monitor_notes": self.notes,
            "private_notes": self.private_notes,
        }
        widget: QWidget = f.title
        if path.startswith("witness"):
            widget = self.witnesses.list
        else:
            for key, target in targets.items():
                if path == key or path.startswith((key + ".", key + "[")):
                    widget = target
                    break
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if page is not None and (page is widget or page.isAncestorOf(widget)):
                self.tabs.setCurrentIndex(i)
                break
        if self.incident.isAncestorOf(widget):
            self.incident_scroll.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return widget

    def clear(self) -> None:
        """Forget everything shown (at lock). Call ``flush`` first."""
        self.show_report(None)

    # ---------------------------------------------------------------- autosave
    def _edited(self) -> None:
        if self._loading or self.report is None or not self.report.is_draft:
            return
        self._edits += 1
        self._set_state("dirty")
        self.timer.start()

    def discard_pending(self) -> None:
        """The open draft is being deleted: drop unsaved edits and show nothing."""
        self.timer.stop()
        self.show_report(None)

    def has_unsaved(self) -> bool:
        return self.save_state in ("dirty", "failed", "unstorable")

    def flush(self) -> Op[Report] | None:
        """Queue a save now if anything changed; returns the op (None when nothing to save)."""
        self.timer.stop()
        report = self.report
        if report is None or not report.is_draft or not self.has_unsaved():
            return None
        edits = self._edits
        collected = replace(
            self.incident.apply_to(report),
            narrative=self.narrative.toPlainText(),
            monitor_notes=self.notes.toPlainText(),
            private_notes=self.private_notes.toPlainText(),
        )

        def save(s: Session) -> Report:
            # Witness links are changed only through set_witnesses: keep the stored ones.
            current = s.reports.get(collected.id)
            return s.reports.save_draft(replace(collected, witness_ids=current.witness_ids))

        self._set_state("saving")
        op = self.ctx.runner.call(save)
        op.success(lambda saved: self._saved(saved, edits))
        op.failure(lambda exc: self._save_failed(collected.id, exc))
        return op

    def _saved(self, saved: Report, edits: int) -> None:
        if self.report is not None and self.report.id == saved.id:
            self.report = saved
            unstorable = self.unstorable()
            if unstorable:
                # Everything else is saved, but this is not: never say "Saved" over it.
                self._set_state("unstorable", "; ".join(unstorable))
            elif edits == self._edits:
                self._set_state("saved")
            else:
                self._set_state("dirty")
        self.saved.emit(saved)

    def unstorable(self) -> list[str]:
        """What the open draft shows that cannot be saved as typed (empty when all is saved)."""
        if self.report is None or not self.report.is_draft:
            return []
        return self.incident.unstorable()

    def _save_failed(self, report_id: str, exc: BaseException) -> None:
        if self.report is not None and self.report.id == report_id:
            self._set_state("failed", user_message(exc, self.ctx.gettext))
            self.timer.start()  # try again; the text is still here
            return
        # The report is no longer on screen (switched, locked, closed): never fail silently.
        self.ctx.runner.error.emit(
            StateError(
                N_("Your last changes to a report could not be saved: {reason}"),
                reason=user_message(exc, self.ctx.gettext),
            )
        )

    def _set_state(self, state: str, detail: str = "") -> None:
        _ = self.ctx.gettext
        self.save_state = state
        text = {
            "idle": "",
            "dirty": _("Unsaved changes…"),
            "saving": _("Saving…"),
            "saved": _("Saved at {time}").format(time=datetime.now().strftime("%H:%M:%S")),
            "failed": _("Not saved yet"),
            "unstorable": _("Not saved: {what}").format(what=detail),
        }[state]
        self.indicator.setText(text)
        self.indicator.setToolTip(detail)
        self.indicator.setProperty("state", state)
        self.indicator.style().unpolish(self.indicator)  # the colour follows the state
        self.indicator.style().polish(self.indicator)

    def _witnesses_changed(self, report: Report) -> None:
        if self.report is not None and self.report.id == report.id:
            self.report = replace(self.report, witness_ids=report.witness_ids)
            self.saved.emit(self.report)

    # ---------------------------------------------------------------- actions
    def _emit_id(self, signal: SignalInstance) -> None:
        if self.report is not None:
            self.flush()
            signal.emit(self.report.id)

    def _request_seal(self) -> None:
        self._emit_id(self.seal_requested)
