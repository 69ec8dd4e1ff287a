"""Filesystem locations. Defaults come from platformdirs; environment overrides for tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from kpfield.errors import KpfieldError

APP_NAME = "kpfield"
APP_AUTHOR = "KPCSC"
APP_ID = "org.kpcivilsociety.KPField"
"""Reverse-DNS id: the .desktop file's and AppStream's name, Qt's desktop file name (so Wayland
matches windows to the menu entry), the macOS bundle id."""
ICON_SIZES = (16, 32, 48, 64, 128, 256)
"""``resources/icons/kpfield-<size>.png`` (drawn by packaging/make_icons.py)."""

PACKAGED_RESOURCES = "_resources"
"""Where the build puts the repository's top-level ``resources/`` inside the package (setup.py);
a PyInstaller spec keeps the same layout: ``datas=[("resources", "kpfield/_resources")]``."""

_MARKER = "taxonomy.json"


class ResourcesMissing(KpfieldError):
    """The installation lacks its own files: a packaging fault, not something the user did."""

    exit_code = 1


def default_data_dir() -> Path:
    """Where the vault lives unless ``--data-dir`` or ``KPFIELD_DATA_DIR`` says otherwise."""
    env = os.environ.get("KPFIELD_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def resources_dir() -> Path:
    """The shipped resources (taxonomy, translations, icons), wherever this copy of KP Field runs
    from: ``KPFIELD_RESOURCES``, a frozen app, an installed wheel, or the source tree."""
    frozen_base = getattr(sys, "_MEIPASS", None) or (
        Path(sys.executable).parent if getattr(sys, "frozen", False) else None
    )
    return locate_resources(
        override=os.environ.get("KPFIELD_RESOURCES") or None,
        frozen_base=Path(frozen_base) if frozen_base else None,
        package_dir=Path(__file__).resolve().parent,
    )


def locate_resources(*, override: str | None, frozen_base: Path | None, package_dir: Path) -> Path:
    """The resolution itself, with the process's facts passed in so each case can be tested."""
    if override:
        return Path(override)  # tests point this at a folder they built; taken as given
    candidates: list[Path] = []
    if frozen_base is not None:
        candidates.append(frozen_base / APP_NAME / PACKAGED_RESOURCES)
    # An installed wheel carries them beside the code; checked before the source tree so a
    # stray ``resources/`` next to site-packages can never be picked up instead.
    candidates.append(package_dir / PACKAGED_RESOURCES)
    # Source tree or editable install: the package sits next to the top-level folder in git.
    # pyproject.toml beside it tells a checkout from an unrelated ``resources/`` elsewhere.
    root = package_dir.parent
    if (root / "pyproject.toml").is_file():
        candidates.append(root / "resources")
    for candidate in candidates:
        if (candidate / _MARKER).is_file():
            return candidate
    # Not marked for translation: the catalogs that would translate it are what is missing.
    raise ResourcesMissing(
        "KP Field's own files (taxonomy and translations) are missing from this installation. "
        "Reinstall KP Field."
    )
