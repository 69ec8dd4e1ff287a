"""HQ intake of witness identities keeps each device's witnesses to that device: another enrolled
laptop (seized, or its monitor coerced) cannot overwrite a witness identity it did not record."""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle.witness_verify import VerifiedWithdrawal
from kpfield.hq.witnesses import apply_witness_members
from kpfield.protocol.withdrawal import Withdrawal
from kpfield.vault.db import transaction
from kpfield.vault.hq_witness_store import HqWitnessStore
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.records import RecordStore
from tests.bundle.world import export, new_field, new_hq, stick


@pytest.fixture
def hq(tmp_path: Path, cheap_params: KdfParams) -> Iterator[Session]:
    s = new_hq(tmp_path / "hq", cheap_params)
    yield s
    s.close()


def _doc(example: dict[str, Any], name: str, wid: str | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(example)
    w = doc["witnesses"][0]
    if wid is not None:
        w["id"] = wid
    w["identifying"] = {"full_name": name, "contact": "+232 76 000000"}
    w["consent"]["scope"]["identity_to_hq"] = True
    w["send_identity"] = True
    return doc


def _send(s: Session, hq: Session, folder: Path, doc: dict[str, Any]) -> str:
    rid = s.reports.create_from_document(doc)
    s.reports.seal(rid)
    export(s, folder)
    result = hq.hq().intake.import_paths([folder])
    assert result.imported == 1, [o.line() for o in result.outcomes]
    return rid


def test_another_device_cannot_overwrite_a_witness_identity(
    hq: Session, tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    a = new_field(tmp_path / "a", cheap_params, hq)
    b = new_field(tmp_path / "b", cheap_params, hq)
    try:
        rid = _send(a, hq, stick(tmp_path, "a"), _doc(example_doc, "Real Witness"))
        wid = a.reports.view(rid).witnesses[0].id
        # Laptop B (its own code, its own key) files a witness under A's id with other details.
        draft = b.reports.create_from_document(_doc(example_doc, "Planted Name"))
        planted = b.reports.view(draft).witnesses[0]
        store = RecordStore(b.vault.conn)
        with transaction(b.vault.conn):
            store.save_witness(dataclasses.replace(store.get_witness(planted.id), id=wid))
        _send(b, hq, stick(tmp_path, "b"), _doc(example_doc, "Planted Name", wid))
        held = HqWitnessStore(hq.vault.conn).identity(wid)
        assert held is not None
        assert held.identifying["full_name"] == "Real Witness"
    finally:
        a.close()
        b.close()


def test_a_withdrawal_from_another_device_does_not_mark_my_reports(
    hq: Session, tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    a = new_field(tmp_path / "a", cheap_params, hq)
    b = new_field(tmp_path / "b", cheap_params, hq)
    try:
        rid_a = _send(a, hq, stick(tmp_path, "a"), _doc(example_doc, "Real Witness"))
        rid_b = _send(b, hq, stick(tmp_path, "b"), _doc(example_doc, "Other Witness"))
        wid_b = b.reports.view(rid_b).witnesses[0].id
        device_b = b.identity.identity().device_id
        # What HQ intake gets after the reader verified B's notice with B's key: B signed it,
        # and B listed A's report among "its" reports citing the witness.
        notice = Withdrawal(
            notice_id=str(uuid.uuid4()),
            device_id=device_b,
            witness_id=wid_b,
            withdrawn_on="2026-01-01",
            recorded_at="2026-01-01T00:00:00Z",
            scopes=("coalition_use",),
            reports=(rid_a, rid_b),
        )
        bundle = SimpleNamespace(
            manifest=SimpleNamespace(device_id=device_b),
            manifest_sha256="00" * 32,
            identities=(),
            withdrawals=(VerifiedWithdrawal(notice, b"{}", "11" * 32),),
        )
        with transaction(hq.vault.conn):
            apply_witness_members(hq.vault.conn, bundle, "2026-01-02T00:00:00Z")  # type: ignore[arg-type]
        marked = HqWitnessStore(hq.vault.conn).withdrawn_reports()
        assert rid_b in marked
        assert rid_a not in marked
    finally:
        a.close()
        b.close()
