"""What every screen is given: the task runner, the language, preferences, vault location."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kpfield.app import default_taxonomy
from kpfield.domain.taxonomy import Taxonomy
from kpfield.gui.settings import GuiSettings
from kpfield.gui.tasks import TaskRunner
from kpfield.i18n import I18n
from kpfield.services.memory_exposure import Exposure, memory_exposures
from kpfield.services.vaults import KdfParams


@dataclass
class AppContext:
    data_dir: Path
    runner: TaskRunner
    i18n: I18n
    settings: GuiSettings
    kdf_params: KdfParams | None = None
    """None: calibrate for this laptop (the real app). Tests pass cheap parameters."""
    taxonomy: Taxonomy | None = None
    memory_probe: Callable[[], list[Exposure]] = memory_exposures
    """Where this computer may write memory to disk (tests pass a fake /proc and /sys)."""
    platform: str = sys.platform
    """Whose fixes setup explains (tests choose)."""

    def gettext(self, message: str) -> str:
        return self.i18n.gettext(message)

    def terms(self) -> Taxonomy:
        return self.taxonomy or default_taxonomy()
