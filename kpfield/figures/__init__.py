"""Figures the desk draws — charts and the offline map — as Qt-free drawings.

A :class:`~kpfield.figures.drawing.Drawing` is a list of primitives (rectangles, lines, text,
circles, polygons). The GUI paints one with QPainter, the PDF brief with fpdf2, and
:mod:`kpfield.figures.svg` writes it as SVG: the same figure everywhere, from one piece of code.
Labels come in already translated; nothing here knows about languages, vaults or Qt.
"""
