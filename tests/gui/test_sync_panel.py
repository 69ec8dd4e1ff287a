"""The laptop's sync panel and HQ's Pull, driven through real windows against a real relay.

Each test builds a sync world (an HQ vault, an enrolled laptop, ``kpfield relay serve`` on
127.0.0.1), closes the core sessions and opens the vault in a real main window, offscreen.
The platform's network information is replaced by a fake the test switches on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kpfield.app import open_session
from kpfield.gui.connectivity import Connectivity
from kpfield.gui.main_window import MainWindow
from kpfield.gui.pull_dialog import PullDialog
from kpfield.gui.sync_dialog import SyncDialog
from kpfield.gui.sync_panel import SyncState
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE
from tests.gui.conftest import idle, unlock
from tests.support.faultproxy import FaultProxy, Faults
from tests.sync.world import World, fast_settings, field_uploads, make_world, relay_uploads

SMALL_CHUNKS = {"first_chunk": 64 << 10, "max_chunk": 64 << 10}


class FakeConnectivity(Connectivity):
    def __init__(self, online: bool | None) -> None:
        super().__init__()
        self._online = online

    def online(self) -> bool | None:
        return self._online

    def set_online(self, online: bool) -> None:
        self._online = online
        self.online_changed.emit(online)


@pytest.fixture
def world(tmp_path: Path, cheap_params: KdfParams) -> Iterator[World]:
    w = make_world(tmp_path, cheap_params, purge=False)
    yield w
    w.close()


def field_window(
    qtbot: QtBot, make_window: Any, world: World, *, online: bool | None = False, **settings: Any
) -> tuple[MainWindow, FakeConnectivity]:
    """The laptop's vault in a window; fast waits for 127.0.0.1 set before anything runs."""
    field_dir = world.root / "field0"
    world.field.close()
    window: MainWindow = make_window(field_dir)
    net = FakeConnectivity(online)
    window.sync_controller.set_connectivity(net)
    unlock(qtbot, window, PASSPHRASE)
    window.runner.call(
        lambda s: setattr(s.field().sync, "settings", fast_settings(**settings))
    )
    idle(qtbot, window)
    qtbot.waitUntil(lambda: window.sync_controller.status is not None, timeout=10_000)
    return window, net


def statuses_shown(window: MainWindow) -> list[str]:
    assert window.workspace is not None
    model = window.workspace.list.model
    col = 1  # COLUMNS: title, status, …
    return [str(model.index(r, col).data()) for r in range(model.rowCount())]


def reopen(world: World, name: str = "field0") -> Any:
    return open_session(world.root / name, PASSPHRASE)


