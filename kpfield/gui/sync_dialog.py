"""The sync dialog: state, progress, counts, the last failure in words; Sync now / Stop; the
settings (automatic, metered, proxy, the laptop's own relay URL and the relay's CA certificate).

The proxy, the relay URL and the CA certificate are kept in the vault, not in the preferences
file: they say how and where the monitor reaches the coalition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
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
from kpfield.errors import UsageError
from kpfield.gui.sync_panel import SyncController, SyncState
from kpfield.gui.tasks import user_message
from kpfield.services.sync import RelayCa, RelaySetting


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
        self.ca_label = QLabel()
        self.ca_label.setObjectName("syncCa")
        self.ca_label.setWordWrap(True)
        self.ca_choose = QPushButton(_("Choose…"))
        self.ca_choose.setObjectName("syncCaChoose")
        self.ca_clear = QPushButton(_("Use the system's"))
        self.ca_clear.setObjectName("syncCaClear")
        row = QHBoxLayout()
        row.addWidget(self.ca_choose)
        row.addWidget(self.ca_clear)
        row.addStretch(1)
        form.addRow(_("Relay CA certificate"), row)
        form.addRow(self.ca_label)
        self.ca_note = QLabel()
        self.ca_note.setObjectName("syncCaNote")
        self.ca_note.setWordWrap(True)
        self.ca_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.ca_note)
        self._show_ca(None)
        self.form = form
        for note in (self.proxy_note, self.relay_note, self.ca_note):
            form.setRowVisible(note, False)  # an empty note would leave a gap
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
        self.ca_choose.clicked.connect(self._pick_ca)
        self.ca_clear.clicked.connect(self.clear_ca)
        controller.changed.connect(self.update_view)
        self.update_view()
        if controller.active:
            controller.runner.call(_saved_addresses).success(self._show_addresses)

    def _sync_now(self) -> None:
        self.controller.start()

    def _show_addresses(self, saved: tuple[str, str, RelayCa | None]) -> None:
        self.proxy.setText(saved[0])
        self.relay.setText(saved[1])
        self._show_ca(saved[2])

    def _say(self, note: QLabel, text: str) -> None:
        note.setText(text)
        self.form.setRowVisible(note, bool(text))

    def _pick_ca(self) -> None:
        self.choose_ca()

    def choose_ca(self, path: Path | None = None) -> None:
        """Ask for the coalition's CA certificate (unless ``path`` is given), check it, keep it."""
        _ = self.controller.ctx.gettext
        if path is None:
            name, _f = QFileDialog.getOpenFileName(
                self, _("The relay's CA certificate"), "",
                _("Certificates (*.pem *.crt *.cer);;All files (*)"),
            )  # fmt: skip
            if not name:
                return
            path = Path(name)
        chosen = path
        self.controller.runner.call(lambda s: s.field().sync.load_relay_ca(chosen)).success(
            self._ca_saved
        ).failure(lambda exc: self._say(self.ca_note, user_message(exc, _)))

    def clear_ca(self) -> None:
        _ = self.controller.ctx.gettext
        self.controller.runner.call(lambda s: s.field().sync.clear_relay_ca()).success(
            lambda _r: self._ca_cleared()
        ).failure(lambda exc: self._say(self.ca_note, user_message(exc, _)))

    def _ca_cleared(self) -> None:
        _ = self.controller.ctx.gettext
        self._show_ca(None)
        self._say(self.ca_note, _("No CA certificate kept: https:// relays are checked against"
                                  " the system's certificate authorities."))  # fmt: skip

    def _ca_saved(self, ca: RelayCa) -> None:
        _ = self.controller.ctx.gettext
        self._show_ca(ca)
        text = _("Saved: sync now trusts only this CA for an https:// relay. Its SHA-256"
                 " fingerprint: {fingerprint}").format(fingerprint=ca.fingerprint)  # fmt: skip
        if ca.expired(dt.datetime.now(dt.UTC).date()):
            text += " " + _("Warning: it expired on {date}; a relay it signed will be refused."
                            ).format(date=ca.not_after)  # fmt: skip
        self._say(self.ca_note, text)

    def _show_ca(self, ca: RelayCa | None) -> None:
        _ = self.controller.ctx.gettext
        self.ca_clear.setEnabled(ca is not None)
        if ca is None:
            self.ca_label.setText(_("None: the system's certificate authorities"))
        else:
            self.ca_label.setText(_("{subject}, valid until {date}").format(
                subject=ca.subject, date=ca.not_after))  # fmt: skip

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
            lambda _r: self._say(
                self.proxy_note,
                _("Proxy saved.") if url else _("No proxy: sync connects directly."),
            )
        ).failure(lambda exc: self._say(self.proxy_note, user_message(exc, _)))

    def _save_relay(self) -> None:
        _ = self.controller.ctx.gettext
        url = self.relay.text()
        self.controller.runner.call(lambda s: s.field().sync.set_relay_override(url)).success(
            self._relay_saved
        ).failure(lambda exc: self._say(self.relay_note, user_message(exc, _)))

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
        self._say(self.relay_note, text)
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


def _saved_addresses(s: Session) -> tuple[str, str, RelayCa | None]:
    sync = s.field().sync
    try:
        ca = sync.relay_ca()
    except UsageError:
        ca = None  # unreadable: a sync says so (tls_context) and the monitor chooses it again
    return sync.proxy(), sync.relay_override(), ca
