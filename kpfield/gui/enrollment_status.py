"""Whether HQ enrolled this laptop, shown where the monitor looks: the toolbar, About, and a
question before an export HQ would refuse.

The words follow what the laptop knows (services/enrollment_state.py): "not yet enrolled" until
an HQ receipt or HQ's signed device list says otherwise; a revocation is named with its source.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolButton, QWidget

from kpfield.app import Session
from kpfield.gui.confirm import confirm
from kpfield.gui.context import AppContext
from kpfield.services.enrollment_state import Enrollment, EnrollmentState, Source

Gettext = Callable[[str], str]

COLOURS = {
    Enrollment.NOT_ENROLLED: "#8a5a00",
    Enrollment.ENROLLED: "#2e6b30",
    Enrollment.REVOKED: "#a32020",
}


def headline(state: EnrollmentState, _: Gettext) -> str:
    if state.status is Enrollment.ENROLLED:
        return _("Enrolled at HQ")
    if state.status is Enrollment.REVOKED:
        return _("Revoked by HQ")
    return _("Not yet enrolled at HQ")


def explanation(state: EnrollmentState, _: Gettext) -> str:
    """Where the laptop's knowledge comes from, and what to do next."""
    when = state.at[:16].replace("T", " ")
    if state.status is Enrollment.ENROLLED and state.source is Source.RECEIPT:
        return _(
            "HQ's signed receipt of {when} says HQ imported a bundle from this laptop: HQ "
            "imports bundles only from laptops it has enrolled."
        ).format(when=when)
    if state.status is Enrollment.ENROLLED:
        return _(
            "HQ's signed list of devices, fetched from the relay on {when}, names this laptop "
            "as enrolled."
        ).format(when=when)
    if state.status is Enrollment.REVOKED and state.source is Source.DEVICE_LIST:
        return _(
            "HQ's signed list of devices, fetched from the relay on {when}, says HQ revoked "
            "this laptop. HQ and the relay accept nothing more from it. Call HQ."
        ).format(when=when)
    if state.status is Enrollment.REVOKED:
        return _(
            "On {when} the relay refused this laptop, saying HQ revoked it. HQ accepts "
            "nothing more from a revoked laptop. Call HQ."
        ).format(when=when)
    return _(
        "HQ has not yet confirmed that it enrolled this laptop. Write the enrollment request "
        "(Vault menu), give it to HQ and read them the fingerprint. The laptop learns that "
        "it is enrolled from HQ's first receipt (on a stick or by sync) or from HQ's list of "
        "devices (by sync)."
    )


class EnrollmentButton(QToolButton):
    """The enrollment state at the toolbar's right end; a click explains it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.state: EnrollmentState | None = None
        self.setObjectName("statusEnrollment")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.clicked.connect(self.explain)

    def show_state(self, state: EnrollmentState | None) -> None:
        """What to say (the toolbar action holding the button shows or hides it)."""
        self.state = state
        if state is None:
            return
        _ = self.ctx.gettext
        self.setText(headline(state, _))
        self.setAccessibleName(headline(state, _))
        self.setToolTip(explanation(state, _))
        self.setStyleSheet(f"color: {COLOURS[state.status]}; font-weight: 600;")

    def explain(self) -> None:
        if self.state is None:
            return
        _ = self.ctx.gettext
        box = QMessageBox(
            QMessageBox.Icon.Information,
            headline(self.state, _),
            explanation(self.state, _),
            QMessageBox.StandardButton.Ok,
            self.window(),
        )
        box.setObjectName("enrollmentExplained")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def export_warning(state: EnrollmentState, _: Gettext) -> str | None:
    """What to say before an export HQ may refuse; None when HQ has enrolled this laptop."""
    if state.status is Enrollment.ENROLLED:
        return None
    if state.status is Enrollment.REVOKED:
        return _(
            "HQ has revoked this laptop ({why}). HQ refuses bundles from a revoked laptop. "
            "Export anyway? The bundle is made and the reports are marked as exported, but HQ "
            "can import it only if it enrolls this laptop again."
        ).format(why=explanation(state, _))
    return _(
        "HQ has not yet confirmed that it enrolled this laptop. HQ refuses bundles from a "
        "laptop it has not enrolled, but nothing is lost: once HQ enrolls this laptop (with "
        "its enrollment request, Vault menu), it can import this same bundle from the stick. "
        "Export anyway?"
    )


def before_export(parent: QWidget, ctx: AppContext, then: Callable[[], None]) -> None:
    """Run ``then`` at once if HQ enrolled this laptop (or no profile is installed yet: the
    export says so itself); otherwise ask first."""

    def read(s: Session) -> tuple[bool, EnrollmentState]:
        f = s.field()
        return f.profile.installed() is not None, f.enrollment.state()

    def decide(value: tuple[bool, EnrollmentState]) -> None:
        has_profile, state = value
        _ = ctx.gettext
        text = export_warning(state, _) if has_profile else None
        if text is None:
            then()
            return
        confirm(
            parent,
            name="exportUnenrolled",
            title=headline(state, _),
            text=text,
            yes=_("Export anyway"),
            no=_("Cancel"),
            then=then,
            destructive=False,
        )

    ctx.runner.call(read).success(decide).failure(lambda _e: then())
