"""The cases filter bar: every CaseFilter field as a control; emits the filter when it changes."""

from __future__ import annotations

from PySide6.QtCore import QDate, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

from kpfield.domain.desk import (
    CONSENT_LABELS,
    REVIEW_LABELS,
    VERIFICATION_LABELS,
    CaseFilter,
)
from kpfield.gui.context import AppContext


class FilterBar(QWidget):
    changed = Signal(object)  # CaseFilter

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseFilterBar")
        self.ctx = ctx
        _ = ctx.gettext
        terms = ctx.terms()
        self.search = QLineEdit()
        self.search.setObjectName("caseSearch")
        self.search.setPlaceholderText(_("Search all reports (accents ignored)"))
        cats = [(t.id, _(t.label)) for t in terms.categories]
        perps = [(t.id, _(t.label)) for t in terms.perpetrators]
        consents = [(k.value, _(v)) for k, v in CONSENT_LABELS.items()]
        checks = [(k.value, _(v)) for k, v in VERIFICATION_LABELS.items()]
        reviews = [(k.value, _(v)) for k, v in REVIEW_LABELS.items()]
        self.category = self._combo("caseCategory", _("Any category"), cats)
        self.perpetrator = self._combo("casePerpetrator", _("Any perpetrator"), perps)
        self.country = self._combo("caseCountry", _("Any country"), [])
        self.site = self._combo("caseSite", _("Any site"), [])
        self.device = self._combo("caseDevice", _("Any device"), [])
        self.consent = self._combo("caseConsent", _("Any consent"), consents)
        self.verification = self._combo("caseVerification", _("Any verification"), checks)
        self.review = self._combo("caseReview", _("Any review state"), reviews)
        self.use_dates = QCheckBox(_("Between"))
        self.use_dates.setObjectName("caseUseDates")
        self.date_from = QDateEdit(QDate(2000, 1, 1))
        self.date_to = QDateEdit(QDate.currentDate())
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        # Three columns, so that the longest "any …" of French and Portuguese fits at 1366 px
        # beside the open report; the lists themselves open as wide as their longest entry.
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.search, 0, 0, 1, 3)
        combos = (self.category, self.perpetrator, self.country, self.site, self.device,
                  self.consent, self.verification, self.review)  # fmt: skip
        for i, w in enumerate(combos):
            grid.addWidget(w, 1 + i // 3, i % 3)
        dates = QHBoxLayout()
        dates.setContentsMargins(0, 0, 0, 0)
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel(_("and")))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        grid.addLayout(dates, 4, 0, 1, 3)
        for col in range(3):
            grid.setColumnStretch(col, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._emit)
        for combo in (self.category, self.perpetrator, self.country, self.site, self.device,
                      self.consent, self.verification, self.review):  # fmt: skip
            combo.currentIndexChanged.connect(lambda _i: self._emit())
            combo.currentTextChanged.connect(lambda t, c=combo: c.setToolTip(t))
        self.use_dates.toggled.connect(lambda _b: self._emit())
        self.date_from.dateChanged.connect(self._date_changed)
        self.date_to.dateChanged.connect(self._date_changed)

    def _combo(self, name: str, anything: str, items: list[tuple[str, str]]) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(12)
        box.addItem(anything, "")
        for value, label in items:
            box.addItem(label, value)
        self._fit_popup(box)
        return box

    @staticmethod
    def _fit_popup(box: QComboBox) -> None:
        """The open list as wide as its longest entry, even when the box itself is narrower."""
        view = box.view()
        # Measured from the texts (the view has no size before it opens), in the larger of the
        # box's and the list's fonts: the open list takes the box's font.
        widest = max(
            (fm.horizontalAdvance(box.itemText(i))
             for fm in (box.fontMetrics(), view.fontMetrics()) for i in range(box.count())),
            default=0,
        )  # fmt: skip
        view.setMinimumWidth(widest + 32)
        # The closed box never narrower than its "any …" (however the splitter beside the open
        # case is dragged): the widest Portuguese one otherwise showed as "Qualquer esta…".
        opt = QStyleOptionComboBox()
        box.initStyleOption(opt)
        anything = box.fontMetrics().horizontalAdvance(box.itemText(0)) + 4
        size = QSize(anything, box.fontMetrics().height())
        box.setMinimumWidth(
            box.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, size, box).width()
        )

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        for box in self._combos():  # the fonts are final once shown (the app's larger type)
            self._fit_popup(box)

    def _combos(self) -> tuple[QComboBox, ...]:
        return (self.category, self.perpetrator, self.country, self.site, self.device,
                self.consent, self.verification, self.review)  # fmt: skip

    def set_choices(
        self, countries: list[str], sites: list[str], devices: list[tuple[str, str]]
    ) -> None:
        """Fill the country, site and device lists from what was imported (keeps the choice)."""
        for box, items in (
            (self.country, [(c, c) for c in countries]),
            (self.site, [(s, s) for s in sites]),
            (self.device, devices),
        ):
            current = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for value, label in items:
                box.addItem(label, value)
            at = box.findData(current)
            box.setCurrentIndex(max(0, at))
            self._fit_popup(box)
            box.blockSignals(False)

    def current(self) -> CaseFilter:
        dates = self.use_dates.isChecked()
        return CaseFilter(
            category=self.category.currentData() or "",
            perpetrator=self.perpetrator.currentData() or "",
            country=self.country.currentData() or "",
            site=self.site.currentData() or "",
            date_from=self.date_from.date().toString("yyyy-MM-dd") if dates else "",
            date_to=self.date_to.date().toString("yyyy-MM-dd") if dates else "",
            device=self.device.currentData() or "",
            consent=self.consent.currentData() or "",
            verification=self.verification.currentData() or "",
            review=self.review.currentData() or "",
            text=self.search.text().strip(),
        )

    def describe(self) -> str:
        """The filter in the words the analyst sees in the bar ("" when it is empty)."""
        parts = [
            box.currentText()
            for box in (self.category, self.perpetrator, self.country, self.site, self.device,
                        self.consent, self.verification, self.review)  # fmt: skip
            if box.currentIndex() > 0
        ]
        if self.search.text().strip():
            parts.append(f"“{self.search.text().strip()}”")
        if self.use_dates.isChecked():
            parts.append(
                f"{self.date_from.date().toString('yyyy-MM-dd')} – "
                f"{self.date_to.date().toString('yyyy-MM-dd')}"
            )
        return " · ".join(parts)

    def _date_changed(self, _d: QDate) -> None:
        if self.use_dates.isChecked():
            self._emit()

    def _emit(self) -> None:
        self._debounce.stop()
        self.changed.emit(self.current())
