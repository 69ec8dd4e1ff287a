"""Translations with stdlib gettext (catalogs built with Babel). Qt-free: the CLI can use it too.

One ``I18n`` object per running app is created by the composition root and passed down; there is no
module-level current language.
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

from kpfield.errors import N_
from kpfield.paths import resources_dir

DOMAIN = "kpfield"
DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "pt": "Português"}
"""Languages shipped, each named in itself (so a monitor finds theirs whatever is showing)."""

__all__ = ["DOMAIN", "LANGUAGES", "I18n", "N_", "translations_dir"]


def translations_dir() -> Path:
    return resources_dir() / "translations"


class I18n:
    """The user's language: ``gettext``/``ngettext`` for our strings, taxonomy labels included."""

    def __init__(self, language: str = DEFAULT_LANGUAGE, directory: Path | None = None) -> None:
        self.directory = directory or translations_dir()
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog: _gettext.NullTranslations = _gettext.translation(
            DOMAIN, localedir=str(self.directory), languages=[self.language], fallback=True
        )

    def gettext(self, message: str) -> str:
        if not message:
            return message
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog.ngettext(singular, plural, n)

    def has_catalog(self) -> bool:
        """True when a compiled catalog for the language was found (English needs none)."""
        return type(self._catalog) is not _gettext.NullTranslations
