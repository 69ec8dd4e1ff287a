"""What the witness dialog and the notes tab say about where data goes, held against the bytes of
a real bundle exported from the same vault and decrypted with the HQ identity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from kpfield.app import Session, create_session
from kpfield.gui.main_window import MainWindow
from kpfield.gui.withdraw_dialog import WithdrawConsentDialog
from kpfield.gui.witness_dialog import WitnessDialog
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import decrypt_with_hq, split_tar
from tests.conftest import PASSPHRASE
from tests.gui.conftest import fill_complete, idle, new_report
from tests.gui.test_witnesses import press

NAME = "Aminata Kamara"
PRIVATE = "met her through the nurse"
HQ_NOTE = "clinic register checked"


def _run(qtbot: QtBot, window: MainWindow, fn: Any) -> Any:
    box: list[Any] = []
    window.runner.call(fn).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    return box[0]


def _open_new_witness(qtbot: QtBot, window: MainWindow) -> WitnessDialog:
    panel = window.workspace.editor.witnesses  # type: ignore[union-attr]
    window.workspace.editor.tabs.setCurrentWidget(panel)  # type: ignore[union-attr]
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    assert dialog is not None
    return dialog


def _export(qtbot: QtBot, window: MainWindow, hq: Session, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    result = _run(qtbot, window, lambda s: s.field().export.to_folder(folder))
    [bundle] = result.bundles
    return dict(split_tar(decrypt_with_hq(hq, bundle.path.read_bytes())))


def test_dialog_and_notes_say_what_the_bundle_holds(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    try:
        profile = hq.hq().profile.export()[0]
        _run(qtbot, unlocked, lambda s: s.field().profile.install(profile))
        rid = new_report(qtbot, unlocked)
        fill_complete(qtbot, unlocked)
        editor = unlocked.workspace.editor  # type: ignore[union-attr]
        qtbot.keyClicks(editor.notes, HQ_NOTE)
        qtbot.keyClicks(editor.private_notes, PRIVATE)
        assert "sent to HQ" in editor.findChild(object, "hqNotesLabel").text()  # type: ignore[union-attr]
        assert "never sent to HQ" in editor.findChild(object, "privateNotesLabel").text()  # type: ignore[union-attr]

        dialog = _open_new_witness(qtbot, unlocked)
        qtbot.keyClicks(dialog.pseudonym, "W-Iroko")
        qtbot.keyClicks(dialog.full_name, NAME)
        press(qtbot, dialog.consent_group.button(1))
        press(qtbot, dialog.scope_coalition)
        assert not dialog.send_identity.isEnabled()  # consent does not cover the identity
        assert "stay on this laptop only" in dialog.identity_where.text()
        assert "never contains them" in dialog.findChild(object, "identifyingWarning").text()  # type: ignore[union-attr]
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
        idle(qtbot, unlocked)
        editor.flush()
        idle(qtbot, unlocked)
        _run(qtbot, unlocked, lambda s: s.reports.seal(rid))
        members = _export(qtbot, unlocked, hq, tmp_path / "one")
        blob = b"".join(members.values())
        assert NAME.encode() not in blob  # "stay on this laptop only"
        assert PRIVATE.encode() not in blob  # "never sent to HQ"
        assert HQ_NOTE.encode() in blob  # "sent to HQ"

        # Now the witness agrees HQ may hold it, and the monitor chooses to send it.
        [w] = _run(qtbot, unlocked, lambda s: s.reports.list_witnesses())
        dialog = WitnessDialog(unlocked.ctx, w, parent=unlocked)
        press(qtbot, dialog.scope_identity)
        assert dialog.send_identity.isEnabled()
        press(qtbot, dialog.send_identity)
        assert "go to HQ inside the encrypted bundle" in dialog.identity_where.text()
        saved = _run(qtbot, unlocked, lambda s: s.reports.save_witness(dialog.witness()))
        dialog.reject()
        assert saved.send_identity and saved.consent.scope.identity_to_hq
        amended = _run(qtbot, unlocked, lambda s: s.reports.amend(rid))
        _run(qtbot, unlocked, lambda s: s.reports.seal(amended.id))
        members = _export(qtbot, unlocked, hq, tmp_path / "two")
        [ident] = [n for n in members if n.startswith("identities/")]
        assert NAME.encode() in members[ident]
        assert not any(NAME.encode() in d for n, d in members.items() if n != ident)

        # Withdraw consent from the dialog: the identity leaves the laptop and a notice goes.
        [w] = _run(qtbot, unlocked, lambda s: s.reports.list_witnesses())
        dialog = WitnessDialog(unlocked.ctx, w, parent=unlocked)
        dialog.show()
        assert dialog.withdraw_button.isVisible()
        qtbot.mouseClick(dialog.withdraw_button, Qt.MouseButton.LeftButton)
        confirm = dialog.findChild(WithdrawConsentDialog)
        assert confirm is not None
        qtbot.mouseClick(confirm.findChild(QPushButton, "confirmWithdraw"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible())
        [w] = _run(qtbot, unlocked, lambda s: s.reports.list_witnesses())
        assert w.identifying is None and not w.consent.given
        members = _export(qtbot, unlocked, hq, tmp_path / "three")
        assert [n for n in members if n.startswith("withdrawals/")]
        assert NAME.encode() not in b"".join(members.values())
    finally:
        hq.close()
