"""Translations with stdlib gettext (catalogs built with Babel). Qt-free: the CLI can use it too.

The app reads only the compiled ``.mo`` files, which are committed beside their ``.po`` sources
and shipped in the wheel: Babel is needed to update catalogs, never to run.

One ``I18n`` object per running app is created by the composition root and passed down; there is no
module-level current language.
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------------- catalog tooling (Babel)
# Babel is a development tool: only these functions import it, never the running app.

CATALOG_LANGUAGES = ("fr", "pt")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
SOURCES = (
    "kpfield/gui",
    "kpfield/errors.py",
    "kpfield/app.py",
    "kpfield/fsutil.py",
    "kpfield/vault",
    "kpfield/services",
    "kpfield/domain",
    "kpfield/media",
    "kpfield/custody",
    "kpfield/bundle",
    "kpfield/hq",
    "kpfield/protocol",
    "kpfield/sync",
)
"""What the desktop app can show: its own strings and the error templates of the core it calls."""


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def template_path() -> Path:
    return translations_dir() / f"{DOMAIN}.pot"


def po_path(language: str) -> Path:
    return translations_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def build_template() -> Any:
    """The catalog template as the sources say it should be (a ``babel.messages.Catalog``)."""
    import json

    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    root = _repo_root()
    catalog = Catalog(project="KP Field", domain=DOMAIN, charset="utf-8")
    files: list[Path] = []
    for src in SOURCES:
        p = root / src
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    for path in files:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        for lineno, message, comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            if not message or (isinstance(message, tuple) and not message[0]):
                continue
            catalog.add(message, None, [(rel, lineno)], auto_comments=comments)
    taxonomy = json.loads((resources_dir() / "taxonomy.json").read_text(encoding="utf-8"))
    for group in ("categories", "perpetrators"):
        for term in taxonomy[group]:
            catalog.add(term["label"], None, [("resources/taxonomy.json", 0)],
                        auto_comments=[f"taxonomy {group}: {term['id']}"])
    return catalog


def _write_catalog(path: Path, catalog: Any) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    import io

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(buf.getvalue())


def read_po(path: Path, locale: str | None = None) -> Any:
    from babel.messages.pofile import read_po as _read

    with open(path, "rb") as fh:
        return _read(fh, locale=locale, domain=DOMAIN)


def update_catalogs() -> None:
    """Re-extract the template and merge it into every language's catalog, then compile."""
    template = build_template()
    _write_catalog(template_path(), template)
    for lang in CATALOG_LANGUAGES:
        path = po_path(lang)
        if path.exists():
            catalog = read_po(path, lang)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=lang, domain=DOMAIN, project="KP Field", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_catalog(path, catalog)
    compile_catalogs()


def compile_catalogs() -> None:
    from babel.messages.mofile import write_mo

    for lang in CATALOG_LANGUAGES:
        catalog = read_po(po_path(lang), lang)
        with open(po_path(lang).with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    action = args[0] if args else "update"
    if action == "update":
        update_catalogs()
    elif action == "compile":
        compile_catalogs()
    else:
        print("usage: python -m kpfield.i18n [update|compile]")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
