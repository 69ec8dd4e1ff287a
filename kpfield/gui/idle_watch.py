"""Locks after a quiet period: any key press or mouse use in the app restarts the countdown."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatch(QObject):
    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self._ceiling: int | None = None
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        """The monitor's own choice; the coalition's policy may only make it shorter."""
        self._minutes = max(minutes, 1)
        self._apply()

    def set_ceiling(self, minutes: int | None) -> None:
        """The coalition profile's idle-lock policy: a maximum, or None for no policy."""
        self._ceiling = minutes if minutes and minutes > 0 else None
        self._apply()

    @property
    def effective_minutes(self) -> int:
        return min(self._minutes, self._ceiling) if self._ceiling else self._minutes

    def _apply(self) -> None:
        self.set_interval_ms(self.effective_minutes * 60_000)

    def set_interval_ms(self, ms: int) -> None:
        self.timer.setInterval(ms)
        if self.timer.isActive():
            self.timer.start()

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False
