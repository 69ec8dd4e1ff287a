"""Run every C2SP CCTV age vector in tests/testvectors/age against kpfield.crypto.age."""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from kpfield.crypto import age
from kpfield.errors import CryptoError

VECTOR_DIR = Path(__file__).parent.parent / "testvectors" / "age"

_HYBRID = "mlkem768x25519 (post-quantum hybrid) identities are not implemented"

# Vectors we do not run, each with the reason. test_skip_set_is_exactly_unimplemented_features
# checks that this is exactly the set of vectors that need an unimplemented feature.
SKIP: dict[str, str] = {
    name: _HYBRID
    for name in (
        "armor_hybrid",
        "hybrid",
        "hybrid_and_x25519",
        "hybrid_bad_tag",
        "hybrid_currupted_enc_mlkem",
        "hybrid_currupted_enc_x25519",
        "hybrid_extra_argument",
        "hybrid_grease",
        "hybrid_identity",
        "hybrid_long_file_key",
        "hybrid_long_share",
        "hybrid_low_order",
        "hybrid_multiple_recipients",
        "hybrid_no_match",
        "hybrid_not_canonical_body",
        "hybrid_not_canonical_enc",
        "hybrid_short_share",
        "hybrid_uppercase",
        "hybrid_x25519_arg",
    )
}

# The vector's "expect" value -> the stage our CryptoError must report.
STAGE_FOR_EXPECT = {
    "header failure": "header",
    "HMAC failure": "hmac",
    "armor failure": "armor",
    "payload failure": "payload",
    "no match": "no_match",
}


@dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    payload_sha256: str | None
    identities: tuple[str, ...]
    passphrases: tuple[str, ...]
    armored: bool
    body: bytes


def _load(path: Path) -> Vector:
    raw = path.read_bytes()
    head, sep, body = raw.partition(b"\n\n")
    assert sep, f"{path.name}: no blank line after the vector header"
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").split("\n"):
        key, colon, value = line.partition(": ")
        assert colon, f"{path.name}: bad header line {line!r}"
        fields.setdefault(key, []).append(value)
    known = {"expect", "payload", "file key", "identity", "passphrase", "armored", "compressed"}
    assert set(fields) <= known | {"comment"}, f"{path.name}: unknown keys {set(fields) - known}"
    compressed = fields.get("compressed", [None])[0]
    if compressed == "zlib":
        body = zlib.decompress(body)
    else:
        assert compressed is None, f"{path.name}: unknown compression {compressed}"
    return Vector(
        name=path.name,
        expect=fields["expect"][0],
        payload_sha256=fields.get("payload", [None])[0],
        identities=tuple(fields.get("identity", [])),
        passphrases=tuple(fields.get("passphrase", [])),
        armored=fields.get("armored", ["no"])[0] == "yes",
        body=body,
    )


def _vector_paths() -> list[Path]:
    return sorted(
        p
        for p in VECTOR_DIR.iterdir()
        if p.is_file() and not p.name.startswith((".", "SOURCE")) and p.name != "README.md"
    )


ALL_VECTORS = [_load(p) for p in _vector_paths()]


def _needs_unimplemented_feature(vector: Vector) -> bool:
    return any(i.startswith("AGE-SECRET-KEY-PQ-") for i in vector.identities)


def test_vectors_present() -> None:
    assert len(ALL_VECTORS) > 100
    assert {v.expect for v in ALL_VECTORS} <= {"success", *STAGE_FOR_EXPECT}


def test_skip_set_is_exactly_unimplemented_features() -> None:
    assert set(SKIP) == {v.name for v in ALL_VECTORS if _needs_unimplemented_feature(v)}


def _identities(vector: Vector) -> list[age.Identity]:
    found: list[age.Identity] = [age.parse_identity(i) for i in vector.identities]
    found += [age.ScryptIdentity(p) for p in vector.passphrases]
    return found


@pytest.mark.parametrize(
    "vector", [v for v in ALL_VECTORS if v.name not in SKIP], ids=lambda v: v.name
)
def test_vector(vector: Vector) -> None:
    identities = _identities(vector)
    out = io.BytesIO()
    if vector.expect == "success":
        age.decrypt(identities, io.BytesIO(vector.body), out, armored=vector.armored)
        assert hashlib.sha256(out.getvalue()).hexdigest() == vector.payload_sha256
        # Armor detection must reach the same result without being told.
        detected = io.BytesIO()
        age.decrypt(identities, io.BytesIO(vector.body), detected)
        assert detected.getvalue() == out.getvalue()
        return
    with pytest.raises(CryptoError) as caught:
        age.decrypt(identities, io.BytesIO(vector.body), out, armored=vector.armored)
    assert caught.value.params.get("stage") == STAGE_FOR_EXPECT[vector.expect], str(caught.value)
