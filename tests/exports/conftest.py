"""An HQ vault holding three imported reports whose witnesses consented to different uses."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import HqSession, Session
from kpfield.services.clock import FixedClock
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import NOW, export, new_field, new_hq, seal_report, stick
from tests.conftest import make_jpeg

NAMES = ("Amara Koroma", "Jean-Pierre Mbuyi", "Fatmata Sesay")
"""Witness identities: none of them may ever appear in an export."""
CONTACTS = ("+232 76 111 222", "mbuyi@example.org", "Clinic road 4")


def _doc(example: dict[str, Any], i: int, scope: dict[str, bool]) -> dict[str, Any]:
    doc = copy.deepcopy(example)
    doc["title"] = f"{doc['title']} (case {i})"
    doc["incident"]["date"] = {"date": f"2026-0{i + 6}-1{i}", "precision": "day",
                               "approximate": False}
    doc["place"]["coordinates"]["lat_micro"] += i * 400_000
    w = doc["witnesses"][0]
    w["pseudonym"] = f"W-{['Baobab', 'Kapok', 'Mango'][i]}"
    w["identifying"] = {"full_name": NAMES[i], "contact": CONTACTS[i]}
    w["consent"]["scope"] = scope
    return doc


SCOPES = (
    {"coalition_use": True, "share_with_kp": True, "publish_anonymised": True, "recontact": True},
    {"coalition_use": True, "share_with_kp": False, "publish_anonymised": False,
     "recontact": True},
    # Agreed only to be re-contacted (given consent needs a scope): no export may use them.
    {"coalition_use": False, "share_with_kp": False, "publish_anonymised": False,
     "recontact": True},
)  # fmt: skip


@dataclass
class World:
    hq: HqSession
    field: Session
    report_ids: list[str]
    originals: list[bytes]


@pytest.fixture
def world(
    tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> Iterator[World]:
    hq = new_hq(tmp_path / "hq", cheap_params)
    field = new_field(tmp_path / "laptop1", cheap_params, hq)
    originals = [make_jpeg(seed=i, comment=b"GPS secret camera comment") for i in range(3)]
    ids = [
        str(seal_report(field, _doc(example_doc, i, SCOPES[i]), photos=0,
                        photo_bytes=[originals[i]]))
        for i in range(3)
    ]  # fmt: skip
    hq.hq().intake.import_paths(export(field, stick(tmp_path)))
    hq.clock = FixedClock(NOW)
    hq.hq().exports._clock = hq.clock
    yield World(hq.hq(), field, ids, originals)
    for s in (hq, field):
        if s.vault.is_open:
            s.close()
