"""KP Field: offline-first, encrypted documentation for Kimberley Process civil-society monitors."""

__version__ = "0.1.0"
