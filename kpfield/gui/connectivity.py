"""Whether the laptop has a network, as the platform tells it (DESIGN.md §3: an interface, a real
implementation, a small fake for tests).

The real one is Qt's ``QNetworkInformation`` (PySide6-Essentials ships QtNetwork: NetworkManager
on Linux, Network List Manager on Windows, SCNetworkReachability on macOS). Where no backend
loads, :class:`Connectivity` answers "unknown" and the sync controller probes instead: it simply
tries a sync now and then, backing off after each failure (the first request of a sync, reading
the relay's identity, is a few hundred bytes).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Connectivity(QObject):
    """A platform that cannot tell: :meth:`online` is ``None`` and nothing is ever signalled."""

    online_changed = Signal(bool)

    def online(self) -> bool | None:
        """True (a network is up), False (none), None (the platform cannot tell)."""
        return None

    def metered(self) -> bool:
        """The platform says the connection costs per byte (a phone tether, a satellite plan)."""
        return False


class QtConnectivity(Connectivity):
    """``QNetworkInformation``'s reachability: Site or Online count as up."""

    def __init__(self, info: Any, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        super().__init__(parent)
        self._kind = QNetworkInformation
        self._info = info
        self._last = self.online()
        info.reachabilityChanged.connect(self._reachability)

    def online(self) -> bool | None:
        r = self._info.reachability()
        reach = self._kind.Reachability
        if r == reach.Unknown:
            return None
        return bool(r in (reach.Online, reach.Site))

    def metered(self) -> bool:
        return bool(
            self._info.supports(self._kind.Feature.Metered) and self._info.isMetered()
        )

    def _reachability(self, _r: object) -> None:
        now = self.online()
        if now is not None and now != self._last:
            self.online_changed.emit(now)
        self._last = now


def system_connectivity(parent: QObject | None = None) -> Connectivity:
    """The platform's network information, or an "unknown" one if no backend loads (or the
    packaged app leaves QtNetwork out, as the Linux build does to stay small)."""
    try:
        from PySide6.QtNetwork import QNetworkInformation
    except ImportError:
        log.info("no QtNetwork; sync probes the relay instead")
        return Connectivity(parent)
    try:
        if QNetworkInformation.loadDefaultBackend():
            info = QNetworkInformation.instance()
            if info is not None:
                return QtConnectivity(info, parent)
    except RuntimeError:  # no backend for this platform
        pass
    log.info("no network information backend; sync probes the relay instead")
    return Connectivity(parent)
