"""Incident and place fields: title, date with precision, categories, place, position."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.models import Coordinates, CoordinateSource, DatePrecision, IncidentDate, Place
from kpfield.domain.models import Report as ReportRecord
from kpfield.domain.position import Axis, format_degrees, parse_coordinate, parse_position
from kpfield.domain.taxonomy import Term
from kpfield.gui.context import AppContext
from kpfield.gui.labels import COORD_SOURCE, PRECISION

_PATTERNS = {
    DatePrecision.DAY: r"\d{4}-\d{2}-\d{2}",
    DatePrecision.MONTH: r"\d{4}-\d{2}",
    DatePrecision.YEAR: r"\d{4}",
}


def parse_date(text: str, approximate: bool) -> IncidentDate | None:
    """``2026-10-03``, ``2026-10`` or ``2026`` (precision from the form); None if not a date."""
    value = text.strip()
    for precision, pattern in _PATTERNS.items():
        if re.fullmatch(pattern, value):
            padded = value + {"day": "", "month": "-01", "year": "-01-01"}[precision.value]
            try:
                date.fromisoformat(padded)
            except ValueError:
                return None
            return IncidentDate(value, precision, approximate)
    return None


REQUIRED_MARK = " *"
"""After the label of a field sealing needs (the legend under the form says so)."""


def mark_required(label: str, widget: QWidget, gettext: Callable[[str], str]) -> str:
    """The label with its mark; a screen reader hears "(required)" instead of a star."""
    widget.setAccessibleName(gettext("{field} (required)").format(field=label))
    return label + REQUIRED_MARK


def parse_degrees(text: str, limit: int) -> int | None:
    """A latitude (``limit`` 90) or longitude (180) as typed -> micro-degrees, or None."""
    return parse_coordinate(text, Axis.LATITUDE if limit == 90 else Axis.LONGITUDE)


class IncidentForm(QWidget):
    edited = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        outer = QGridLayout(self)

        left = QGroupBox(_("Incident"))
        form = QFormLayout(left)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.title = QLineEdit()
        self.title.setObjectName("titleEdit")
        self.title.setPlaceholderText(_("A short title: what, where"))
        form.addRow(mark_required(_("Title"), self.title, _), self.title)
        self.date = QLineEdit()
        self.date.setObjectName("dateEdit")
        self.date.setPlaceholderText(_("YYYY-MM-DD"))  # the hint below names the other forms
        self.calendar_button = QToolButton()
        self.calendar_button.setObjectName("calendarButton")
        self.calendar_button.setText(_("Calendar…"))
        self.calendar_button.clicked.connect(self.pick_date)
        self.approximate = QCheckBox(_("Approximate"))
        self.date_hint = QLabel()
        self.date_hint.setObjectName("dateHint")
        self.date_hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.date, 1)
        row.addWidget(self.calendar_button)
        form.addRow(mark_required(_("Date"), self.date, _), row)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.date_hint, 1)
        hint_row.addWidget(self.approximate)
        form.addRow("", hint_row)
        self.people = QSpinBox()
        self.people.setObjectName("peopleAffected")
        self.people.setRange(0, 1_000_000)
        self.people.setSpecialValueText(_("Not known"))
        form.addRow(_("People affected"), self.people)
        # Above the fields, where it is seen without scrolling (1366×768, French and Portuguese).
        self.legend = QLabel(
            _("* Needed before sealing. For the place, the site or the area is enough.")
        )
        self.legend.setObjectName("requiredLegend")
        self.legend.setWordWrap(True)
        outer.addWidget(self.legend, 0, 0, 1, 2)
        outer.addWidget(left, 1, 0)
        self.categories = self._term_list(ctx.terms().categories, "categoryList")
        self.perpetrators = self._term_list(ctx.terms().perpetrators, "perpetratorList")
        what = QGroupBox(mark_required(_("What happened"), self.categories, _))
        QVBoxLayout(what).addWidget(self.categories)
        who = QGroupBox(_("Who did it"))
        QVBoxLayout(who).addWidget(self.perpetrators)
        outer.addWidget(what, 2, 0)
        outer.addWidget(who, 2, 1)
        outer.setColumnStretch(0, 3)
        outer.setColumnStretch(1, 2)
        outer.setRowStretch(2, 1)

        right = QGroupBox(_("Place"))
        pform = QFormLayout(right)
        pform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.site = QLineEdit()
        self.site.setObjectName("siteEdit")
        self.site.setPlaceholderText(_("Mine, digging site or village"))
        self.area = QLineEdit()
        self.area.setObjectName("areaEdit")
        self.area.setPlaceholderText(_("District or region"))
        self.country = QLineEdit()
        self.country.setObjectName("countryEdit")
        self.country.setMaxLength(2)
        self.country.setMaximumWidth(90)
        self.country.setPlaceholderText(_("2 letters"))  # not "SL": it looked like a value
        self.country.setValidator(QRegularExpressionValidator(r"[A-Za-z]{0,2}", self.country))
        # The site or the area: both carry the mark, the legend says one of them is enough.
        pform.addRow(mark_required(_("Site"), self.site, _), self.site)
        pform.addRow(mark_required(_("Area"), self.area, _), self.area)
        pform.addRow(mark_required(_("Country code"), self.country, _), self.country)
        self.has_position = QCheckBox(_("I have coordinates"))
        self.has_position.setObjectName("hasPosition")
        pform.addRow(self.has_position)
        self.lat = QLineEdit()
        self.lat.setObjectName("latEdit")
        self.lat.setPlaceholderText(_("e.g. 8°38'35\"N"))
        self.lon = QLineEdit()
        self.lon.setObjectName("lonEdit")
        self.lon.setPlaceholderText(_("e.g. 10°58'16\"W"))
        self.source = QComboBox()
        self.source.setObjectName("positionSource")
        for src, label in COORD_SOURCE.items():
            self.source.addItem(_(label), src.value)
        pform.addRow(_("Latitude"), self.lat)
        pform.addRow(_("Longitude"), self.lon)
        pform.addRow(_("Source"), self.source)
        self.position_hint = QLabel()
        self.position_hint.setObjectName("positionHint")
        self.position_hint.setWordWrap(True)
        pform.addRow(self.position_hint)
        outer.addWidget(right, 1, 1)

        for line in (self.title, self.date, self.site, self.area, self.country, self.lat, self.lon):
            line.textEdited.connect(self._changed)
        self.country.textEdited.connect(self._upper_country)
        self.approximate.toggled.connect(self._changed)
        self.has_position.toggled.connect(self._changed)
        self.has_position.toggled.connect(self._update_position_enabled)
        self.source.currentIndexChanged.connect(self._changed)
        self.people.valueChanged.connect(self._changed)
        self.categories.itemChanged.connect(self._changed)
        self.perpetrators.itemChanged.connect(self._changed)
        self.date.textChanged.connect(self._update_date_hint)
        self.lat.textChanged.connect(self._update_position_hint)
        self.has_position.toggled.connect(self._update_position_hint)
        self.lon.textChanged.connect(self._update_position_hint)
        self._loading = False
        self._read_only = False
        self.lat.editingFinished.connect(self._split_pasted_pair)
        self._update_position_enabled()
        self._update_position_hint()

    def _term_list(self, terms: tuple[Term, ...], name: str) -> QListWidget:
        lst = QListWidget()
        lst.setObjectName(name)
        for term in terms:
            item = QListWidgetItem(self.ctx.gettext(term.label))
            item.setData(Qt.ItemDataRole.UserRole, term.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(item.text())
            lst.addItem(item)
        lst.setMinimumHeight(150)
        lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Long labels (the conflict-diamond definition, in French above all) wrap, never cut.
        lst.setWordWrap(True)
        lst.setResizeMode(QListView.ResizeMode.Adjust)
        lst.setTextElideMode(Qt.TextElideMode.ElideNone)
        return lst

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.edited.emit()

    def _upper_country(self, text: str) -> None:
        if text != text.upper():
            pos = self.country.cursorPosition()
            self.country.setText(text.upper())
            self.country.setCursorPosition(pos)

    def _update_position_enabled(self) -> None:
        on = self.has_position.isChecked() and not self._read_only
        for w in (self.lat, self.lon, self.source):
            w.setEnabled(on)

    def _split_pasted_pair(self) -> None:
        """Both coordinates pasted into Latitude ("8°38'35"N 10°58'16"W"): put each in its place."""
        if self._read_only or parse_degrees(self.lat.text(), 90) is not None:
            return
        pair = parse_position(self.lat.text())
        if pair is not None and not self.lon.text().strip():
            self.lat.setText(format_degrees(pair[0]))
            self.lon.setText(format_degrees(pair[1]))
            self._changed()

    def position_problem(self) -> str:
        """Why the typed position cannot be stored ("" when it can, or when there is none)."""
        _ = self.ctx.gettext
        if not self.has_position.isChecked():
            return ""
        lat, lon = self.lat.text().strip(), self.lon.text().strip()
        if not lat and not lon:
            return ""
        if (lat and parse_degrees(lat, 90) is None) or (lon and parse_degrees(lon, 180) is None):
            return _("the position is not understood")
        if not lat or not lon:
            return _("the position needs both latitude and longitude")
        return ""

    def unstorable(self) -> list[str]:
        """What is typed here but cannot be saved as it is (the editor stays unsaved)."""
        _ = self.ctx.gettext
        problems = []
        position = self.position_problem()
        if position:
            problems.append(position)
        country = self.country.text().strip()
        if len(country) == 1:
            problems.append(_("the country code needs two letters"))
        return problems

    def _update_position_hint(self) -> None:
        """Say at once when a position is not understood (it cannot be saved as typed)."""
        _ = self.ctx.gettext
        lat = parse_degrees(self.lat.text(), 90)
        lon = parse_degrees(self.lon.text(), 180)
        # Half-typed (one coordinate so far) is not an error yet; not understood is.
        problem = (lat is None and bool(self.lat.text().strip())) or (
            lon is None and bool(self.lon.text().strip())
        )
        if problem:
            text = _(
                "Not understood yet: write 8°38'35\"N and 10°58'16\"W, or decimal degrees like "
                "8.643210 and -10.971230 (south and west negative)."
            )
        elif lat is not None and lon is not None:
            text = _("Understood as {lat}, {lon} (decimal degrees).").format(
                lat=format_degrees(lat), lon=format_degrees(lon)
            )
        else:
            text = _(
                "Degrees-minutes-seconds (8°38'35\"N) or decimal degrees (south and west negative)."
            )
        self.position_hint.setText(text)
        self.position_hint.setProperty("problem", problem)
        self.position_hint.setStyleSheet("color: #a32020;" if problem else "")

    def _update_date_hint(self) -> None:
        _ = self.ctx.gettext
        text = self.date.text().strip()
        parsed = parse_date(text, False)
        if not text:
            self.date_hint.setText(_("No date yet: YYYY-MM-DD, YYYY-MM or YYYY"))
        elif parsed is None:
            self.date_hint.setText(_("Not a date yet: use YYYY-MM-DD, YYYY-MM or YYYY"))
        else:
            self.date_hint.setText(
                _("Known to the {precision}").format(precision=_(PRECISION[parsed.precision]))
            )

    def pick_date(self) -> None:
        from kpfield.gui.date_picker import DatePicker

        if self._read_only:
            return
        picker = DatePicker(self.ctx, self.date.text(), self)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.picked.connect(self._date_picked)
        picker.open()

    def _date_picked(self, value: str) -> None:
        self.date.setText(value)
        self._changed()

    # ---------------------------------------------------------------- load / collect
    def load(self, report: ReportRecord) -> None:
        self._loading = True
        try:
            self.title.setText(report.title)
            d = report.incident_date
            self.date.setText(d.value if d else "")
            self.approximate.setChecked(bool(d and d.approximate))
            self.people.setValue(report.people_affected or 0)
            self._check(self.categories, set(report.categories))
            self._check(self.perpetrators, set(report.perpetrators))
            p = report.place
            self.site.setText(p.site)
            self.area.setText(p.area)
            self.country.setText(p.country)
            c = p.coordinates
            self.has_position.setChecked(c is not None)
            self.lat.setText(format_degrees(c.lat_micro) if c else "")
            self.lon.setText(format_degrees(c.lon_micro) if c else "")
            if c:
                self.source.setCurrentIndex(max(self.source.findData(c.source.value), 0))
            self._update_date_hint()
            for line in (self.title, self.site, self.area, self.lat, self.lon):
                line.setCursorPosition(0)  # a long value shows its start, not its end
        finally:
            self._loading = False

    @staticmethod
    def _check(lst: QListWidget, ids: set[str]) -> None:
        for i in range(lst.count()):
            item = lst.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    @staticmethod
    def _checked(lst: QListWidget) -> tuple[str, ...]:
        return tuple(
            str(lst.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(lst.count())
            if lst.item(i).checkState() == Qt.CheckState.Checked
        )

    def apply_to(self, report: ReportRecord) -> ReportRecord:
        """The report with this form's values; unparseable date or position keep the old one."""
        date_value = parse_date(self.date.text(), self.approximate.isChecked())
        if date_value is None and self.date.text().strip():
            # Not understood yet ("early Oct 2026"): keep it as typed; sealing will ask for a
            # date like 2026-10-03, 2026-10 or 2026.
            date_value = IncidentDate(
                self.date.text().strip()[:40], DatePrecision.DAY, self.approximate.isChecked()
            )
        coords = None
        if self.has_position.isChecked():
            lat = parse_degrees(self.lat.text(), 90)
            lon = parse_degrees(self.lon.text(), 180)
            if lat is not None and lon is not None:
                coords = Coordinates(lat, lon, CoordinateSource(str(self.source.currentData())))
            else:
                coords = report.place.coordinates
        people = self.people.value() or None
        return replace(
            report,
            title=self.title.text().strip()[:300],
            incident_date=date_value,
            people_affected=people,
            categories=self._checked(self.categories),
            perpetrators=self._checked(self.perpetrators),
            place=Place(
                site=self.site.text().strip()[:300],
                area=self.area.text().strip()[:300],
                country=self._country(report.place.country),
                coordinates=coords,
            ),
        )

    def _country(self, previous: str) -> str:
        text = self.country.text().strip().upper()
        if len(text) == 2 or not text:
            return text
        return previous  # half-typed: keep what was there

    def set_read_only(self, read_only: bool) -> None:
        self._loading = True  # flag changes emit itemChanged: not an edit
        try:
            self._set_read_only(read_only)
        finally:
            self._loading = False

    def _set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for line in (self.title, self.date, self.site, self.area, self.country, self.lat, self.lon):
            line.setReadOnly(read_only)
        for w in (self.approximate, self.has_position, self.source, self.people,
                  self.calendar_button):
            w.setEnabled(not read_only)
        for lst in (self.categories, self.perpetrators):
            for i in range(lst.count()):
                item = lst.item(i)
                flags = item.flags()
                if read_only:
                    flags &= ~Qt.ItemFlag.ItemIsUserCheckable
                else:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                item.setFlags(flags)
        self._update_position_enabled()

    def position_typed(self) -> str:
        """The position as it stands on screen ("" when none is set)."""
        if not self.has_position.isChecked():
            return ""
        lat, lon = self.lat.text().strip(), self.lon.text().strip()
        return f"{lat}, {lon}" if lat or lon else ""

    def set_position(self, lat_micro: int, lon_micro: int, source: CoordinateSource) -> None:
        """Put a position in (e.g. from a photo's EXIF GPS) as if typed: it autosaves."""
        if self._read_only:
            return
        self.has_position.setChecked(True)
        self.lat.setText(format_degrees(lat_micro))
        self.lon.setText(format_degrees(lon_micro))
        index = self.source.findData(source.value)
        if index >= 0:
            self.source.setCurrentIndex(index)
        self._changed()
