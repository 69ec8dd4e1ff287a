"""The report view's text as HTML: narrative, witnesses, checks, amendments, custody. Qt-free.

Everything from a report is escaped; identities are never in a CaseView, so never in here.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from kpfield.domain.attachment_text import KIND_LABELS, TYPE_LABELS, format_duration, human_size
from kpfield.domain.desk import CONSENT_LABELS, VERIFICATION_LABELS, ConsentUse, VerificationState
from kpfield.errors import N_
from kpfield.gui import labels
from kpfield.gui.desk.consent_recording import anchor_html, consent_recording_html
from kpfield.services.case_documents import TEXT_MIME
from kpfield.services.desk import CaseView

DOCUMENT_LINK = "document:"
"""The report text links a plain-text document as ``document:<attachment id>``."""
Gettext = Callable[[str], str]
Label = Callable[[str], str]
"""A taxonomy term id to its label in the reader's language."""

CHANGED_FIELDS = {
    "title": N_("Title"),
    "narrative": N_("Narrative"),
    "monitor_notes": N_("Notes for HQ"),
    "incident_date": N_("Date of the incident"),
    "categories": N_("What happened (categories)"),
    "perpetrators": N_("Perpetrators"),
    "people_affected": N_("People affected"),
    "place": N_("Place"),
    "witnesses": N_("Witnesses"),
    "attachments": N_("Photos and files"),
}
_ROLE = {k.value: v for k, v in labels.ROLE.items()}
_AGE = {k.value: v for k, v in labels.AGE_GROUP.items()}
_GENDER = {k.value: v for k, v in labels.GENDER.items()}
_PRECISION = {k.value: v for k, v in labels.PRECISION.items()}


def _word(table: dict[str, str], value: str, _: Gettext) -> str:
    return _(table[value]) if value in table else value

CHECK_LABELS = {
    "signature": N_("The seal verifies with the device's enrolled key"),
    "hash": N_("The report matches the SHA-256 in its bundle's manifest"),
    "custody": N_("The seal is recorded in the device's custody chain"),
    "photos": N_("The photos' capture claims agree with the report's date and place"),
}
FLAG_LABELS = {
    "time": N_("EXIF time disagrees with the incident date"),
    "gps": N_("EXIF GPS position is far from the report's place"),
}
EVENT_LABELS = {
    "created": N_("Created on the device"),
    "sealed": N_("Sealed and signed on the device"),
    "amended": N_("Amended on the device"),
    "exported": N_("Exported from the device"),
    "sent": N_("Sent from the device"),
    "imported": N_("Verified and imported at HQ"),
}


_LABELS = (
    N_("(untitled)"),
    N_("A newer version of this report exists."),
    N_("After"),
    N_("Amendment: what changed"),
    N_("Before"),
    N_("Case {n}"),
    N_("Checks"),
    N_("Consent"),
    N_("Custody trail"),
    N_("Identifying details"),
    N_("held at HQ, apart from the seal"),
    N_("inside the sealed report"),
    N_("none at HQ"),
    N_("Field"),
    N_("Incident"),
    N_("Narrative"),
    N_("No witnesses."),
    N_("Notes for HQ"),
    N_("Perpetrators"),
    N_("Read the text"),
    N_("Recordings and documents"),
    N_("SHA-256 verified at import; the original is kept encrypted in this vault."),
    N_("Not stored at HQ: this file did not arrive."),
    N_(
        "KP Field does not play recordings or show PDF documents inside the app; the original "
        "is kept byte for byte."
    ),
    N_("Place"),
    N_("What happened"),
    N_("Witnesses"),
    N_("none recorded"),
    N_("version {n}"),
)
"""Labels used inside f-strings (marked here so that extraction finds them)."""


