"""Which help page is about a widget: a ``helpPage`` property on it or on an ancestor.

Kept apart from the help window so that any screen or dialog can name its page without
importing the window (one line: ``set_help_page(self, "witnesses")``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

HELP_PAGE = "helpPage"
"""The Qt property naming a widget's help page (one of kpfield.services.help.PAGES)."""


def set_help_page(widget: QWidget, page: str) -> None:
    widget.setProperty(HELP_PAGE, page)


def page_for(widget: QWidget | None) -> str:
    """The help page for ``widget``: its own, or its nearest ancestor's, else the contents."""
    while widget is not None:
        page = widget.property(HELP_PAGE)
        if isinstance(page, str) and page:
            return page
        widget = widget.parentWidget()
    return "index"
