from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.vault.keyslots import KdfParams
from tests.desk.world import Desk, desk_fixture


@pytest.fixture
def desk(tmp_path: Path, cheap_params: KdfParams) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path, cheap_params)
