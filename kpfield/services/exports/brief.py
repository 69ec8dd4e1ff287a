"""The PDF brief for Kimberley Process working groups (fpdf2, DejaVu Sans for every script).

Summary figures, the charts, then one page per incident. No witness identity is ever printed;
a witness appears by pseudonym only when they consented to sharing with KP bodies; photos are
metadata-stripped copies, never originals. Same input and creation date → the same bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kpfield.domain.taxonomy import Taxonomy
from kpfield.errors import N_, StateError
from kpfield.figures.drawing import Drawing
from kpfield.services.exports import pdf_figures
from kpfield.services.exports.consent import Use, named
from kpfield.services.exports.records import CaseRecord

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
FAMILY = "DejaVu"
PHOTOS_PER_PAGE = 4
Gettext = Callable[[str], str]
ROLE_LABELS = {
    "victim": N_("victim"),
    "eyewitness": N_("eyewitness"),
    "family_member": N_("family member"),
    "community_member": N_("community member"),
    "official": N_("official"),
    "other": N_("other role"),
}


def find_font(resources: Path) -> tuple[Path, Path]:
    """DejaVu Sans regular and bold: our own copy if shipped, else the system's."""
    override = os.environ.get("KPFIELD_PDF_FONT_DIR")
    dirs = [Path(override)] if override else []
    dirs += [resources / "fonts", *FONT_DIRS]
    for d in dirs:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise StateError(
        N_(
            "The PDF brief needs the DejaVu Sans font (package fonts-dejavu-core);"
            " it was not found."
        )
    )


@dataclass(frozen=True)
class BriefInput:
    cases: tuple[CaseRecord, ...]
    charts: tuple[Drawing, ...]
    created: datetime
    left_out: int
    overridden: frozenset[str]
    filter_text: str


def _date_text(c: CaseRecord, _: Gettext) -> str:
    d = c.incident_date
    if d is None:
        return _("unknown")
    return d.value + (" " + _("(approximate)") if d.approximate else "")


