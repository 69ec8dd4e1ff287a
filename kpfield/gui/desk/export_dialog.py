"""Export the cases of the current filter: which file, what it will hold and leave out (before
writing), a file dialog, progress with Stop, and what the signed manifest says was included."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.desk import CaseFilter
from kpfield.errors import N_, Cancelled
from kpfield.gui.context import AppContext
from kpfield.gui.desk.override_dialog import OverrideDialog
from kpfield.gui.help_page import set_help_page
from kpfield.gui.operation import Op
from kpfield.gui.tasks import user_message
from kpfield.services.exports.service import (
    ExportKind,
    ExportPlan,
    ExportResult,
    ManifestSummary,
)

KINDS: dict[ExportKind, tuple[str, str, str]] = {
    ExportKind.CASES_CSV: (
        N_("Cases (CSV)"),
        N_("One row per report, for the coalition's own analysis. Reports need every witness's"
           " consent to use by the coalition."),
        "cases.csv",
    ),
    ExportKind.INCIDENTS_CSV: (
        N_("Incidents, de-identified (CSV)"),
        N_("For conflict-data analysts: dates with precision, areas, actor types, people"
           " affected. Nobody is named; reports need consent to anonymised publication."),
        "incidents.csv",
    ),
    ExportKind.EVENTS_JSON: (
        N_("Events (JSON shaped after HURIDOCS)"),
        N_("Events, acts and involvements for partner organisations. Reports need every"
           " witness's consent to use by the coalition."),
        "events.json",
    ),
    ExportKind.PDF_BRIEF: (
        N_("Brief for Kimberley Process working groups (PDF)"),
        N_("Summary figures, the charts and the map, one page per incident, photo copies with"
           " their metadata removed. Reports need consent to share with KP bodies."),
        "brief.pdf",
    ),
}  # fmt: skip
NO_IDENTITIES = N_(
    "Witness identities are never written into an export. A signed manifest is written beside"
    " the file, listing what it holds, what was left out and why."
)


class ExportDialog(QDialog):
    def __init__(
        self, ctx: AppContext, f: CaseFilter, words: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseExportDialog")
        set_help_page(self, "desk")
        self.ctx, self.filter = ctx, f
        _ = ctx.gettext
        self.setWindowTitle(_("Export cases"))
        self.setMinimumWidth(700)
        self.plan: ExportPlan | None = None
        self.override: list[str] = []
        self.override_reason = ""
        self.op: Op[tuple[ExportResult, ManifestSummary]] | None = None
        self.result_: tuple[ExportResult, ManifestSummary] | None = None
        self.failure = ""
        about = QLabel(words)
        about.setObjectName("exportFilter")
        about.setWordWrap(True)
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        self.radios: dict[ExportKind, QRadioButton] = {}
        for kind, (title, _text, _name) in KINDS.items():
            radio = QRadioButton(_(title))
            radio.setObjectName(f"export_{kind.value}")
            self.radios[kind] = radio
            self.group.addButton(radio)
            layout.addWidget(radio)
        # Only the chosen kind is described: four descriptions do not fit a 768-pixel screen's
        # dialog (Qt caps it at two thirds of the screen) in French or Portuguese.
        self.about_kind = QLabel()
        self.about_kind.setObjectName("exportKindAbout")
        self.about_kind.setWordWrap(True)
        self.about_kind.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.about_kind)
        note = QLabel(_(NO_IDENTITIES))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.summary = QLabel()
        self.summary.setObjectName("exportPlan")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.left_out = QListWidget()
        self.left_out.setObjectName("exportLeftOut")
        self.left_out.setMaximumHeight(110)
        self.left_out.setWordWrap(True)  # a title and its reason, read in full
        self.left_out.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.left_out)
        self.override_button = QPushButton(_("Include some of them anyway…"))
        self.override_button.setObjectName("exportOverride")
        self.override_button.clicked.connect(self.ask_override)
        layout.addWidget(self.override_button)
        self.progress = QProgressBar()
        self.progress.hide()
        layout.addWidget(self.progress)
        self.outcome = QTextBrowser()
        self.outcome.setObjectName("exportOutcome")
        self.outcome.hide()
        layout.addWidget(self.outcome)
        row = QHBoxLayout()
        row.addStretch(1)
        self.export_button = QPushButton(_("Export…"))
        self.export_button.setObjectName("exportSave")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.choose_file)
        self.stop_button = QPushButton(_("Stop"))
        self.stop_button.hide()
        self.stop_button.clicked.connect(self.stop)
        self.close_button = QPushButton(_("Close"))
        self.close_button.clicked.connect(self.reject)
        for b in (self.export_button, self.stop_button, self.close_button):
            row.addWidget(b)
        layout.addLayout(row)
        self.group.buttonToggled.connect(self._toggled)
        self.radios[ExportKind.PDF_BRIEF].setChecked(True)

    # ---------------------------------------------------------------- plan
    def kind(self) -> ExportKind:
        return next(k for k, r in self.radios.items() if r.isChecked())

    def _toggled(self, _button: QRadioButton, on: bool) -> None:
        if on:
            self._kind_changed()

    def _kind_changed(self) -> None:
        self.override, self.override_reason = [], ""
        self.plan = None
        self.export_button.setEnabled(False)
        kind, f = self.kind(), self.filter
        self.about_kind.setText(self.ctx.gettext(KINDS[kind][1]))
        self.ctx.runner.call(lambda s: s.hq().exports.plan(kind, f)).success(
            lambda p: self._planned(kind, p)
        ).failure(self._failed)

    def _planned(self, kind: ExportKind, plan: ExportPlan) -> None:
        if kind is not self.kind():
            return  # the analyst chose another kind meanwhile
        self.plan = plan
        self._show_plan()

    def _show_plan(self) -> None:
        _ = self.ctx.gettext
        plan = self.plan
        if plan is None:
            return
        n_in = len(plan.included) + len(self.override)
        n_out = len(plan.left_out) - len(self.override)
        text = _("{n} report(s) will be in the file; {m} left out for lack of consent.").format(
            n=n_in, m=n_out
        )
        if self.override:
            text += " " + _("{n} included by your override: {reason}").format(
                n=len(self.override), reason=self.override_reason
            )
        self.summary.setText(text)
        self.left_out.clear()
        for p in plan.left_out:
            mark = _("included by override") if p.report_id in self.override else _(p.reason)
            self.left_out.addItem(f"{p.title or _('(untitled)')} — {mark}")
        self.left_out.setVisible(bool(plan.left_out))
        self.override_button.setVisible(self.kind() is ExportKind.PDF_BRIEF and bool(plan.left_out))
        self.export_button.setEnabled(n_in > 0)

    def ask_override(self) -> None:
        if self.plan is None:
            return
        dialog = OverrideDialog(
            self.plan.left_out, self.override, self.override_reason, self.ctx.gettext, self
        )
        dialog.accepted.connect(lambda: self.set_override(dialog.chosen(), dialog.reason.text()))
        self.override_dialog = dialog
        dialog.open()

    def set_override(self, ids: list[str], reason: str) -> None:
        self.override = list(ids)
        self.override_reason = reason.strip() if ids else ""
        self._show_plan()

    # ---------------------------------------------------------------- export
    def choose_file(self) -> None:
        _ = self.ctx.gettext
        name = KINDS[self.kind()][2]
        path, _f = QFileDialog.getSaveFileName(self, _("Export cases"), name)
        if path:
            self.export_to(Path(path))

    def export_to(self, out: Path) -> None:
        kind, f = self.kind(), self.filter
        override, reason = list(self.override), self.override_reason
        gettext, language = self.ctx.gettext, self.ctx.i18n.language
        if out.suffix.lower() != Path(KINDS[kind][2]).suffix:
            out = out.with_name(out.name + Path(KINDS[kind][2]).suffix)

        # Reading, writing and signing borrow the store lane in short steps; the rendering (a
        # brief of thousands of pages) runs on the compute lane, so the cases list still pages.
        def work(job):  # type: ignore[no-untyped-def]
            exports, prepared = job.on_store(
                lambda s: (s.hq().exports, s.hq().exports.prepare(
                    kind, f, override=override, override_reason=reason))
            )  # fmt: skip
            job.progress(1, prepared.steps)
            data = exports.render(
                prepared, gettext=gettext, language=language, progress=job.progress,
                cancel=job.cancelled,
                stripped_photo=lambda aid: job.on_store(
                    lambda s: s.hq().exports.stripped_photo(aid)),
            )  # fmt: skip
            result = job.on_store(lambda s: s.hq().exports.finish(prepared, out, data))
            summary = job.on_store(lambda s: s.hq().exports.read_manifest(result.manifest_path))
            return result, summary

        self._busy(True)
        self.outcome.hide()
        self.left_out.show()
        op = self.ctx.runner.compute(work)
        op.announces(lambda v: v[0].changes)  # the audit log has the export (and overrides)
        op.progress(self._progress).success(self._done).failure(self._failed)
        op.finally_(lambda: self._busy(False))
        self.op = op

    def stop(self) -> None:
        if self.op is not None:
            self.op.cancel()

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        self.stop_button.setVisible(busy)
        self.export_button.setEnabled(not busy and self.plan is not None)
        for r in self.radios.values():
            r.setEnabled(not busy)
        self.override_button.setEnabled(not busy)
        if not busy:
            self.op = None

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _done(self, value: tuple[ExportResult, ManifestSummary]) -> None:
        _ = self.ctx.gettext
        self.result_ = value
        result, m = value
        titles = {p.report_id: p.title for p in self.plan.left_out} if self.plan else {}
        parts = [
            f"<p><b>{escape(_('Written'))}:</b> {escape(str(result.path))}<br>"
            f"SHA-256 {escape(result.sha256)}<br>"
            f"<b>{escape(_('Signed manifest'))}:</b> {escape(str(result.manifest_path))}</p>",
            "<p>"
            + escape(
                _("The signed manifest lists {n} report(s) included and {m} left out.").format(
                    n=len(m.included), m=len(m.left_out)
                )
            )
            + "</p>",
        ]
        if m.overridden:
            parts.append(
                "<p>" + escape(_("Included by override (logged in the audit log): {n}").format(
                    n=len(m.overridden))) + "</p>"
            )  # fmt: skip
        if m.left_out:
            parts.append("<ul>")
            for rid, why in m.left_out:
                title = titles.get(rid) or rid[:8]
                parts.append(f"<li>{escape(title)} — {escape(_(why))}</li>")
            parts.append("</ul>")
        self.outcome.setHtml("".join(parts))
        self.left_out.hide()  # the outcome lists what the manifest says was left out
        self.outcome.show()

    def _failed(self, exc: BaseException) -> None:
        _ = self.ctx.gettext
        if isinstance(exc, Cancelled):
            self.failure = _("The export was stopped; no file was written.")
        else:
            self.failure = user_message(exc, _)
        self.outcome.setPlainText(self.failure)
        self.outcome.show()
