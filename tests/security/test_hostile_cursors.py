"""Numbers from the relay (cursors, sequences, sizes) go into the vault: one too large for SQLite
must be a clean refusal, not an OverflowError out of a store step."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpfield.app import Session
from kpfield.crypto import minisign
from kpfield.errors import KpfieldError
from kpfield.hq import keys as hq_keys
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import new_field, new_hq
from tests.security.hostile import HostileRelay
from tests.sync.world import fast_settings


@pytest.fixture
def pair(tmp_path: Path, cheap_params: KdfParams) -> Iterator[tuple[Session, Session]]:
    hq = new_hq(tmp_path / "hq", cheap_params)
    field = new_field(tmp_path / "field", cheap_params, hq)
    yield hq, field
    field.close()
    hq.close()


def test_a_document_cursor_too_large_for_sqlite_is_refused(pair: tuple[Session, Session]) -> None:
    hq, field = pair
    signer = hq_keys.hq_signer(hq.vault)
    profile, _ = hq.hq().profile.export()
    signature = minisign.sign(signer.key, signer.public.key_id, profile, trusted_comment="kpfield")
    relay_key = minisign.MinisignPublicKey.from_private(signer.key)  # any key: first contact

    def answer(method: str, path: str) -> tuple[int, dict[str, str], Iterator[bytes]]:
        if path.startswith("/v1/relay"):
            doc: object = {
                "relay_key": relay_key.to_base64(),
                "hq_key_id": signer.key_id_hex,
                "limits": {"max_patch_bytes": 1 << 20},
            }
        elif path.startswith("/v1/documents"):
            item = {
                "cursor": 10**30,
                "kind": "profile",
                "created_at": 0,
                "body": base64.b64encode(profile).decode(),
                "signature": signature,
            }
            doc = {"documents": [item], "next": 10**30}
        else:
            return 404, {"Content-Length": "2"}, iter([b"{}"])
        data = json.dumps(doc).encode()
        return 200, {"Content-Length": str(len(data))}, iter([data])

    s = field.field()
    s.sync.settings = fast_settings(max_failures=1)
    with HostileRelay(answer) as relay:
        try:
            result = s.sync.run(relay_url=relay.url)
        except KpfieldError:
            return  # a clean refusal
    assert not result.ok