def report_html(v: CaseView, _: Gettext, term_label: Label | None = None) -> str:
    """The case as HTML; ``term_label`` names categories and perpetrator types (else ids)."""
    term = term_label or (lambda t: t)
    t = {k: _(k) for k in _LABELS}
    e = escape
    parts: list[str] = []
    try:
        badge = _(VERIFICATION_LABELS[VerificationState(v.verification)])
    except ValueError:
        badge = v.verification
    ok = all(c.ok for c in v.checks[:3])
    color = "#2e6b30" if ok and v.verification == VerificationState.VERIFIED else "#8a5a00"
    if not ok:
        color, badge = "#a32020", _("Verification failed")
    parts.append(f"<h2>{e(v.title) or e(t['(untitled)'])}</h2>")
    parts.append(
        f"<p><span style='background:{color};color:white;padding:2px 6px'>&nbsp;{e(badge)}&nbsp;"
        f"</span> &nbsp; {e(t['Case {n}'].format(n=v.case_no))} · {e(v.device_name)}"
        f" · {e(t['version {n}'].format(n=v.version))}</p>"
    )
    place = ", ".join(str(v.place[k]) for k in ("site", "area", "country") if v.place.get(k))
    when = v.incident_date or "—"
    if v.incident_date and v.date_precision and v.date_precision != "day":
        when += f" ({_word(_PRECISION, v.date_precision, _)})"
    what = ", ".join(term(c) for c in v.categories)
    who = ", ".join(term(p) for p in v.perpetrators)
    parts.append(
        f"<p><b>{e(t['Incident'])}:</b> {e(when)} &nbsp; "
        f"<b>{e(t['Place'])}:</b> {e(place or '—')}<br>"
        f"<b>{e(t['What happened'])}:</b> {e(what or '—')} &nbsp; "
        f"<b>{e(t['Perpetrators'])}:</b> {e(who or '—')}</p>"
    )
    parts.append(f"<h3>{e(t['Narrative'])}</h3><p>{e(v.narrative).replace(chr(10), '<br>')}</p>")
    if v.monitor_notes:
        parts.append(f"<p><i>{e(t['Notes for HQ'])}:</i> {e(v.monitor_notes)}</p>")
    parts.append(f"<h3>{e(t['Witnesses'])}</h3>")
    if not v.witnesses:
        parts.append(f"<p>{e(t['No witnesses.'])}</p>")
    for w in v.witnesses:
        allowed = [_(CONSENT_LABELS[ConsentUse(k)]) for k, yes in w.consent.items() if yes]
        held = (
            t["held at HQ, apart from the seal"] if w.identity_apart
            else t["inside the sealed report"] if w.has_identity
            else t["none at HQ"]
        )  # fmt: skip
        parts.append(
            f"<p><b>{e(w.pseudonym)}</b> · {e(_word(_ROLE, w.role, _))}"
            f" · {e(_word(_AGE, w.age_group, _))} · {e(_word(_GENDER, w.gender, _))}<br>"
            f"{e(t['Consent'])}: {e(', '.join(allowed) or t['none recorded'])}"
            f"{consent_recording_html(w, v.attachments, _)}<br>"
            f"{e(t['Identifying details'])}: {e(held)}</p>"
        )
    parts.append(_other_attachments(v, t, _))
    # No bullet: the ✔ or ✘ is the mark (a bullet before it read as "• ✔").
    parts.append(f"<h3>{e(t['Checks'])}</h3><ul style=\"list-style-type: none\">")
    for c in v.checks:
        mark = "✔" if c.ok else "✘"
        label = _(CHECK_LABELS.get(c.name, c.name))
        extra = ""
        if c.name == "photos" and c.detail:
            extra = " — " + ", ".join(_(FLAG_LABELS.get(f, f)) for f in c.detail.split(","))
        parts.append(f"<li>{mark} {e(label)}{e(extra)}</li>")
    parts.append("</ul>")
    if v.amends or v.changes:
        parts.append(f"<h3>{e(t['Amendment: what changed'])}</h3>")
        parts.append(
            "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
            f"<tr><th>{e(t['Field'])}</th><th>{e(t['Before'])}</th><th>{e(t['After'])}</th></tr>"
        )
        for ch in v.changes:
            name = _word(CHANGED_FIELDS, ch.field, _)
            parts.append(f"<tr><td>{e(name)}</td><td>{e(ch.old)}</td><td>{e(ch.new)}</td></tr>")
        parts.append("</table>")
    if v.amended_by:
        parts.append(f"<p>{e(t['A newer version of this report exists.'])}</p>")
    parts.append(f"<h3>{e(t['Custody trail'])}</h3><ol>")
    for step in v.custody:
        label = _(EVENT_LABELS.get(step.event, step.event))
        parts.append(f"<li>{e(step.at[:19].replace('T', ' '))} — {e(label)}</li>")
    parts.append("</ol>")
    return "".join(parts)


def _other_attachments(v: CaseView, t: dict[str, str], _: Gettext) -> str:
    """Recordings and documents (photos are shown as pictures below the text)."""
    others = [a for a in v.attachments if a.kind not in ("photo", "")]
    if not others:
        return ""
    e = escape
    out = [f"<h3>{e(t['Recordings and documents'])}</h3><ul>"]
    for a in others:
        kind = _(KIND_LABELS.get(a.kind, a.kind))
        facts = [_(TYPE_LABELS.get(a.mime, a.mime or "—")), human_size(a.size)]
        if length := format_duration(a.claims.get("duration_ms")):
            facts.append(length)
        state = (
            "✔ " + t["SHA-256 verified at import; the original is kept encrypted in this vault."]
            if a.stored
            else "✘ " + t["Not stored at HQ: this file did not arrive."]
        )
        caption = f"<br><i>{e(a.caption)}</i>" if a.caption else ""
        read = (
            f" · <a href='{DOCUMENT_LINK}{e(a.attachment_id)}'>{e(t['Read the text'])}</a>"
            if a.stored and a.mime == TEXT_MIME
            else ""
        )
        out.append(
            f"<li>{anchor_html(a)}<b>{e(kind)}</b> · {e(a.original_name or '—')}"
            f" · {e(' · '.join(facts))}"
            f"{read}{caption}<br><tt>SHA-256 {e(a.sha256)}</tt><br>{e(state)}</li>"
        )
    out.append("</ul>")
    if any(a.mime != TEXT_MIME for a in others):
        key = (
            "KP Field does not play recordings or show PDF documents inside the app; the "
            "original is kept byte for byte."
        )
        out.append(f"<p><small>{e(t[key])}</small></p>")
    return "".join(out)
