"""Work around PySide6 6.12 dropping a reference to ``None`` on every void method call.

With CPython 3.11 (before PEP 683 made None immortal) each call such as ``label.setText(...)``
lowers ``None``'s reference count by one; after ten thousand or so calls the interpreter aborts
("none_dealloc: deallocating None"), taking unsaved typing with it. We give the three singletons
a reference count so large it cannot reach zero, which is what Python 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

HEADROOM = 1 << 40


def needed() -> bool:
    """Only CPython before 3.12 with a PySide6 6.12 release (pyproject pins below it; this stays
    as a guard for an environment that installed one anyway)."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import PySide6

    return str(PySide6.__version__).startswith("6.12")


def make_singletons_immortal() -> bool:
    """Raise the reference counts of None, True and False; True if anything was done."""
    if not needed():
        return False
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if refcnt.value < HEADROOM:
            refcnt.value += HEADROOM
    return True
