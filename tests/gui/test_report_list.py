"""The report list: sortable model, status and category filters, full-text search, 10,000 rows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from kpfield.app import default_taxonomy, open_session
from kpfield.domain.document import ReportFields
from kpfield.domain.ids import ReportId
from kpfield.domain.models import ReportStatus
from kpfield.gui.main_window import MainWindow
from kpfield.gui.report_table_model import ID_ROLE, ReportTableModel
from kpfield.vault.records import ReportRow
from tests.gui.conftest import PASSPHRASE, idle, unlock


def seed(path: Path) -> None:
    s = open_session(path, PASSPHRASE)
    s.reports.new_draft(
        ReportFields(
            title="Zebra crossing eviction",
            categories=("forced_displacement",),
            narrative="bulldozers came at night",
        )
    )
    s.reports.new_draft(
        ReportFields(
            title="Alpha beating",
            categories=("torture",),
            narrative="guards used batons on diggers",
        )
    )
    s.reports.new_draft(
        ReportFields(
            title="Middle arrest",
            categories=("arbitrary_arrest", "torture"),
            narrative="held in a container",
        )
    )
    s.close()


def titles(window: MainWindow) -> list[str]:
    lst = window.workspace.list  # type: ignore[union-attr]
    return [lst.proxy.index(r, 0).data() for r in range(lst.proxy.rowCount())]


def test_filter_search_and_sort(qtbot: QtBot, make_window: object, existing_vault: Path) -> None:
    seed(existing_vault)
    window: MainWindow = make_window()  # type: ignore[operator]
    unlock(qtbot, window)
    lst = window.workspace.list  # type: ignore[union-attr]
    assert len(titles(window)) == 3
    assert lst.count_label.text() == "3 reports"
    # sort by title with a click on the header
    header = lst.table.horizontalHeader()
    title_header = QPoint(header.sectionViewportPosition(0) + 20, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=title_header)
    first = titles(window)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=title_header)
    assert titles(window) == list(reversed(first))
    assert sorted(first) in (first, list(reversed(first)))
    # category filter
    lst.category.setCurrentIndex(lst.category.findData("torture"))
    qtbot.waitUntil(lambda: len(titles(window)) == 2)
    # search, by typing (debounced) — a word of the narrative, within the category filter
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert lst.search.hasFocus()
    qtbot.keyClicks(lst.search, "batons")
    qtbot.waitUntil(lambda: titles(window) == ["Alpha beating"])
    lst.category.setCurrentIndex(0)
    lst.search.clear()
    qtbot.waitUntil(lambda: len(titles(window)) == 3)
    # status filter
    lst.status.setCurrentIndex(lst.status.findData("sealed"))
    qtbot.waitUntil(lambda: titles(window) == [])
    assert lst.count_label.text() == "0 reports"


def test_clicking_a_row_opens_the_report(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    seed(existing_vault)
    window: MainWindow = make_window()  # type: ignore[operator]
    unlock(qtbot, window)
    lst = window.workspace.list  # type: ignore[union-attr]
    rect = lst.table.visualRect(lst.proxy.index(1, 0))
    qtbot.mouseClick(lst.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wanted = lst.proxy.index(1, 0).data(ID_ROLE)
    editor = window.workspace.editor  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.id == wanted)
    idle(qtbot, window)
    assert editor.incident.title.text() == lst.proxy.index(1, 0).data()


def test_ten_thousand_rows_are_cheap(qtbot: QtBot) -> None:
    from PySide6.QtCore import QSortFilterProxyModel
    from PySide6.QtWidgets import QTableView

    rows = [
        ReportRow(
            ReportId(f"{i:08d}"),
            ReportStatus.DRAFT,
            f"Report {i}",
            "2026-10-03",
            "SL",
            ("torture",),
            f"2026-10-{i % 28 + 1:02d}T00:00:00Z",
            1,
        )
        for i in range(10_000)
    ]
    model = ReportTableModel(lambda s: s, default_taxonomy())
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    qtbot.addWidget(view)
    view.show()
    model.set_rows(rows)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert proxy.rowCount() == 10_000
    view.scrollToBottom()
    assert proxy.index(9_999, 0).data() == "Report 9999"


def test_search_shows_the_first_page_then_the_rest(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    from kpfield.services.reports import SEARCH_PAGE

    s = open_session(existing_vault, PASSPHRASE)
    for i in range(SEARCH_PAGE + 20):
        s.reports.new_draft(ReportFields(title=f"Report {i}", narrative="diggers at the pit"))
    s.close()
    window: MainWindow = make_window()  # type: ignore[operator]
    unlock(qtbot, window)
    lst = window.workspace.list  # type: ignore[union-attr]
    lst.search.setText("diggers")
    lst.reload()
    qtbot.waitUntil(lambda: len(titles(window)) == SEARCH_PAGE + 20)
    assert lst.count_label.text() == f"{SEARCH_PAGE + 20} reports"