def test_sync_now_delivers_and_the_panel_says_up_to_date(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    world.seal(seed=1, marker="MARK-ONE")
    world.seal(seed=2, marker="MARK-TWO")
    window, _net = field_window(qtbot, make_window, world)
    c = window.sync_controller
    assert c.status is not None and c.status.waiting_reports == 2
    assert c.state is SyncState.WAITING  # offline, with reports waiting: nothing starts alone
    assert window.sync is not None and window.sync.button.text() == "Sync: waiting for the network"

    # HQ enrolled it, but the laptop has not heard yet: it says so, and the sync will tell it.
    qtbot.waitUntil(lambda: window.enrollment_button.text() == "Not yet enrolled at HQ")
    assert any("not yet known to be enrolled at HQ" in line for line in c.details())

    qtbot.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(SyncDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: not c.running, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE, c.details()
    # HQ's signed device list, fetched from the relay, names this laptop.
    qtbot.waitUntil(lambda: window.enrollment_button.text() == "Enrolled at HQ")
    assert "signed list of devices" in window.enrollment_button.toolTip()
    assert not any("not yet known to be enrolled" in line for line in c.details())
    assert dialog.state_label.text() == "Sync: up to date"
    text = dialog.details.text()
    assert "0 sealed reports waiting to be sent to the relay." in text
    # The relay holds it; HQ has not said so yet: the two are never confused.
    held = "1 bundle is held by the relay; headquarters has not confirmed receiving it yet."
    assert held in text
    assert "received by headquarters" not in text
    assert "Last complete sync: never" not in text
    qtbot.waitUntil(lambda: statuses_shown(window) == ["Sent to the relay"] * 2, timeout=10_000)
    idle(qtbot, window)
    assert not c.running  # the run's own changes do not start another run (no sync loop)

    # HQ pulls (core); the next sync brings HQ's receipt back and the panel says so.
    world.hq.pull.run()
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)  # the dialog is still open
    qtbot.waitUntil(lambda: not c.running and c.last_result is not None
                    and c.last_result.receipts.acknowledged == 2, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE
    assert "1 bundle was received by headquarters." in dialog.details.text()
    assert "Headquarters confirmed 2 reports." in dialog.details.text()
    qtbot.waitUntil(lambda: statuses_shown(window) == ["Received by HQ"] * 2, timeout=10_000)


def test_relay_down_shows_the_reason_and_nothing_is_marked(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    world.seal(seed=3)
    world.relay.stop()
    window, _net = field_window(qtbot, make_window, world, online=None, max_failures=2)
    c = window.sync_controller
    # online unknown and automatic sync on: the unlock itself started a sync (the probe).
    qtbot.waitUntil(lambda: c.last_result is not None and not c.running, timeout=30_000)
    assert c.state is SyncState.WAITING
    assert c.failure is not None and c.failure.kind == "network"
    assert c.retry.isActive()  # tries again later, by itself
    assert window.sync is not None
    assert window.sync.button.text() == "Sync: waiting for the network"
    dialog = window.sync.open_dialog()
    assert dialog is not None
    text = dialog.details.text()
    assert "The relay could not be reached." in text
    assert "The connection to the relay failed (ConnectError)." in text
    assert "1 sealed report waiting to be sent to the relay." in text
    # bundled into the outbox (the list refreshes itself from the run's changes), not sent
    qtbot.waitUntil(lambda: statuses_shown(window) == ["Exported"], timeout=10_000)


def test_french_reason(qtbot: QtBot, make_window: Any, world: World) -> None:
    from kpfield.gui.settings import GuiSettings, save_settings

    save_settings(world.root / "field0", GuiSettings(language="fr", auto_sync=False))
    world.seal(seed=4)
    world.relay.stop()
    window, _net = field_window(qtbot, make_window, world, online=True, max_failures=1)
    c = window.sync_controller
    assert not c.running  # automatic sync is off
    assert c.start()
    qtbot.waitUntil(lambda: not c.running, timeout=30_000)
    assert window.sync is not None
    dialog = window.sync.open_dialog()
    assert dialog is not None
    assert "Le relais" in dialog.details.text(), dialog.details.text()


def test_network_return_starts_a_sync_unless_metered(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    world.seal(seed=5)
    window, net = field_window(qtbot, make_window, world, online=False)
    c = window.sync_controller
    assert not c.running
    window.ctx.settings = window.ctx.settings.__class__(metered=True)
    c.settings_changed()
    net.set_online(True)
    assert not c.running  # metered: only when the monitor asks
    net.set_online(False)
    window.ctx.settings = window.ctx.settings.__class__(metered=False)
    c.settings_changed()
    assert not c.running  # still offline
    net.set_online(True)
    assert c.running  # the network came back: it started by itself
    qtbot.waitUntil(lambda: not c.running, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE
    # the two switches were saved with the GUI preferences
    from kpfield.gui.settings import load_settings

    saved = load_settings(world.root / "field0")
    assert saved.auto_sync and not saved.metered


@pytest.fixture
def proxy(world: World) -> Iterator[FaultProxy]:
    p = FaultProxy(int(world.url.rsplit(":", 1)[1])).start()
    data, _ = world.hq.profile.export(relay_url=p.url, purge_after_acknowledgement=False)
    world.field.profile.install(data)  # the laptop reaches the relay through the proxy
    yield p
    p.stop()


def test_autosave_is_not_held_up_by_a_sync_in_progress(
    qtbot: QtBot, make_window: Any, world: World, proxy: FaultProxy
) -> None:
    from tests.gui.conftest import new_report

    world.seal(seed=6)
    proxy.faults = Faults(blackhole=True)  # the relay never answers: the sync hangs in I/O
    window, _net = field_window(
        qtbot, make_window, world, min_stall=60.0, connect_timeout=60.0, max_failures=1
    )
    c = window.sync_controller
    assert c.start()
    new_report(qtbot, window)
    assert window.workspace is not None
    editor = window.workspace.editor
    editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(editor.narrative, "Typed while the sync waits on the relay.")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        window.save_now()
    assert c.running and window.runner.network_busy  # the save did not wait for the sync
    window.lock()  # cancels the hung sync
    assert not c.running


def test_lock_mid_upload_records_nothing_half_done_then_resumes(
    qtbot: QtBot, make_window: Any, world: World, proxy: FaultProxy
) -> None:
    world.seal(seed=7, noise=(420, 420))  # a photo of noise: a few hundred KB
    proxy.faults = Faults(rate=150_000)
    window, _net = field_window(qtbot, make_window, world, **SMALL_CHUNKS)
    c = window.sync_controller
    assert c.start()
    qtbot.waitUntil(lambda: c.progress is not None and c.progress[0] > 0, timeout=30_000)
    window.lock()
    assert window.workspace is None and not c.running
    assert window.sync is not None and not window.sync.button.isVisible()
    qtbot.waitUntil(lambda: not window.runner.network_busy, timeout=30_000)

    s = reopen(world)
    try:
        ((_sha, _seq, _size, status),) = field_uploads(s)
        assert status == "pending"  # not delivered: no receipt was recorded
        sent = s.vault.conn.execute(
            "SELECT count(*) FROM custody_log WHERE event = 'sent'"
        ).fetchone()[0]
        assert sent == 0
        assert [str(r[0]) for r in s.vault.conn.execute("SELECT status FROM reports")] == [
            "exported"
        ]
    finally:
        s.close()

    proxy.faults = Faults()
    unlock(qtbot, window, PASSPHRASE)
    window.runner.call(
        lambda s: setattr(s.field().sync, "settings", fast_settings(**SMALL_CHUNKS))
    )
    idle(qtbot, window)
    qtbot.waitUntil(lambda: c.status is not None, timeout=10_000)
    assert c.stopped_by_lock is False
    if not c.running:
        assert c.start()
    qtbot.waitUntil(lambda: not c.running and c.last_result is not None, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE, c.details()
    qtbot.waitUntil(lambda: statuses_shown(window) == ["Sent to the relay"], timeout=10_000)


def test_hq_pull_imports_what_the_laptop_sent(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    world.seal(seed=8)
    world.seal(seed=9)
    window, _net = field_window(qtbot, make_window, world)
    c = window.sync_controller
    assert c.start()
    qtbot.waitUntil(lambda: not c.running, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE
    window.close()

    world.hq.close()
    hq_window: MainWindow = make_window(world.root / "hq")
    unlock(qtbot, hq_window, PASSPHRASE)
    hq_window.runner.call(lambda s: setattr(s.hq().pull, "settings", fast_settings()))
    idle(qtbot, hq_window)
    assert hq_window.pull is not None
    qtbot.waitUntil(hq_window.pull.pull_action.isVisible, timeout=10_000)
    assert hq_window.sync is not None and not hq_window.sync.sync_action.isVisible()
    assert hq_window.desk is not None  # an HQ vault opens the desk; Pull sits on its tab bar
    corner = hq_window.desk.cornerWidget()
    assert corner is not None and corner.objectName() == "deskPull"
    qtbot.keyClick(hq_window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    dialog = hq_window.findChild(PullDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=30_000)
    assert dialog.error is None and dialog.outcome is not None
    assert dialog.outcome.imported == 1 and dialog.outcome.rejected == 0
    text = dialog.text.toPlainText()
    assert "1 imported, 0 already held, 0 rejected" in text
    assert "1 receipt posted for the laptops." in text
    assert "No gaps" in text
    assert dialog.status.text() == "Pull finished."
    counted: list[int] = []
    hq_window.runner.call(
        lambda s: int(s.vault.conn.execute("SELECT count(*) FROM hq_reports").fetchone()[0])
    ).success(counted.append)
    qtbot.waitUntil(lambda: counted == [2], timeout=10_000)
    assert corner.isVisible()
    desk = hq_window.desk
    qtbot.waitUntil(lambda: desk.cases.model.rowCount() == 2, timeout=10_000)  # refreshed itself


def test_proxy_is_kept_in_the_vault_and_checked(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    window, _net = field_window(qtbot, make_window, world)
    assert window.sync is not None
    dialog = window.sync.open_dialog()
    assert dialog is not None
    dialog.proxy.setText("tor:9050")
    qtbot.mouseClick(dialog.proxy_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "starts with socks5h://" in dialog.proxy_note.text(), timeout=10_000)
    dialog.proxy.setText("socks5h://127.0.0.1:9050")
    qtbot.mouseClick(dialog.proxy_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.proxy_note.text() == "Proxy saved.", timeout=10_000)
    saved: list[str] = []
    window.runner.call(lambda s: s.field().sync.proxy()).success(saved.append)
    qtbot.waitUntil(lambda: saved == ["socks5h://127.0.0.1:9050"], timeout=10_000)
    from kpfield.gui.settings import settings_path

    dialog.auto.setChecked(False)  # writes the preferences file
    assert "9050" not in settings_path(world.root / "field0").read_text()  # not in plain text


def test_relay_set_on_the_laptop_overrides_the_profile_and_stays_in_the_vault(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    from kpfield.gui.settings import settings_path
    from tests.relay.servers import free_port

    dead = f"http://127.0.0.1:{free_port()}"  # the profile's relay: nothing listens there
    data, _ = world.hq.profile.export(relay_url=dead, purge_after_acknowledgement=False)
    world.field.profile.install(data)
    world.seal(seed=8)
    window, _net = field_window(qtbot, make_window, world)
    c = window.sync_controller
    assert window.sync is not None
    dialog = window.sync.open_dialog()
    assert dialog is not None
    assert f"Relay: {dead} (from the coalition profile)." in dialog.details.text()

    def save(url: str, expect: str) -> None:
        dialog.relay.setText(url)
        qtbot.mouseClick(dialog.relay_save, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: expect in dialog.relay_note.text(), timeout=10_000)

    save("ftp://relay.example.org", "must start with http:// or https://")
    save("https://user:pw@relay.example.org", "must not hold a password")
    save("http://relay.example.org", "Warning: plain http:// can be read on the way.")
    save("http://kpfieldrelay2xyz.onion", "Relay saved: sync now goes to http://kpfieldrelay2xyz.onion.")
    assert "Warning" not in dialog.relay_note.text()
    save(world.url + "/", f"Relay saved: sync now goes to {world.url}.")  # 127.0.0.1: no warning
    assert "Warning" not in dialog.relay_note.text()
    assert dialog.relay.text() == world.url
    qtbot.waitUntil(
        lambda: f"Relay: {world.url} (set on this laptop instead of the profile's)."
        in dialog.details.text(),
        timeout=10_000,
    )

    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.running and c.last_result is not None, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE, c.details()
    assert len(relay_uploads(world.relay_dir)) == 1  # it went to the laptop's relay
    pinned: list[list[str]] = []
    window.runner.call(
        lambda s: [str(r[0]) for r in s.vault.conn.execute("SELECT url FROM sync_relays")]
    ).success(pinned.append)
    qtbot.waitUntil(lambda: pinned == [[world.url]], timeout=10_000)

    # Kept in the vault (encrypted), never in the plain preferences file nor anywhere readable.
    dialog.auto.setChecked(False)  # writes the preferences file
    field_dir = world.root / "field0"
    assert world.url not in settings_path(field_dir).read_text()
    needle = world.url.encode()
    readable = [p for p in field_dir.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert readable == []

    save("", "No relay set on this laptop: sync goes to the profile's relay.")
    qtbot.waitUntil(lambda: f"Relay: {dead} (from the coalition profile)." in dialog.details.text(),
                    timeout=10_000)


def test_last_failure_is_kept_in_the_vault_and_shown_after_unlock(
    qtbot: QtBot, make_window: Any, world: World
) -> None:
    from kpfield.gui.settings import GuiSettings, save_settings

    save_settings(world.root / "field0", GuiSettings(auto_sync=False))
    world.seal(seed=9)
    world.relay.stop()
    window, _net = field_window(qtbot, make_window, world, online=True, max_failures=1)
    c = window.sync_controller
    assert c.start()
    qtbot.waitUntil(lambda: not c.running and c.failure is not None, timeout=30_000)
    assert c.failure is not None and c.failure.kind == "network"
    window.lock()
    assert c.failure is None  # forgotten with the keys; the vault has it
    idle(qtbot, window)  # the vault is closed

    s = reopen(world)  # what the vault holds, read through a fresh session
    try:
        saved = s.field().sync.last_failure()
        assert saved is not None and saved.kind == "network" and saved.at
        assert [e.message for e in saved.errors] == [
            "The connection to the relay failed (ConnectError)."
        ]
    finally:
        s.close()

    unlock(qtbot, window, PASSPHRASE)
    qtbot.waitUntil(lambda: c.failure is not None, timeout=10_000)
    assert not c.running  # automatic sync is off: what is shown is the saved reason
    assert c.state is SyncState.WAITING
    assert window.sync is not None
    dialog = window.sync.open_dialog()
    assert dialog is not None
    text = dialog.details.text()
    assert "The relay could not be reached." in text, text
    assert "The connection to the relay failed (ConnectError)." in text
    assert f"This happened on {saved.at[:16].replace('T', ' ')}." in text

    # A sync that finishes clears it, in the vault too.
    url = world.relay.start()  # on a new port: the laptop is told to use it
    window.runner.call(lambda s: setattr(s.field().sync, "settings", fast_settings()))
    window.runner.call(lambda s: s.field().sync.set_relay_override(url))
    idle(qtbot, window)
    assert c.start()
    qtbot.waitUntil(lambda: not c.running, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE, c.details()
    idle(qtbot, window)
    window.lock()
    idle(qtbot, window)
    s = reopen(world)
    try:
        assert s.field().sync.last_failure() is None
    finally:
        s.close()
    unlock(qtbot, window, PASSPHRASE)
    qtbot.waitUntil(lambda: c.status is not None, timeout=10_000)
    assert c.failure is None


def test_relay_ca_chosen_in_the_dialog_is_kept_in_the_vault_and_used_over_tls(
    qtbot: QtBot, make_window: Any, world: World, tmp_path: Path
) -> None:
    from tests.sync.test_tls import Authority, serve_tls

    ca = Authority.make("KP coalition test CA")
    cert, key = ca.issue(tmp_path / "tls", "127.0.0.1", "localhost")
    url = serve_tls(world, cert, key)
    ca_file = ca.write(tmp_path / "coalition-ca.pem")
    world.seal(seed=9)
    window, _net = field_window(qtbot, make_window, world)
    c = window.sync_controller
    assert window.sync is not None
    dialog = window.sync.open_dialog()
    assert dialog is not None
    assert dialog.ca_label.text() == "None: the system's certificate authorities"
    assert not dialog.ca_clear.isEnabled()
    dialog.relay.setText(url)
    qtbot.mouseClick(dialog.relay_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Relay saved" in dialog.relay_note.text(), timeout=10_000)

    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a certificate", encoding="utf-8")
    dialog.choose_ca(garbage)
    qtbot.waitUntil(lambda: "not a certificate in PEM form" in dialog.ca_note.text(),
                    timeout=10_000)  # fmt: skip
    dialog.choose_ca(tmp_path / "tls" / "tls.crt")  # the relay's own, not the CA
    qtbot.waitUntil(lambda: "not a CA certificate" in dialog.ca_note.text(), timeout=10_000)
    assert dialog.ca_label.text() == "None: the system's certificate authorities"

    # Without the coalition's CA the relay's certificate is refused before anything is sent.
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.running and c.last_result is None and c.state is not
                    SyncState.SYNCING, timeout=30_000)  # fmt: skip
    qtbot.waitUntil(lambda: "certificate" in dialog.details.text(), timeout=30_000)
    assert relay_uploads(world.relay_dir) == []

    dialog.choose_ca(ca_file)
    qtbot.waitUntil(lambda: "Saved: sync now trusts only this CA" in dialog.ca_note.text(),
                    timeout=10_000)  # fmt: skip
    assert dialog.ca_label.text().startswith("CN=KP coalition test CA, valid until ")
    assert dialog.ca_clear.isEnabled()
    ca_file.unlink()  # kept in the vault: the file may go
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.running and c.last_result is not None, timeout=30_000)
    assert c.state is SyncState.UP_TO_DATE, c.details()
    assert len(relay_uploads(world.relay_dir)) == 1
    dialog.close()

    again = window.sync.open_dialog()  # shown again from the vault
    assert again is not None
    qtbot.waitUntil(lambda: again.ca_label.text().startswith("CN=KP coalition test CA"),
                    timeout=10_000)  # fmt: skip
    qtbot.mouseClick(again.ca_clear, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.ca_label.text() == "None: the system's certificate authorities",
                    timeout=10_000)  # fmt: skip
    kept: list[str] = []
    window.runner.call(lambda s: s.vault.meta("sync_relay_ca_pem")).success(kept.append)
    qtbot.waitUntil(lambda: kept == [""], timeout=10_000)
