"""Witnesses: pseudonym and profile, identifying details in their own marked section, consent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from kpfield.domain.models import ConsentMethod, WitnessRole
from kpfield.gui.main_window import MainWindow
from kpfield.gui.witness_dialog import WitnessDialog
from tests.gui.conftest import idle, new_report


def press(qtbot: QtBot, widget: object) -> None:
    widget.setFocus()  # type: ignore[attr-defined]
    qtbot.keyClick(widget, Qt.Key.Key_Space)  # type: ignore[arg-type]


def add_witness(qtbot: QtBot, window: MainWindow, pseudonym: str, *, consent: bool,
                full_name: str = "") -> None:
    panel = window.workspace.editor.witnesses  # type: ignore[union-attr]
    window.workspace.editor.tabs.setCurrentWidget(panel)  # type: ignore[union-attr]
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.pseudonym, pseudonym)
    dialog.role.setCurrentIndex(dialog.role.findData(WitnessRole.VICTIM.value))
    qtbot.keyClicks(dialog.full_name, full_name)
    qtbot.keyClicks(dialog.contact, "via the clinic nurse")
    assert not dialog.scope_kp.isEnabled()  # scope only once consent is given
    if consent:
        press(qtbot, dialog.consent_group.button(1))
        assert dialog.scope_kp.isEnabled()
        dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.THUMBPRINT.value))
        dialog.consent_date.clear()
        qtbot.keyClicks(dialog.consent_date, "2026-10-05")
        press(qtbot, dialog.scope_coalition)
        press(qtbot, dialog.scope_kp)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(pseudonym in panel.list.item(i).text()
                                for i in range(panel.list.count())))
    idle(qtbot, window)


def test_new_witness_with_consent_and_identifying_details(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    add_witness(qtbot, unlocked, "W-Baobab", consent=True, full_name="Aminata K.")
    panel = unlocked.workspace.editor.witnesses  # type: ignore[union-attr]
    assert panel.list.item(0).text() == "W-Baobab — Victim — consent given"
    box: list[object] = []
    unlocked.runner.call(lambda s: s.reports.view(rid).witnesses).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    (w,) = box[0]  # type: ignore[misc]
    assert w.identifying.full_name == "Aminata K."
    assert w.consent.given and w.consent.method is ConsentMethod.THUMBPRINT
    assert w.consent.recorded_on == "2026-10-05"
    assert w.consent.scope.coalition_use and w.consent.scope.share_with_kp
    assert not w.consent.scope.publish_anonymised


def test_identifying_section_is_separate_and_marked(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    dialog = WitnessDialog(unlocked.ctx, parent=unlocked)
    box = dialog.findChild(object, "identifyingBox")
    assert box is not None
    assert "sensitive" in box.title()  # type: ignore[attr-defined]
    assert dialog.full_name.parent() is box
    assert dialog.pseudonym.parent() is not box
    dialog.deleteLater()


def test_pseudonym_and_consent_date_are_checked(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.witnesses  # type: ignore[union-attr]
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "pseudonym" in dialog.error.text() and dialog.isVisible()
    qtbot.keyClicks(dialog.pseudonym, "W-Kapok")
    press(qtbot, dialog.consent_group.button(2))  # declined
    dialog.consent_date.clear()
    qtbot.keyClicks(dialog.consent_date, "5 Oct")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "YYYY-MM-DD" in dialog.error.text() and dialog.isVisible()
    dialog.reject()


def test_cite_an_existing_witness_and_remove_it_again(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    add_witness(qtbot, unlocked, "W-Iroko", consent=False)
    second = new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.witnesses  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: panel.existing.count() == 1)
    assert panel.existing.currentText() == "W-Iroko"
    qtbot.mouseClick(panel.cite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    assert "consent not recorded" in panel.list.item(0).text()
    panel.list.setCurrentRow(0)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.list.count() == 0)
    idle(qtbot, unlocked)
    box: list[object] = []
    unlocked.runner.call(lambda s: s.reports.get(second).witness_ids).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    assert box[0] == ()
