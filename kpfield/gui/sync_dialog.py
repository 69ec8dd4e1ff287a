"""The sync dialog: state, progress, counts, the last failure in words; Sync now / Stop; the
settings (automatic, metered, proxy, and the laptop's own relay URL).

The proxy and the relay URL are kept in the vault, not in the preferences file: they say how and
where the monitor reaches the coalition.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.gui.sync_panel import SyncController, SyncState
from kpfield.gui.tasks import user_message
from kpfield.services.sync import RelaySetting


class SyncDialog(QDialog):
    """State, progress, counts, the last failure in words; Sync now / Stop; the three settings."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        ctx = controller.ctx
        _ = ctx.gettext
        self.setObjectName("syncDialog")
        self.setProperty("helpPage", "sending")  # F1: kpfield.gui.help_page
        self.setWindowTitle(_("Sync with headquarters"))
        self.setMinimumWidth(660)
        v = QVBoxLayout(self)
        self.state_label = QLabel()
        self.state_label.setObjectName("syncState")
        self.state_label.setStyleSheet("font-size: 15pt; font-weight: 600;")
        v.addWidget(self.state_label)
        self.bar = QProgressBar()
        self.bar.setObjectName("syncProgress")
        v.addWidget(self.bar)
        self.details = QLabel()
        self.details.setObjectName("syncDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.details)
        form = QFormLayout()
        self.auto = QCheckBox(_("Sync by itself when the network comes back"))
        self.auto.setObjectName("syncAuto")
        self.auto.setChecked(ctx.settings.auto_sync)
        self.metered = QCheckBox(
            _("Metered connection (paid per megabyte): sync only when I ask")
        )
        self.metered.setObjectName("syncMetered")
        self.metered.setChecked(ctx.settings.metered)
        form.addRow(self.auto)
        form.addRow(self.metered)
        self.proxy = QLineEdit()
        self.proxy.setObjectName("syncProxy")
        self.proxy.setPlaceholderText("socks5h://127.0.0.1:9050")
        self.proxy_save = QPushButton(_("Save proxy"))
        self.proxy_save.setObjectName("syncProxySave")
        row = QHBoxLayout()
        row.addWidget(self.proxy, 1)
        row.addWidget(self.proxy_save)
        form.addRow(_("Proxy (Tor: socks5h://127.0.0.1:9050)"), row)
        self.proxy_note = QLabel()
        self.proxy_note.setWordWrap(True)
        form.addRow(self.proxy_note)
        self.relay = QLineEdit()
        self.relay.setObjectName("syncRelay")
        self.relay.setPlaceholderText(_("the profile's relay"))
        self.relay_save = QPushButton(_("Save relay"))
        self.relay_save.setObjectName("syncRelaySave")
        row = QHBoxLayout()
        row.addWidget(self.relay, 1)
        row.addWidget(self.relay_save)
        form.addRow(_("Relay address (empty: the profile's)"), row)
        self.relay_note = QLabel()
        self.relay_note.setObjectName("syncRelayNote")
        self.relay_note.setWordWrap(True)
        form.addRow(self.relay_note)
        v.addLayout(form)
        buttons = QDialogButtonBox()
        self.sync_button = buttons.addButton(_("Sync now"), QDialogButtonBox.ButtonRole.ActionRole)
        self.sync_button.setObjectName("syncNow")
        self.stop_button = buttons.addButton(_("Stop"), QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.setObjectName("syncStop")
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        v.addWidget(buttons)
        self.sync_button.clicked.connect(self._sync_now)
        self.stop_button.clicked.connect(controller.cancel)
        self.auto.toggled.connect(self._switches)
        self.metered.toggled.connect(self._switches)
        self.proxy_save.clicked.connect(self._save_proxy)
        self.relay_save.clicked.connect(self._save_relay)
        controller.changed.connect(self.update_view)
        self.update_view()
        if controller.active:
            controller.runner.call(_saved_addresses).success(self._show_addresses)

    def _sync_now(self) -> None:
        self.controller.start()

    def _show_addresses(self, saved: tuple[str, str]) -> None:
        self.proxy.setText(saved[0])
        self.relay.setText(saved[1])

    def _switches(self) -> None:
        c = self.controller
        c.ctx.settings = replace(
            c.ctx.settings, auto_sync=self.auto.isChecked(), metered=self.metered.isChecked()
        )
        c.settings_changed()

    def _save_proxy(self) -> None:
        _ = self.controller.ctx.gettext
        url = self.proxy.text().strip()
        self.controller.runner.call(lambda s: s.field().sync.set_proxy(url)).success(
            lambda _r: self.proxy_note.setText(
                _("Proxy saved.") if url else _("No proxy: sync connects directly.")
            )
        ).failure(lambda exc: self.proxy_note.setText(user_message(exc, _)))

    def _save_relay(self) -> None:
        _ = self.controller.ctx.gettext
        url = self.relay.text()
        self.controller.runner.call(lambda s: s.field().sync.set_relay_override(url)).success(
            self._relay_saved
        ).failure(lambda exc: self.relay_note.setText(user_message(exc, _)))

    def _relay_saved(self, saved: RelaySetting) -> None:
        _ = self.controller.ctx.gettext
        self.relay.setText(saved.url)
        if not saved.url:
            text = _("No relay set on this laptop: sync goes to the profile's relay.")
        else:
            text = _("Relay saved: sync now goes to {url}.").format(url=saved.url)
        if saved.plain_http:
            text += " " + _(
                "Warning: plain http:// can be read on the way. The reports stay encrypted,"
                " but who sends how much, and when, shows. Use https:// if the relay has it."
            )
        self.relay_note.setText(text)
        self.controller.refresh()  # the details name the relay a sync goes to

    def update_view(self) -> None:
        c = self.controller
        self.state_label.setText(c.headline())
        running = c.running
        if running and c.progress is not None and c.progress[1] > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(min(1000, 1000 * c.progress[0] // c.progress[1]))
        elif running:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1)
            self.bar.setValue(1 if c.state is SyncState.UP_TO_DATE else 0)
        self.bar.setTextVisible(running)
        self.details.setText("\n".join(c.details()))
        self.sync_button.setEnabled(c.active and not running)
        self.stop_button.setEnabled(running)


def _saved_addresses(s: Session) -> tuple[str, str]:
    sync = s.field().sync
    return sync.proxy(), sync.relay_override()
