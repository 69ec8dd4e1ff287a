"""Filesystem locations. Defaults come from platformdirs; environment overrides for tests."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "kpfield"
APP_AUTHOR = "KPCSC"


def default_data_dir() -> Path:
    """Where the vault lives unless ``--data-dir`` or ``KPFIELD_DATA_DIR`` says otherwise."""
    env = os.environ.get("KPFIELD_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def resources_dir() -> Path:
    """The shipped ``resources/`` folder (taxonomy, translations, icons)."""
    env = os.environ.get("KPFIELD_RESOURCES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "resources"
