"""The desktop app (PySide6). Importing it first protects the interpreter from a PySide6 bug."""

from kpfield.gui.refcount_guard import make_singletons_immortal

make_singletons_immortal()
