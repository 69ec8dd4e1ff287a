"""HQ lists and deletes witness identities received from laptops: ids and code names only in the
list, the deletion in the audit log, every seal still verifying after it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpfield.app import open_session
from kpfield.cli import main
from kpfield.vault.hq_witness_store import HqWitnessStore
from tests.conftest import PASSPHRASE
from tests.desk.world import Desk


def run(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    if desk.hq.vault.is_open:
        desk.hq.close()
    opts = ["--data-dir", str(desk.hq.vault.paths.root), "--passphrase-file", str(passphrase_file)]
    code = main([*argv, *opts])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_then_delete_an_identity_logged_and_seals_still_verify(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = desk.s.identities.held()
    assert held, "the desk world sends identities"
    names = [
        str(i.identifying.get("full_name", ""))
        for h in held
        if (i := HqWitnessStore(desk.hq.vault.conn).identity(h.witness_id)) is not None
    ]
    assert all(names)
    target = held[0]

    code, out, _ = run(desk, passphrase_file, capsys, "cases", "identities", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert {x["witness"] for x in listed} == {h.witness_id for h in held}
    assert listed[0]["device"]["name"] == target.device_name
    assert listed[0]["pseudonyms"] and listed[0]["reports"]
    code, text, _ = run(desk, passphrase_file, capsys, "cases", "identities", "list")
    assert code == 0 and target.witness_id in text
    for name in names:  # never the details themselves
        assert name not in out and name not in text

    code, _, err = run(
        desk, passphrase_file, capsys, "cases", "identities", "delete", target.witness_id,
        "--reason", " ",
    )  # fmt: skip
    assert code == 2 and "reason" in err
    code, _, err = run(
        desk, passphrase_file, capsys, "cases", "identities", "delete", "no-such-witness",
        "--reason", "asked by the witness",
    )  # fmt: skip
    assert code == 2 and "no identity" in err

    code, out, _ = run(
        desk, passphrase_file, capsys, "cases", "identities", "delete", target.witness_id,
        "--reason", "asked by the witness",
    )  # fmt: skip
    assert code == 0 and "still verify" in out

    hq = open_session(desk.hq.vault.paths.root, PASSPHRASE)
    try:
        assert HqWitnessStore(hq.vault.conn).identity(target.witness_id) is None
        assert {h.witness_id for h in hq.hq().identities.held()} == {
            h.witness_id for h in held[1:]
        }
        entry = hq.hq().cases.audit_log()[-1]
        assert entry.action == "identity_deleted"
        assert entry.details["witness"] == target.witness_id
        assert entry.details["reason"] == "asked by the witness"
        assert not any(n in json.dumps(entry.details) for n in names)
        assert hq.hq().cases.verify_audit() == []
        result = hq.verify()  # every imported seal, manifest and original, at HQ
        assert result.ok, result
        for rid in target.reports:  # nothing left to reveal
            assert hq.hq().cases.reveal(rid, target.witness_id) == {}
    finally:
        hq.close()
    code, _, _ = run(desk, passphrase_file, capsys, "cases", "audit")
    assert code == 0
