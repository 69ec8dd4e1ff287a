"""Screenshots of the HQ desk (called by kpfield.gui.screenshots): an HQ vault with two field
laptops' bundles imported, one of them tampered with and one laptop with a missing bundle."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtTest import QTest

from kpfield.app import create_session
from kpfield.gui.main_window import MainWindow
from kpfield.paths import resources_dir
from kpfield.services.vaults import KdfParams

PASSPHRASE = "baobab river mango seven stones"  # noqa: S105 - throw-away demo vault


def _laptop(root: Path, name: str, hq: object) -> object:
    s = create_session(
        root / name, PASSPHRASE, params=KdfParams.cheap_for_tests(), device_name=name
    )
    s.field().profile.install(hq.hq().profile.export()[0])  # type: ignore[attr-defined]
    req = hq.hq().devices.parse_request(s.field().enrollment.request()[0])  # type: ignore[attr-defined]
    hq.hq().devices.approve(req)  # type: ignore[attr-defined]
    return s


def tone_wav(seconds: int = 42) -> bytes:
    """A quiet tone as a WAV recording (no real voice)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes(128 + (8 if (i // 20) % 2 else -8) for i in range(8000)) * seconds)
    return out.getvalue()


STATEMENT = """Statement of the nurse at the Koidu clinic, taken on 4 October 2026

Four men came to the clinic on the evening of 3 October. Two had bruises on the back and arms,
one a cut above the eye that needed five stitches. They said guards of the concession had held
them in a container since the morning, without water.

The clinic register shows the four entries, at 18:40, 18:45, 18:50 and 19:05.
"""


def seed_desk(work: Path, scene: Callable[[int], bytes]) -> Path:
    """Build the HQ vault; returns its folder."""
    example = json.loads(
        (resources_dir().parent / "docs" / "example-report.json").read_text(encoding="utf-8")
    )
    hq = create_session(work / "hq", PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    kono = _laptop(work, "kono-laptop-02", hq)
    lunda = _laptop(work, "lunda-norte-01", hq)
    paths: list[Path] = []
    try:
        r = kono.reports  # type: ignore[attr-defined]
        # W-Baobab let HQ hold their identity, and the monitor sent it (the identities tab).
        sent = dict(example, witnesses=[
            dict(w, send_identity=True, consent=dict(w["consent"], scope=dict(
                w["consent"]["scope"], identity_to_hq=True)))
            for w in example["witnesses"]
        ])  # fmt: skip
        rid = r.create_from_document(sent)
        first = r.attach_bytes(rid, scene(0), "IMG_0412.jpg")
        r.set_caption(first.id, "The guard post at the river crossing")
        r.attach_bytes(rid, scene(5), "IMG_0419.jpg")  # its EXIF date is five days later
        consent = r.attach_bytes(rid, tone_wav(), "consent-W-Baobab.wav")
        r.set_caption(consent.id, "Consent given aloud by W-Baobab")
        r.attach_bytes(rid, STATEMENT.encode("utf-8"), "statement-clinic-nurse.txt")
        r.seal(rid)
        paths += [b.path for b in kono.field().export.to_folder(_dir(work, "k1")).bundles]  # type: ignore[attr-defined]
        doc = dict(example, title="Eviction of families near the Tongo dredging site")
        r.seal(r.create_from_document(doc))
        [bad] = [b.path for b in kono.field().export.to_folder(_dir(work, "k2")).bundles]  # type: ignore[attr-defined]
        data = bytearray(bad.read_bytes())
        data[len(data) // 2] ^= 1
        bad.write_bytes(bytes(data))
        paths.append(bad)
        pt = dict(example)
        pt.update(
            title="Violação de garimpeiros em Cafunfo",
            narrative="Guardas da concessão cometeram uma violação grave: espancamentos no rio.",
            language="pt",
            place={"country": "AO", "area": "Lunda Norte", "site": "Cafunfo"},
        )
        pt["incident"] = dict(example["incident"], categories=["killing"], perpetrators=["police"])
        # The Cafunfo witnesses agreed to the coalition's use, not to sharing with KP bodies:
        # the brief leaves their reports out unless the analyst overrides.
        pt["witnesses"] = [
            dict(w, consent=dict(w["consent"], scope=dict(w["consent"]["scope"],
                                                          share_with_kp=False)))
            for w in example["witnesses"]
        ]  # fmt: skip
        lr = lunda.reports  # type: ignore[attr-defined]
        for i in range(3):
            place = dict(pt["place"], coordinates={
                "lat_micro": -8_780_000 + 9_000 * i, "lon_micro": 17_990_000 - 7_000 * i,
                "source": "gps_device",
            })  # fmt: skip
            doc = dict(pt, title=f"{pt['title']} ({i + 1})", place=place)
            lr.seal(lr.create_from_document(doc))
            out = [b.path for b in lunda.field().export.to_folder(_dir(work, f"l{i}")).bundles]  # type: ignore[attr-defined]
            if i != 1:
                paths += out  # the second bundle never reaches HQ: a gap
        hq.hq().intake.import_paths(paths)
    finally:
        for s in (kono, lunda, hq):
            s.close()  # type: ignore[attr-defined]
    return work / "hq"


def _dir(work: Path, name: str) -> Path:
    p = work / name
    p.mkdir(exist_ok=True)
    return p


def shoot_desk(
    window: MainWindow,
    save: Callable[[QPixmap, str], None],
    settle: Callable[[MainWindow], None],
    wait_until: Callable[[Callable[[], bool]], None],
) -> None:
    screen = window.unlock_screen
    if screen is None:
        raise RuntimeError("no unlock screen")
    QTest.keyClicks(screen.passphrase, PASSPHRASE)
    QTest.keyClick(screen.passphrase, Qt.Key.Key_Return)
    wait_until(lambda: window.desk is not None)
    settle(window)
    desk = window.desk
    if desk is None:
        raise RuntimeError("no desk")
    cases = desk.cases
    wait_until(lambda: cases.model.rowCount() > 0)
    cases.table.viewport().update()
    settle(window)
    n = cases.model.rowCount()
    for i in range(n):
        cases.model.data(cases.model.index(i, 0))  # asks for the page
    wait_until(lambda: all(cases.model.row_at(i) for i in range(n)))
    rows = [cases.model.row_at(i) for i in range(n)]
    cases.table.selectRow(next(i for i, r in enumerate(rows) if r and r.photos == 2))
    wait_until(lambda: cases.report.view is not None)
    wait_until(lambda: len(cases.report.photos.hashes) == 2)
    settle(window)
    save(window.grab(), "hq-cases-report")
    cases.bar.search.setText("violacao")
    cases.bar._emit()
    settle(window)
    wait_until(lambda: cases.model.row_at(0) is not None)
    cases.table.selectRow(0)
    wait_until(lambda: cases.report.view is not None and "Viola" in cases.report.view.title)
    settle(window)
    save(window.grab(), "hq-cases-search")
    desk.setCurrentWidget(desk.inbox)
    wait_until(lambda: desk.inbox.table.rowCount() > 0)
    bad = next(i for i, e in enumerate(desk.inbox.entries) if e.status == "rejected")
    desk.inbox.table.selectRow(bad)
    settle(window)
    save(window.grab(), "hq-inbox")
    desk.setCurrentWidget(desk.devices)
    settle(window)
    save(window.grab(), "hq-devices")
    desk.setCurrentWidget(desk.cases)
    panel = cases.report.review
    panel.state.setCurrentIndex(panel.state.findData("needs_follow_up"))
    panel.reason.setText("Ask the clinic")
    panel.save.click()
    settle(window)
    desk.setCurrentWidget(desk.audit)
    wait_until(lambda: desk.audit.table.rowCount() > 0)
    settle(window)
    save(window.grab(), "hq-audit")
    # Added last so the numbers of the shots above stay as they were.
    shoot_figures_and_export(window, save, settle, wait_until)
    shoot_identities_and_document(window, save, settle, wait_until)


def shoot_figures_and_export(
    window: MainWindow,
    save: Callable[[QPixmap, str], None],
    settle: Callable[[MainWindow], None],
    wait_until: Callable[[Callable[[], bool]], None],
) -> None:
    """The Charts and Map screens, and the export and override dialogs."""
    from kpfield.gui.screenshots import with_dialog

    desk = window.desk
    if desk is None:
        raise RuntimeError("no desk")
    desk.cases.bar.search.clear()  # every case, as the desk opens
    desk.cases.bar._emit()
    wait_until(lambda: desk.cases.model.rowCount() == 3)
    desk.setCurrentWidget(desk.charts)
    wait_until(lambda: len(desk.charts.charts.views) == 5)
    settle(window)
    save(window.grab(), "hq-charts")
    desk.setCurrentWidget(desk.map)
    wait_until(lambda: bool(desk.map.map._points))
    settle(window)
    save(window.grab(), "hq-map")
    cluster = next((c for c in desk.map.map.figure().clusters if c.count > 1), None)
    if cluster is not None:
        desk.map.map.casesChosen.emit(list(cluster.report_ids))
        wait_until(desk.cases.chosen_box.isVisible)
        wait_until(lambda: desk.cases.model.rowCount() == cluster.count)
        settle(window)
        save(window.grab(), "hq-cases-chosen-on-map")
        desk.cases.clear_chosen()
    desk.setCurrentWidget(desk.cases)
    dialog = desk.cases.open_export()
    wait_until(lambda: dialog.plan is not None)
    settle(window)
    dialog.adjustSize()
    save(with_dialog(window, dialog), "hq-export")
    dialog.ask_override()
    over = dialog.override_dialog
    over.list.item(0).setCheckState(Qt.CheckState.Checked)
    over.reason.setText("The working group asked for the Cafunfo cases")
    over.adjustSize()
    settle(window)
    save(with_dialog(window, over), "hq-export-override")
    over.accept()
    dialog.reject()


def shoot_identities_and_document(
    window: MainWindow,
    save: Callable[[QPixmap, str], None],
    settle: Callable[[MainWindow], None],
    wait_until: Callable[[Callable[[], bool]], None],
) -> None:
    """A witness's identity at HQ shown, the deletion asked, and a text document read."""
    from kpfield.gui.screenshots import with_dialog

    desk = window.desk
    if desk is None:
        raise RuntimeError("no desk")
    cases = desk.cases
    desk.setCurrentWidget(cases)
    n = cases.model.rowCount()
    rows = [cases.model.row_at(i) for i in range(n)]
    row = next(i for i, r in enumerate(rows) if r and r.photos == 2)
    target = rows[row].report_id  # type: ignore[union-attr]
    cases.table.clearSelection()  # selecting the row already selected would open nothing
    cases.table.selectRow(row)
    report = cases.report
    panel = report.identities
    wait_until(lambda: report.view is not None and report.view.report_id == target)
    report.tabs.setCurrentWidget(panel)
    witness = next(iter(panel.rows))
    panel.toggle(witness)
    wait_until(lambda: bool(panel.rows[witness].shown))
    settle(window)
    save(window.grab(), "hq-witness-identity")
    dialog = panel.ask_delete(witness)
    if dialog is None:
        raise RuntimeError("no delete dialog")
    dialog.reason.setText("The witness asked for it by phone, 12 November")
    settle(window)
    save(with_dialog(window, dialog), "hq-delete-identity")
    dialog.reject()
    view = report.view
    doc = next(a for a in view.attachments if a.mime == "text/plain") if view else None
    if doc is None:
        raise RuntimeError("no text document")
    reader = report.open_document(doc)
    if reader is None:
        raise RuntimeError("no document dialog")
    wait_until(lambda: reader.text.toPlainText() != "")
    settle(window)
    save(with_dialog(window, reader), "hq-document")
    reader.reject()
    settle(window)
