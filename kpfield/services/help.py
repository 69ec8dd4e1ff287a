"""The offline help pages shipped in ``resources/help/<language>/<page>.html`` (Qt-free).

Every language has every page, and every link between pages resolves: the GUI shows them in a
text browser that never goes online, and ``kpfield self-test`` checks that an installation
carries them all.
"""

from __future__ import annotations

import re
from pathlib import Path

from kpfield.i18n import LANGUAGES
from kpfield.paths import resources_dir

PAGES = (
    "index",
    "editor",
    "witnesses",
    "sending",
    "data",
    "safety",
    "desk",
    "intake",
    "identities",
)
"""Page names; F1 picks one by what has the focus (``index`` when nothing more precise fits)."""

_HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def help_root(resources: Path | None = None) -> Path:
    return (resources or resources_dir()) / "help"


def page_path(language: str, page: str, resources: Path | None = None) -> Path:
    """The page in ``language``, or in English when that language lacks it."""
    name = page if page in PAGES else "index"
    root = help_root(resources)
    path = root / language / f"{name}.html"
    return path if path.is_file() else root / "en" / f"{name}.html"


def problems(resources: Path | None = None) -> list[str]:
    """Missing pages and links that lead nowhere, in every language (empty when all is well)."""
    root = help_root(resources)
    found: list[str] = []
    for language in LANGUAGES:
        for page in PAGES:
            path = root / language / f"{page}.html"
            if not path.is_file():
                found.append(f"{language}/{page}.html is missing")
                continue
            for href in _HREF.findall(path.read_text(encoding="utf-8")):
                target = href.split("#", 1)[0]
                if "://" in href or href.startswith(("mailto:", "/")):
                    found.append(f"{language}/{page}.html links outside the help: {href}")
                elif target and not (path.parent / target).is_file():
                    found.append(f"{language}/{page}.html links to a missing page: {href}")
    return found
