"""The desk shows whether HQ holds a witness's identifying details, shows them only through the
logged reveal, and deletes them with a reason through the same service as the CLI."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from kpfield.gui.desk.delete_identity_dialog import DeleteIdentityDialog
from kpfield.gui.desk.identity_panel import IdentityPanel
from kpfield.gui.main_window import MainWindow
from kpfield.services.hq_identities import HeldIdentity
from kpfield.vault.hq_witness_store import HqWitnessStore
from tests.gui.conftest import idle
from tests.gui.test_desk import desk_of, desk_world, hq_window  # noqa: F401 - fixtures


def on_store(qtbot: QtBot, window: MainWindow, fn: Any) -> Any:
    """Run ``fn(session)`` on the store lane (the GUI's own connection) and wait for it."""
    box: list[Any] = []
    window.runner.call(fn).success(box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def open_case_of(qtbot: QtBot, window: MainWindow, held: HeldIdentity) -> IdentityPanel:
    cases = desk_of(window).cases
    cases.open_case(held.reports[0])
    panel: IdentityPanel = cases.report.identities
    qtbot.waitUntil(lambda: held.witness_id in panel.rows, timeout=10_000)
    cases.report.tabs.setCurrentWidget(panel)
    return panel


def held_ids(qtbot: QtBot, window: MainWindow) -> set[str]:
    return {h.witness_id for h in on_store(qtbot, window, lambda s: s.hq().identities.held())}


def test_identity_shown_only_by_the_logged_reveal_then_deleted_with_a_reason(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    window = hq_window
    held = on_store(qtbot, window, lambda s: s.hq().identities.held())
    assert held, "the desk world sends identities"
    target: HeldIdentity = held[0]
    panel = open_case_of(qtbot, window, target)
    report = desk_of(window).cases.report
    assert panel.isVisible()
    assert report.tabs.tabText(1) == "Witness identities (1 held at HQ)"
    assert "Identifying details: held at HQ, apart from the seal" in report.text.toPlainText()
    row = panel.rows[target.witness_id]
    assert "apart from the sealed report" in row.state.text()
    assert row.show.isEnabled() and row.delete.isEnabled()
    assert not row.details.isVisible() and "Sahr Example" not in row.details.text()

    # Show: through the service's reveal, which writes "Identity shown" to the audit log.
    audit = desk_of(window).audit
    before = audit.table.rowCount()
    row.show.click()
    qtbot.waitUntil(lambda: "Sahr Example" in panel.rows[target.witness_id].details.text())
    qtbot.waitUntil(lambda: audit.table.rowCount() == before + 1)
    assert audit.table.item(0, 2).text() == "Identity shown"
    row = panel.rows[target.witness_id]
    assert row.details.isVisible()
    row.show.click()  # hide again: no service call, nothing logged
    assert not row.details.isVisible() and row.details.text() == ""
    idle(qtbot, window)
    assert audit.table.rowCount() == before + 1

    # A cancelled dialog deletes nothing.
    dialog = panel.ask_delete(target.witness_id)
    assert isinstance(dialog, DeleteIdentityDialog) and dialog.isVisible()
    assert dialog.isModal()
    dialog.reason.setText("typed, then cancelled")
    dialog.reject()
    idle(qtbot, window)
    assert target.witness_id in held_ids(qtbot, window)

    # An empty reason is refused: the button stays disabled and accept() does not close.
    dialog = panel.ask_delete(target.witness_id)
    assert dialog is not None
    assert not dialog.delete_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "   ")
    assert not dialog.delete_button.isEnabled()
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.text()
    idle(qtbot, window)
    assert target.witness_id in held_ids(qtbot, window)

    # With a reason: gone from the vault, the reason in the audit log, the view refreshed.
    dialog.reason.clear()
    qtbot.keyClicks(dialog.reason, "the witness asked for it")
    assert dialog.delete_button.isEnabled()
    dialog.delete_button.click()
    qtbot.waitUntil(
        lambda: target.witness_id in panel.rows
        and "no identifying details" in panel.rows[target.witness_id].state.text(),
        timeout=10_000,
    )
    row = panel.rows[target.witness_id]
    assert not row.show.isEnabled() and not row.delete.isEnabled()
    assert report.tabs.tabText(1) == "Witness identities"
    assert "Identifying details: none at HQ" in report.text.toPlainText()
    assert on_store(
        qtbot, window, lambda s: HqWitnessStore(s.vault.conn).identity(target.witness_id)
    ) is None  # fmt: skip
    entry = on_store(qtbot, window, lambda s: s.hq().cases.audit_log()[-1])
    assert entry.action == "identity_deleted"
    assert entry.details == {
        "witness": target.witness_id, "device": target.device_id,
        "reason": "the witness asked for it", "reports": list(target.reports),
    }  # fmt: skip
    qtbot.waitUntil(lambda: audit.table.item(0, 2).text() == "Witness identity deleted")
    assert "the witness asked for it" in audit.table.item(0, 4).text()
    assert on_store(qtbot, window, lambda s: s.hq().cases.verify_audit()) == []
    # The seals hold only a salted hash: every report citing the witness still verifies.
    assert on_store(qtbot, window, lambda s: s.verify()).ok


def test_a_witness_without_details_at_hq_offers_nothing(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    window = hq_window
    held = on_store(qtbot, window, lambda s: s.hq().identities.held())
    target: HeldIdentity = held[0]
    on_store(qtbot, window, lambda s: s.hq().identities.delete(target.witness_id, "test"))
    panel = open_case_of(qtbot, window, target)
    row = panel.rows[target.witness_id]
    assert row.state.text() == "HQ holds no identifying details."
    assert not row.show.isEnabled() and not row.delete.isEnabled()
    assert panel.ask_delete(target.witness_id) is None


def test_details_inside_a_seal_or_without_consent_to_show_are_said_and_not_offered(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    window = hq_window
    target: HeldIdentity = on_store(qtbot, window, lambda s: s.hq().identities.held())[0]
    panel = open_case_of(qtbot, window, target)
    view = desk_of(window).cases.report.view
    assert view is not None
    w = next(x for x in view.witnesses if x.witness_id == target.witness_id)
    # A report sealed before bundle format 2 carries the details inside its seal.
    inside = replace(w, identity_apart=False)
    panel.show_case(replace(view, witnesses=(inside,)))
    row = panel.rows[w.witness_id]
    assert "inside the sealed report" in row.state.text()
    assert row.show.isEnabled() and not row.delete.isEnabled()
    assert panel.ask_delete(w.witness_id) is None
    # Consent to the coalition's use withdrawn from the scope: nothing to show.
    private = replace(w, consent=dict(w.consent, coalition_use=False))
    panel.show_case(replace(view, witnesses=(private,)))
    row = panel.rows[w.witness_id]
    assert "does not allow showing them" in row.state.text()
    assert not row.show.isEnabled() and row.delete.isEnabled()
    panel.show_case(replace(view, witnesses=()))
    assert panel.rows == {} and panel.none.isVisibleTo(panel)
