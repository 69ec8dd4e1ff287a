"""Render every main screen in English, French and Portuguese at 1366×728 (a 1366×768 laptop
less its taskbar).

    python -m kpfield.gui.screenshots docs/screenshots

Each language gets a throw-away vault (cheap key derivation, deleted afterwards) filled with the
example report, a witness, photos drawn here, a sealed report and a second draft.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMenu, QMessageBox, QWidget

from kpfield.app import create_session
from kpfield.gui.custody_dialog import CustodyDialog
from kpfield.gui.desk_screenshots import tone_wav
from kpfield.gui.main_window import MainWindow
from kpfield.gui.photo_viewer import PhotoViewer
from kpfield.gui.seal_dialog import SealDialog
from kpfield.gui.settings import GuiSettings, save_settings
from kpfield.gui.settings_dialog import SettingsDialog
from kpfield.gui.transfer_dialog import export_dialog
from kpfield.gui.wipe_dialog import WipeDialog
from kpfield.gui.withdraw_dialog import WithdrawConsentDialog
from kpfield.gui.witness_dialog import WitnessDialog
from kpfield.i18n import LANGUAGES
from kpfield.paths import resources_dir
from kpfield.services.vaults import KdfParams

WIDTH, HEIGHT = 1366, 728
PASSPHRASE = "baobab river mango seven stones"  # noqa: S105 - throw-away demo vault


T = TypeVar("T")


def need(value: T | None) -> T:
    if value is None:
        raise RuntimeError("screen not shown")
    return value


def wait_until(pred: Callable[[], bool], timeout_ms: int = 20_000) -> None:
    loop = QEventLoop()
    waited = 0
    while not pred():
        if waited > timeout_ms:
            raise RuntimeError("screen did not become ready")
        QTimer.singleShot(10, loop.quit)
        loop.exec()
        waited += 10


def settle(window: MainWindow) -> None:
    wait_until(lambda: window.runner.pending == 0)
    QApplication.processEvents()


def scene(seed: int) -> bytes:
    """A plain drawn landscape (no real place, no real person) with camera-like EXIF."""
    img = Image.new("RGB", (1200, 900), (180, 200, 230))
    d = ImageDraw.Draw(img)
    for y in range(450):
        d.line([(0, y), (1200, y)], fill=(120 + y // 6, 160 + y // 8, 220))
    d.rectangle([0, 450, 1200, 900], fill=(150 - seed * 12, 110, 70))
    d.polygon(
        [(100 + seed * 90, 450), (400 + seed * 60, 250), (700 + seed * 40, 450)], fill=(100, 95, 80)
    )
    d.ellipse([850, 80, 960, 190], fill=(250, 230, 150))
    d.rectangle([300 + seed * 50, 560, 520 + seed * 50, 700], fill=(90, 90, 95))
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "FieldCam 3"
    exif.get_ifd(0x8769)[0x9003] = f"2026:10:0{3 + seed} 07:1{seed}:00"
    if seed == 1:  # one photo with a GPS fix near the example report's site (8.64321, -10.97123)
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "N", "W"
        gps[2] = (IFDRational(8), IFDRational(38), IFDRational(35556, 1000))
        gps[4] = (IFDRational(10), IFDRational(58), IFDRational(16428, 1000))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


TRANSCRIPT = (
    "Interview with W-Baobab, 3 October, at the clinic.\n\n"
    "The guards came to the river at dawn. Four diggers were stopped and beaten with batons. "
    "Two were taken to the clinic.\n\n"
    "The witness agreed to the interview and gave consent aloud (recorded in "
    "consent-W-Baobab.wav).\n"
)


def seed_vault(data_dir: Path) -> None:
    session = create_session(
        data_dir, PASSPHRASE, params=KdfParams.cheap_for_tests(), device_name="Team 2 laptop"
    )
    try:
        reports = session.reports
        example = resources_dir().parent / "docs" / "example-report.json"
        doc = json.loads(example.read_text(encoding="utf-8"))
        sealed = reports.create_from_document(doc)
        reports.attach_bytes(sealed, scene(0), "IMG_0412.jpg")
        reports.seal(sealed)
        doc["title"] = "Eviction of families near the Tongo dredging site"
        doc["incident"]["categories"] = ["forced_displacement", "public_security_abuse"]
        doc["witnesses"] = []
        reports.create_from_document(doc)
        doc = json.loads(example.read_text(encoding="utf-8"))
        current = reports.create_from_document(doc)
        for i in range(3):
            att = reports.attach_bytes(current, scene(i + 1), f"IMG_04{20 + i}.jpg")
            if i == 0:
                reports.set_caption(att.id, "The guard post at the river crossing, from the road")
        reports.attach_bytes(current, tone_wav(), "consent-W-Baobab.wav")
        notes = reports.attach_bytes(current, TRANSCRIPT.encode("utf-8"), "interview-notes.txt")
        reports.set_caption(notes.id, "Notes typed after the interview, 3 October")
    finally:
        session.close()


def with_dialog(window: MainWindow, dialog: QWidget) -> QPixmap:
    """The window dimmed, with the dialog drawn centred over it as the user sees it."""
    base = window.grab()
    front = dialog.grab()
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 90))
    x = max((base.width() - front.width()) // 2, 0)
    y = max((base.height() - front.height()) // 2, 0)
    painter.drawPixmap(QPoint(x, y), front)
    painter.end()
    return base


def hq_profile(hq_dir: Path) -> Path:
    """A coalition profile exported by a fresh HQ vault (for the fingerprint screen)."""
    hq = create_session(hq_dir, PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    try:
        path = hq_dir.parent / f"{hq_dir.name}-profile.json"
        path.write_bytes(hq.hq().profile.export()[0])
    finally:
        hq.close()
    return path


def with_menu(window: MainWindow, index: int) -> QPixmap:
    """The window with one of its menu-bar menus open, drawn under its title."""
    bar = window.menuBar()
    action = bar.actions()[index]
    menu = action.menu()
    if not isinstance(menu, QMenu):
        raise RuntimeError("no menu")
    menu.popup(window.mapToGlobal(bar.actionGeometry(action).bottomLeft()))
    settle(window)
    base = window.grab()
    painter = QPainter(base)
    painter.drawPixmap(bar.mapTo(window, bar.actionGeometry(action).bottomLeft()), menu.grab())
    painter.end()
    menu.hide()
    return base


def open_dialog(window: MainWindow, kind: type[QDialog]) -> QDialog:
    wait_until(lambda: any(d.isVisible() for d in window.findChildren(kind)))
    dialog = next(d for d in window.findChildren(kind) if d.isVisible())
    dialog.adjustSize()
    settle(window)
    return dialog


class Shooter:
    def __init__(self, out: Path, language: str) -> None:
        self.out = out
        self.language = language
        self.count = 0

    def save(self, pixmap: QPixmap, name: str) -> None:
        self.count += 1
        path = self.out / f"{self.language}-{self.count:02d}-{name}.png"
        pixmap.save(str(path))


def make_window(data_dir: Path) -> MainWindow:
    window = MainWindow(data_dir, kdf_params=KdfParams.cheap_for_tests())
    window.resize(WIDTH, HEIGHT)
    window.show()
    settle(window)
    return window


def close_window(window: MainWindow) -> None:
    """Close ``window`` and destroy it now, from C++, on this thread.

    A closed window left to Python's cyclic garbage collector is destroyed whenever a collection
    happens to run: in the middle of Qt delivering an event to it (installing the next language's
    translator sends LanguageChange to every top-level window, closed ones too), or on a task
    lane's thread. Collecting the wrappers of its layout items in arbitrary order also frees some
    items twice. That was the crash (SIGSEGV, once std::bad_alloc) of about half the loaded runs,
    in the third language. Deleted from C++ first, every wrapper of the tree is invalidated and
    the collector only frees empty Python shells.
    """
    window.close()
    if window.isVisible():
        raise RuntimeError("the window refused to close")
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()  # the empty shells, now, rather than during the next window's work


def shoot_language(out: Path, language: str, work: Path) -> None:
    shots = Shooter(out, language)
    # first run
    fresh = work / f"fresh-{language}"
    save_settings(fresh, GuiSettings(language=language))
    window = make_window(fresh)
    setup = need(window.setup)
    shots.save(window.grab(), "setup-language")
    setup.next.click()
    QTest.keyClicks(setup.pass1, PASSPHRASE)
    QTest.keyClicks(setup.pass2, PASSPHRASE)
    shots.save(window.grab(), "setup-passphrase")
    setup.next.click()
    setup.use_duress.setChecked(True)
    shots.save(window.grab(), "setup-duress")
    close_window(window)

    # daily use
    data = work / f"vault-{language}"
    seed_vault(data)
    # No automatic sync: the status bar must not change under the shots (no relay here anyway).
    save_settings(data, GuiSettings(language=language, auto_sync=False))
    window = make_window(data)
    screen = need(window.unlock_screen)
    QTest.keyClicks(screen.passphrase, "wrong guess")
    QTest.keyClick(screen.passphrase, Qt.Key.Key_Return)
    settle(window)
    shots.save(window.grab(), "unlock-wrong-passphrase")
    screen.passphrase.clear()
    QTest.keyClicks(screen.passphrase, PASSPHRASE)
    QTest.keyClick(screen.passphrase, Qt.Key.Key_Return)
    wait_until(lambda: window.workspace is not None)
    settle(window)
    ws = need(window.workspace)
    draft_row = next(
        r for r in ws.list.model.rows if r.status.value == "draft" and r.title.startswith("Beating")
    )
    sealed_row = next(r for r in ws.list.model.rows if r.status.value == "sealed")
    ws.list.select(draft_row.id)
    wait_until(lambda: ws.editor.report is not None and ws.editor.report.id == draft_row.id)
    settle(window)
    editor = ws.editor
    shots.save(window.grab(), "report-incident")
    editor.tabs.setCurrentIndex(1)
    shots.save(window.grab(), "report-narrative")
    editor.tabs.setCurrentIndex(2)
    settle(window)
    shots.save(window.grab(), "report-witnesses")
    editor.witnesses.list.setCurrentRow(0)
    editor.witnesses.open_selected()
    dialog = open_dialog(window, WitnessDialog)
    shots.save(with_dialog(window, dialog), "witness")
    dialog.reject()
    editor.tabs.setCurrentIndex(3)
    wait_until(lambda: editor.photos.list.count() == 5)
    editor.photos.list.setCurrentRow(0)
    settle(window)
    shots.save(window.grab(), "report-photos")
    editor.photos.list.setCurrentRow(0)
    editor.photos.view_selected()
    viewer = open_dialog(window, PhotoViewer)
    if not isinstance(viewer, PhotoViewer):
        raise RuntimeError("no photo viewer")
    viewer.resize(1100, 640)
    wait_until(lambda: viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull())
    viewer._show(viewer._generation, viewer.image.pixmap().toImage())  # rescale to final size
    shots.save(with_dialog(window, viewer), "photo-viewer")
    viewer.go(3)  # the recording: described, not played
    settle(window)
    shots.save(with_dialog(window, viewer), "viewer-recording")
    viewer.go(1)  # the text document, read into memory
    wait_until(lambda: bool(viewer.text.toPlainText()))
    shots.save(with_dialog(window, viewer), "viewer-text")
    viewer.reject()
    window.seal_current()
    dialog = open_dialog(window, SealDialog)
    shots.save(with_dialog(window, dialog), "seal-confirm")
    dialog.reject()
    ws.new_report()
    wait_until(lambda: ws.editor.report is not None and not ws.editor.report.title)
    settle(window)
    window.seal_current()
    dialog = open_dialog(window, SealDialog)
    shots.save(with_dialog(window, dialog), "seal-missing")
    dialog.reject()
    ws.list.select(sealed_row.id)
    wait_until(lambda: ws.editor.report is not None and ws.editor.report.id == sealed_row.id)
    settle(window)
    ws.editor.tabs.setCurrentIndex(0)
    shots.save(window.grab(), "sealed-report")
    ws.show_trail(sealed_row.id)
    dialog = open_dialog(window, CustodyDialog)
    shots.save(with_dialog(window, dialog), "custody-trail")
    dialog.reject()
    window.open_settings()
    dialog = open_dialog(window, SettingsDialog)
    shots.save(with_dialog(window, dialog), "settings")
    if not isinstance(dialog, SettingsDialog):
        raise RuntimeError("no settings dialog")
    dialog.tabs.setCurrentIndex(1)
    dialog.adjustSize()
    shots.save(with_dialog(window, dialog), "settings-unlocking")
    dialog.reject()
    window.ask_wipe()
    dialog = open_dialog(window, WipeDialog)
    shots.save(with_dialog(window, dialog), "wipe")
    dialog.reject()
    shots.save(with_menu(window, 0), "vault-menu")
    window.enrollment.check_profile(hq_profile(work / f"hq-{language}"))
    wait_until(
        lambda: any(
            b.objectName() == "profileFingerprint" for b in window.findChildren(QMessageBox)
        )
    )
    box = next(
        b for b in window.findChildren(QMessageBox) if b.objectName() == "profileFingerprint"
    )
    settle(window)
    shots.save(with_dialog(window, box), "profile-fingerprint")
    box.reject()
    stick = work / f"stick-{language}"
    stick.mkdir(exist_ok=True)
    export = export_dialog(window.runner, window.ctx.gettext, stick, parent=window)
    export.open()
    wait_until(lambda: export.finished_work)
    export.adjustSize()
    settle(window)
    shots.save(with_dialog(window, export), "export-without-profile")
    export.reject()
    # Added last so the numbers of the shots above stay as they were.
    ws.editor.tabs.setCurrentIndex(4)
    settle(window)
    shots.save(window.grab(), "report-notes")
    ws.editor.tabs.setCurrentIndex(2)
    ws.editor.witnesses.list.setCurrentRow(0)
    ws.editor.witnesses.open_selected()
    witness = open_dialog(window, WitnessDialog)
    if not isinstance(witness, WitnessDialog):
        raise RuntimeError("no witness dialog")
    witness.withdraw_button.click()
    withdraw = open_dialog(window, WithdrawConsentDialog)
    shots.save(with_dialog(window, withdraw), "withdraw-consent")
    withdraw.reject()
    witness.reject()
    sync = need(need(window.sync).open_dialog())
    sync.adjustSize()
    settle(window)
    shots.save(with_dialog(window, sync), "sync-panel")
    sync.sync_button.click()
    controller = window.sync_controller
    wait_until(lambda: not controller.running and controller.failure is not None)
    sync.adjustSize()
    settle(window)
    shots.save(with_dialog(window, sync), "sync-not-set-up")
    sync.reject()
    shoot_help_and_enrollment(window, shots, work)
    window.lock()
    settle(window)
    close_window(window)
    shoot_setup_name(work, language, shots)

    # the HQ desk
    from kpfield.gui.desk_screenshots import seed_desk, shoot_desk

    hq = seed_desk(work / f"desk-{language}", scene)
    save_settings(hq, GuiSettings(language=language))
    window = make_window(hq)
    shoot_desk(window, shots.save, settle, wait_until)
    window.lock()
    settle(window)
    close_window(window)


def shoot_help_and_enrollment(window: MainWindow, shots: Shooter, work: Path) -> None:
    """Help (F1 on the editor), About, the enrollment state and the export question."""
    from kpfield.gui.help_window import AboutDialog, HelpWindow

    ws = need(window.workspace)
    ws.editor.tabs.setCurrentIndex(0)
    ws.editor.incident.title.setFocus()
    settle(window)
    shots.save(window.grab(), "status-not-enrolled")
    need(window.help).help_for_focus()
    help_window = open_dialog(window, HelpWindow)
    help_window.resize(760, 600)
    settle(window)
    shots.save(with_dialog(window, help_window), "help-editor")
    if isinstance(help_window, HelpWindow):
        help_window.show_page("data")
        settle(window)
        shots.save(with_dialog(window, help_window), "help-data")
    help_window.close()
    shots.save(with_menu(window, len(window.menuBar().actions()) - 1), "help-menu")
    need(window.help).about()
    about = open_dialog(window, AboutDialog)
    wait_until(lambda: "<tt>" in about.findChild(QLabel, "aboutText").text())  # type: ignore[union-attr]
    about.adjustSize()
    settle(window)
    shots.save(with_dialog(window, about), "about")
    about.reject()
    window.enrollment_button.explain()
    box = next(
        b for b in window.findChildren(QMessageBox) if b.objectName() == "enrollmentExplained"
    )
    settle(window)
    shots.save(with_dialog(window, box), "enrollment-explained")
    box.accept()
    profile = hq_profile(work / f"hq2-{window.ctx.i18n.language}").read_bytes()
    window.runner.call(lambda s: s.field().profile.install(profile))
    settle(window)
    window.export_action.trigger()
    wait_until(
        lambda: any(
            b.objectName() == "exportUnenrolled" and b.isVisible()
            for b in window.findChildren(QMessageBox)
        )
    )
    box = next(b for b in window.findChildren(QMessageBox) if b.objectName() == "exportUnenrolled")
    settle(window)
    shots.save(with_dialog(window, box), "export-not-enrolled")
    box.reject()
    settle(window)


def shoot_setup_name(work: Path, language: str, shots: Shooter) -> None:
    """The first run's last step: the laptop's name (shot last: earlier numbers stay)."""
    fresh = work / f"fresh-name-{language}"
    save_settings(fresh, GuiSettings(language=language))
    window = make_window(fresh)
    setup = need(window.setup)
    setup.next.click()
    QTest.keyClicks(setup.pass1, PASSPHRASE)
    QTest.keyClicks(setup.pass2, PASSPHRASE)
    setup.next.click()
    setup.next.click()
    QTest.keyClicks(setup.device_name, "Team 2 laptop")
    settle(window)
    shots.save(window.grab(), "setup-name")
    window.close()


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    app = QApplication(argv[:1])
    app.setApplicationName("KP Field")
    languages = argv[2:] or list(LANGUAGES)
    with tempfile.TemporaryDirectory(prefix="kpfield-shots-") as tmp:
        try:
            for language in languages:
                shoot_language(out, language, Path(tmp))
        except Exception:  # noqa: BLE001 - reported, then every window is closed
            traceback.print_exc()
            abandon_windows(app)
            print("screenshots FAILED (see above); the shots so far are kept", file=sys.stderr)
            return 1
    print(f"wrote {len(list(out.glob('*.png')))} screenshots to {out}")
    return 0


def abandon_windows(app: QApplication) -> None:
    """After a failed shot: close every window, so that their task lanes stop and the process
    can exit (a window left open keeps its worker threads, and Python waits for them)."""
    for widget in app.topLevelWidgets():
        if isinstance(widget, MainWindow):
            widget._close_anyway = True  # a half-typed shot is not a monitor's text
        with contextlib.suppress(RuntimeError):
            widget.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
