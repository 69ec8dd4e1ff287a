"""A calendar to pick an incident date (the date field also takes YYYY-MM or YYYY by hand)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtWidgets import QCalendarWidget, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page

QT_LOCALES = {"en": "en_GB", "fr": "fr_FR", "pt": "pt_PT"}


class DatePicker(QDialog):
    picked = Signal(str)  # YYYY-MM-DD

    def __init__(self, ctx: AppContext, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _ = ctx.gettext
        self.setObjectName("datePicker")
        set_help_page(self, "editor")
        self.setWindowTitle(_("Incident date"))
        v = QVBoxLayout(self)
        self.calendar = QCalendarWidget()
        self.calendar.setObjectName("calendar")
        self.calendar.setLocale(QLocale(QT_LOCALES.get(ctx.i18n.language, "en_GB")))
        self.calendar.setGridVisible(True)
        self.calendar.setMaximumDate(QDate.currentDate())  # an incident has already happened
        try:
            start = date.fromisoformat(current.strip())
            self.calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        except ValueError:
            self.calendar.setSelectedDate(QDate.currentDate())
        v.addWidget(self.calendar)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.calendar.activated.connect(lambda _d: self.accept())
        v.addWidget(buttons)

    def accept(self) -> None:
        self.picked.emit(self.calendar.selectedDate().toString("yyyy-MM-dd"))
        super().accept()
