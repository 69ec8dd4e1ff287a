"""The signed manifest written beside every HQ export (``kpfield.export-manifest/1``).

It says what the export file is (name, size, SHA-256), which reports it holds, which were left
out and why, and which the analyst included by override. Signed with the HQ key through
:func:`kpfield.protocol.signed.sign_document`, so ``minisign -V`` checks it too (see
docs/exports.md for the commands).
"""

from __future__ import annotations

from typing import Any

from kpfield.crypto import minisign
from kpfield.errors import N_
from kpfield.protocol.signed import SignedDocument, Signer, parse_document, sign_document

KIND = "export_manifest"
FORMAT = "kpfield.export-manifest/1"
MAX_BYTES = 64 * 1024 * 1024
SUFFIX = ".manifest.json"


def manifest_doc(
    *,
    export_kind: str,
    file_name: str,
    sha256: str,
    size: int,
    created_at: str,
    filter_description: dict[str, Any],
    included: list[dict[str, Any]],
    left_out: list[dict[str, str]],
    overridden: list[str],
    signer: Signer,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "export": {"kind": export_kind, "file": file_name, "sha256": sha256, "size": size},
        "created_at": created_at,
        "filter": filter_description,
        "included": included,
        "left_out": left_out,
        "overridden": overridden,
        "hq_key_id": signer.key_id_hex,
    }


def sign_manifest(doc: dict[str, Any], signer: Signer) -> bytes:
    trusted = f"kpfield export manifest {doc['export']['kind']} sha256:{doc['export']['sha256']}"
    return sign_document(
        KIND, doc, signer, trusted=trusted, untrusted="KP Field HQ export manifest"
    )


def parse_manifest(data: bytes, public: minisign.MinisignPublicKey) -> SignedDocument:
    """Parse and verify a manifest with the HQ public key (raises IntegrityError)."""
    signed, _ = parse_document(
        data,
        kind=KIND,
        format=FORMAT,
        max_bytes=MAX_BYTES,
        too_large=N_("The export manifest is too large."),
        invalid=N_("This is not a KP Field export manifest."),
    )
    signed.verify(public, N_("The export manifest's signature does not match the HQ key."))
    return signed
