"""Translations: the template matches the sources, French and Portuguese are complete, compiled
catalogs match, placeholders survive, Qt's own strings are translated, and the GUI switches."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from kpfield import i18n
from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import GuiSettings, save_settings
from kpfield.gui.wipe_dialog import WipeDialog

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def ids(catalog: object) -> set[object]:
    return {m.id for m in catalog if m.id}  # type: ignore[attr-defined]


def test_template_is_not_stale() -> None:
    """Fails when a string was added, changed or removed without ``python -m kpfield.i18n``."""
    fresh = ids(i18n.build_template())
    committed = ids(i18n.read_po(i18n.template_path()))
    assert fresh - committed == set(), "run: python -m kpfield.i18n update"
    assert committed - fresh == set(), "run: python -m kpfield.i18n update"
    assert len(fresh) > 300


def test_staleness_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "new_screen.py"
    extra.write_text('_("A brand new button")\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "SOURCES", (*i18n.SOURCES, str(extra)))
    assert "A brand new button" in ids(i18n.build_template())


def test_taxonomy_labels_are_in_the_template() -> None:
    template = ids(i18n.read_po(i18n.template_path()))
    assert "Forced displacement or eviction" in template
    assert "Private security company" in template


@pytest.mark.parametrize("language", i18n.CATALOG_LANGUAGES)
def test_every_string_is_translated(language: str) -> None:
    template = i18n.read_po(i18n.template_path())
    catalog = i18n.read_po(i18n.po_path(language), language)
    problems = []
    for m in template:
        if not m.id:
            continue
        t = catalog.get(m.id)
        if t is None:
            problems.append(("missing", m.id))
            continue
        if t.fuzzy:
            problems.append(("fuzzy", m.id))
        strings = t.string if isinstance(t.string, tuple) else (t.string,)
        source = m.id if isinstance(m.id, tuple) else (m.id,)
        if not all(strings):
            problems.append(("untranslated", m.id))
            continue
        wanted = set(PLACEHOLDER.findall(source[-1]))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(("placeholders", m.id))
    assert problems == []


@pytest.mark.parametrize("language", i18n.CATALOG_LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language: str) -> None:
    catalog = i18n.read_po(i18n.po_path(language), language)
    compiled = gettext.GNUTranslations(open(i18n.po_path(language).with_suffix(".mo"), "rb"))  # noqa: SIM115
    for m in catalog:
        if m.id and not isinstance(m.id, tuple):
            assert compiled.gettext(m.id) == m.string, m.id


def test_runtime_translation_and_fallback() -> None:
    assert i18n.I18n("fr").gettext("Lock") == "Verrouiller"
    assert i18n.I18n("pt").gettext("Forced labour") == "Trabalho forçado"
    assert i18n.I18n("xx").language == "en"
    assert i18n.I18n("en").gettext("Lock") == "Lock"
    assert i18n.I18n("fr").ngettext("{n} report", "{n} reports", 2) == "{n} rapports"


@pytest.mark.parametrize(("language", "names"), [("fr", ["qtbase_fr"]),
                                                 ("pt", ["qtbase_pt", "qtbase_pt_BR"])])
def test_qt_ships_its_own_catalogs(language: str, names: list[str]) -> None:
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    assert any(QTranslator().load(n, folder) for n in names), language


def test_the_app_opens_in_the_saved_language_with_qt_strings_too(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    save_settings(existing_vault, GuiSettings(language="fr"))
    window: MainWindow = make_window()  # type: ignore[operator]
    try:
        assert window.unlock_screen is not None
        assert window.unlock_screen.button.text() == "Déverrouiller"
        assert window.lock_label.text() == "Verrouillé"
        window.wipe_action.trigger()
        dialog = window.findChild(WipeDialog)
        assert dialog.cancel_button.text().replace("&", "") == "Annuler"
        assert dialog.findChild(QDialogButtonBox) is not None
        dialog.reject()
    finally:
        window.ctx.i18n = i18n.I18n("en")
        window.install_qt_translation()  # leave the shared QApplication in English
