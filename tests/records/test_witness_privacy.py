"""What a seal holds about witnesses and notes: a salted hash of identities, no private notes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.domain.document import NO_SCOPE
from kpfield.domain.identity import identity_commitment
from kpfield.errors import ValidationError

NAME = "Sahr Example"
PRIVATE = "Nurse Fatmata helped"


def _sealed(session: Session, rid: str) -> bytes:
    return session.vault.conn.execute(
        "SELECT sealed_json FROM reports WHERE id = ?", (rid,)
    ).fetchone()[0]


def test_seal_commits_to_identity_by_salted_hash(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    sealed = session.reports.seal(rid)
    data = bytes(_sealed(session, sealed.id))
    assert NAME.encode() not in data
    assert b"via the clinic nurse" not in data
    doc = json.loads(data)
    [w] = doc["witnesses"]
    assert "identifying" not in w
    stored = session.reports.store.get_witness(w["id"])
    assert stored.identifying is not None and stored.identifying.full_name == NAME
    assert len(stored.identity_salt) == 64
    assert w["identity_sha256"] == identity_commitment(stored.identity_salt, stored.identifying)
    # The salt is secret: it appears nowhere in the seal.
    assert stored.identity_salt.encode() not in data


def test_salts_differ_per_witness(session: Session, example_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(example_doc)
    twin = copy.deepcopy(doc["witnesses"][0])
    twin["pseudonym"] = "W-Mango"
    doc["witnesses"].append(twin)  # identical identifying details
    rid = session.reports.create_from_document(doc)
    sealed = json.loads(bytes(_sealed(session, session.reports.seal(rid).id)))
    hashes = [w["identity_sha256"] for w in sealed["witnesses"]]
    assert len(set(hashes)) == 2


def test_witness_without_details_commits_to_nothing(
    session: Session, example_doc: dict[str, Any]
) -> None:
    doc = copy.deepcopy(example_doc)
    del doc["witnesses"][0]["identifying"]
    rid = session.reports.create_from_document(doc)
    sealed = json.loads(bytes(_sealed(session, session.reports.seal(rid).id)))
    assert sealed["witnesses"][0]["identity_sha256"] is None


def test_private_notes_stay_out_of_the_seal(
    session: Session, example_doc: dict[str, Any]
) -> None:
    rid = session.reports.create_from_document(example_doc)
    assert session.reports.get(rid).private_notes.startswith(PRIVATE)
    assert session.reports.document(rid)["private_notes"].startswith(PRIVATE)
    sealed = session.reports.seal(rid)
    data = bytes(_sealed(session, sealed.id))
    assert PRIVATE.encode() not in data
    assert b"Clinic register seen" in data  # the notes for HQ are sealed
    assert "private_notes" not in json.loads(data)
    # Still readable on the laptop, and searchable there.
    assert session.reports.get(sealed.id).private_notes.startswith(PRIVATE)
    assert [r.id for r in session.reports.search("Fatmata")] == [sealed.id]


def test_given_consent_without_scope_cannot_be_sealed(
    session: Session, example_doc: dict[str, Any]
) -> None:
    doc = copy.deepcopy(example_doc)
    doc["witnesses"][0]["consent"]["scope"] = {}
    rid = session.reports.create_from_document(doc)
    assert ("witness 'W-Baobab'", NO_SCOPE) in session.reports.missing_for_seal(rid)
    with pytest.raises(ValidationError) as exc:
        session.reports.seal(rid)
    assert ("witness 'W-Baobab'", NO_SCOPE) in exc.value.problems


def test_identity_scope_alone_is_a_scope(session: Session, example_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(example_doc)
    doc["witnesses"][0]["consent"]["scope"] = {"identity_to_hq": True}
    rid = session.reports.create_from_document(doc)
    assert session.reports.missing_for_seal(rid) == []
