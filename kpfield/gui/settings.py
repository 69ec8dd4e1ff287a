"""The few preferences needed before the vault is unlocked, in a small plain file.

Language and idle minutes must be known on the unlock screen, before any key exists, so they cannot
live in the encrypted vault. The two sync switches (automatic sync, metered connection) live here
too, beside them: they are the laptop's habits, not vault content. They say nothing about reports,
witnesses or places. Nothing else goes here (the sync proxy address is kept in the vault);
QSettings is not used (it would choose its own location and format).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from kpfield.fsutil import atomic_write
from kpfield.i18n import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)

FILE_NAME = "preferences.json"
DEFAULT_IDLE_MINUTES = 5
MAX_IDLE_MINUTES = 240


@dataclass(frozen=True)
class GuiSettings:
    language: str = DEFAULT_LANGUAGE
    idle_minutes: int = DEFAULT_IDLE_MINUTES
    auto_sync: bool = True
    """Sync by itself when the network comes back."""
    metered: bool = False
    """The monitor marked the connection as costly: never sync by itself, only on request."""


def settings_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_settings(data_dir: Path) -> GuiSettings:
    try:
        raw = json.loads(settings_path(data_dir).read_text(encoding="utf-8"))
        language = str(raw.get("language", DEFAULT_LANGUAGE))
        idle = int(raw.get("idle_minutes", DEFAULT_IDLE_MINUTES))
        auto_sync = raw.get("auto_sync", True) is not False
        metered = raw.get("metered", False) is True
    except (OSError, ValueError, TypeError, AttributeError):
        return GuiSettings()
    return GuiSettings(
        language if language in LANGUAGES else DEFAULT_LANGUAGE,
        min(max(idle, 1), MAX_IDLE_MINUTES),
        auto_sync,
        metered,
    )


def save_settings(data_dir: Path, settings: GuiSettings) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(settings_path(data_dir), json.dumps(asdict(settings)).encode("utf-8"))
    except OSError:
        log.warning("preferences could not be saved")
