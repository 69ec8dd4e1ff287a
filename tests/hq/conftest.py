"""Fixtures: an HQ vault and an enrolled field vault holding the coalition profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.app import Session
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import new_field, new_hq


@pytest.fixture
def hq(tmp_path: Path, cheap_params: KdfParams) -> Iterator[Session]:
    s = new_hq(tmp_path / "hq", cheap_params)
    yield s
    if s.vault.is_open:
        s.close()


@pytest.fixture
def field_s(tmp_path: Path, cheap_params: KdfParams, hq: Session) -> Iterator[Session]:
    s = new_field(tmp_path / "laptop1", cheap_params, hq)
    yield s
    if s.vault.is_open:
        s.close()
