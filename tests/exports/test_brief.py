"""The PDF brief: valid, its text matches the data, photos are stripped copies, page totals."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from kpfield.services.exports.service import ExportKind
from tests.exports.conftest import World


def test_the_brief_is_a_valid_pdf_whose_text_matches_the_data(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "brief.pdf"
    world.hq.exports.export(ExportKind.PDF_BRIEF, out)
    reader = PdfReader(io.BytesIO(out.read_bytes()), strict=True)
    pages = [p.extract_text() for p in reader.pages]
    n = len(pages)
    text = "\n".join(pages)
    assert "incident brief" in pages[0]
    assert "Incidents 1" in pages[0].replace(":", "")
    assert "Reports left out 2" in pages[0]
    assert "Incidents by category" in text and "Incidents on the map" in text
    incident = pages[-1] if "Photographs" in pages[-1] else pages[-2]
    assert "Koidu river digging site" in incident
    assert "W-Baobab" in incident
    assert "2026-06-10" in incident
    assert "W-Kapok" not in text and "W-Mango" not in text
    assert all(f"Page {i} of {n}" in p for i, p in enumerate(pages, start=1))
    images = [img for p in reader.pages for img in p.images]
    assert len(images) == 1
    assert b"Exif" not in images[0].data
    assert reader.metadata is not None
    assert reader.metadata.creation_date is not None


def test_the_brief_speaks_the_analysts_language(world: World, tmp_path: Path) -> None:
    from kpfield.i18n import I18n

    fr = I18n("fr")
    out = tmp_path / "note.pdf"
    world.hq.exports.export(ExportKind.PDF_BRIEF, out, gettext=fr.gettext, language="fr")
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert "Incidents par catégorie" in pages[1]
    assert all(f"Page {i} sur {len(pages)}" in p for i, p in enumerate(pages, start=1))
