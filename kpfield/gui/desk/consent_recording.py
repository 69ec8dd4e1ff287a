"""The line of a case view that points a spoken consent to its recording. Qt-free.

Kept apart from report_html so the witness section can change without touching it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from kpfield.services.desk import AttachmentView, WitnessView

Gettext = Callable[[str], str]


def _text(s: str) -> str:
    return escape(s, quote=False)

SPOKEN_RECORDED = "verbal_recorded"


def anchor(a: AttachmentView) -> str:
    """The HTML anchor of an attachment's entry in the list of recordings and documents."""
    return f"att-{a.attachment_id}"


def anchor_html(a: AttachmentView) -> str:
    return f"<a name='{escape(anchor(a), quote=True)}'></a>"


def consent_recording_html(
    w: WitnessView, attachments: Sequence[AttachmentView], _: Gettext
) -> str:
    """``<br>`` and the line for a spoken, recorded consent (or one naming a recording); ""."""
    sha = w.recording_sha256
    if not sha and w.consent_method != SPOKEN_RECORDED:
        return ""
    label = _text(_("Consent recorded in audio: {recording}"))
    if not sha:
        return "<br>" + label.format(recording=_text(_("recording not sent")))
    match = next((a for a in attachments if a.kind == "audio" and a.sha256 == sha), None)
    if match is None:
        plain = _(
            "The consent names a recording that is not one of this report's files "
            "(SHA-256 {sha256})."
        )
        return "<br>✘ " + _text(plain).format(sha256=f"<tt>{_text(sha)}</tt>")
    name = _text(match.original_name or _("(no file name)"))
    link = f"<a href='#{escape(anchor(match), quote=True)}'>{name}</a>"
    return "<br>" + label.format(recording=link)