class _Pdf:
    def __init__(self, fonts: tuple[Path, Path], _: Gettext, created: datetime) -> None:
        from fpdf import FPDF  # imported here: only the brief needs it

        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_creation_date(created)
        pdf.add_font(FAMILY, "", str(fonts[0]))
        pdf.add_font(FAMILY, "B", str(fonts[1]))
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.set_margins(16, 16, 16)
        pdf.alias_nb_pages("{nb}")
        footer_text = _("Page {page} of {total}")
        title = _("KP Civil Society Coalition — incident brief")

        def footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(97, 110, 124)
            pdf.cell(0, 5, title, align="L")
            pdf.set_x(16)
            pdf.cell(0, 5, footer_text.format(page=pdf.page_no(), total="{nb}"), align="R")
            pdf.set_text_color(0, 0, 0)

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.set_title(title)
        pdf.set_author(_("KP Civil Society Coalition"))
        pdf.set_creator("KP Field")
        pdf.set_producer("KP Field")
        self.pdf: Any = pdf

    def heading(self, text: str, size: float = 16) -> None:
        self.pdf.set_font(FAMILY, "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def field(self, label: str, value: str) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "B", 9.5)
        pdf.cell(44, 5.5, label)
        pdf.set_font(FAMILY, "", 9.5)
        pdf.multi_cell(0, 5.5, value or "—", new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, size: float = 10) -> None:
        self.pdf.set_font(FAMILY, "", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)


def render_brief(
    data: BriefInput,
    *,
    taxonomy: Taxonomy,
    gettext: Gettext,
    fonts: tuple[Path, Path],
    stripped_photo: Callable[[str], bytes | None],
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The brief as PDF bytes. ``stripped_photo(attachment_id)`` gives a metadata-free copy;
    ``progress(done, total)`` is told after each incident page (it may raise Cancelled)."""
    _ = gettext
    doc = _Pdf(fonts, _, data.created)
    pdf = doc.pdf
    pdf.add_page()
    doc.heading(_("KP Civil Society Coalition — incident brief"), 18)
    doc.para(_("Prepared for Kimberley Process working groups on {date}.").format(
        date=data.created.date().isoformat()))
    if data.filter_text:
        doc.para(_("Selection: {filter}").format(filter=data.filter_text), 9)
    pdf.ln(3)
    doc.heading(_("Summary"), 13)
    cases = data.cases
    dates = sorted(c.incident_date.value for c in cases if c.incident_date)
    people = sum(c.people_affected or 0 for c in cases)
    countries = sorted({c.place.country for c in cases if c.place.country})
    doc.field(_("Incidents"), str(len(cases)))
    doc.field(_("People affected"), str(people))
    doc.field(_("Countries"), ", ".join(countries))
    doc.field(_("Period"), f"{dates[0]} – {dates[-1]}" if dates else "")
    doc.field(_("Reports left out"), _(
        "{count} (no consent to share with Kimberley Process bodies)").format(count=data.left_out))
    if data.overridden:
        doc.field(_("Included by override"), str(len(data.overridden)))
    pdf.ln(2)
    doc.para(_(
        "Witness identities are never printed in this brief. A witness is mentioned by pseudonym"
        " only with their consent to sharing with KP bodies. Photographs are copies with all"
        " metadata removed; the originals and their fingerprints stay in the coalition's vault."
    ), 9)
    for i, drawing in enumerate(data.charts):
        if i % 2 == 0:
            pdf.add_page()
            y = 18.0
        h = pdf_figures.draw(pdf, drawing, (16, y), 178, FAMILY)
        y += h + 8
    for n, c in enumerate(cases, 1):
        _incident_page(doc, c, taxonomy, _, stripped_photo, c.report_id in data.overridden)
        if progress is not None:
            progress(n, len(cases))
    out = pdf.output()
    return bytes(out)


def _incident_page(
    doc: _Pdf,
    c: CaseRecord,
    taxonomy: Taxonomy,
    _: Gettext,
    stripped_photo: Callable[[str], bytes | None],
    overridden: bool,
) -> None:
    pdf = doc.pdf
    pdf.add_page()
    doc.heading(c.title or _("(untitled)"), 14)
    if overridden:
        pdf.set_text_color(194, 65, 12)
        doc.para(_("Included by the analyst without the witnesses' consent to share with KP"
                   " bodies."), 9)
        pdf.set_text_color(0, 0, 0)
    place = ", ".join(p for p in (c.place.site, c.place.area, c.place.country) if p)
    doc.field(_("Date"), _date_text(c, _))
    doc.field(_("Place"), place)
    doc.field(_("Categories"), "; ".join(_(taxonomy.label(t)) for t in c.categories))
    doc.field(_("Perpetrator types"), "; ".join(_(taxonomy.label(t)) for t in c.perpetrators))
    doc.field(_("People affected"), "" if c.people_affected is None else str(c.people_affected))
    shown = named(c, Use.KP_BRIEF)
    withheld = len(c.witnesses) - len(shown)
    names = ", ".join(f"{w.pseudonym} ({_(ROLE_LABELS.get(w.role, w.role))})" for w in shown)
    if withheld:
        names = (names + "; " if names else "") + _("{count} withheld").format(count=withheld)
    doc.field(_("Witnesses"), names)
    doc.field(_("Report"), f"{c.report_id} · v{c.version}")
    doc.field(_("Sealed SHA-256"), c.sha256)
    pdf.ln(2)
    doc.heading(_("Account"), 11)
    doc.para(c.narrative)
    photos = [a for a in c.attachments if a.kind == "photo"][:PHOTOS_PER_PAGE]
    if not photos:
        return
    if pdf.get_y() > 200:
        pdf.add_page()
    doc.heading(_("Photographs (copies with metadata removed)"), 11)
    y = pdf.get_y()
    for i, a in enumerate(photos):
        data = stripped_photo(a.attachment_id)
        if data is None:
            continue
        x = 16 + (i % 2) * 90
        if i and i % 2 == 0:
            y += 68
        if y + 64 > 280:
            pdf.add_page()
            y = 18
        pdf.image(io.BytesIO(data), x=x, y=y, w=84, h=56, keep_aspect_ratio=True)
        pdf.set_xy(x, y + 57)
        pdf.set_font(FAMILY, "", 7)
        pdf.cell(84, 4, _("Original SHA-256 {digest}…").format(digest=a.sha256[:16]))
    pdf.set_xy(16, y + 64)
