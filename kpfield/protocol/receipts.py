"""HQ receipts: a signed acknowledgement per imported bundle, encrypted for the sending device.

Plaintext (inside age, encrypted to the device's own recipient and to HQ's primary recipient) is
canonical JSON ``{"receipt": {...}, "signature": "<minisign text>"}``. It names the bundle (device,
sequence, manifest hash), the reports it carried with their hashes, the gaps HQ sees in the
device's bundle sequence, and the device's custody head, which HQ countersigns.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from kpfield.crypto import age, minisign
from kpfield.errors import N_, CryptoError, IntegrityError
from kpfield.protocol.canonical import canonical_json, sha256_hex
from kpfield.protocol.signed import SignedDocument, Signer, parse_document, sign_document

FORMAT = "kpfield.receipt/1"
MAX_RECEIPT_BYTES = 4 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Receipt:
    doc: dict[str, Any]
    signature: str

    @property
    def sha256(self) -> str:
        return sha256_hex(canonical_json(self.doc))

    @property
    def manifest_sha256(self) -> str:
        return str(self.doc["manifest_sha256"])

    @property
    def sequence(self) -> int:
        return int(self.doc["sequence"])

    @property
    def device_id(self) -> str:
        return str(self.doc["device_id"])

    @property
    def reports(self) -> list[tuple[str, str]]:
        return [(str(r["id"]), str(r["sha256"])) for r in self.doc["reports"]]

    @property
    def gaps(self) -> list[int]:
        return [int(g) for g in self.doc.get("gaps", [])]


@dataclass(frozen=True)
class ReceivedBundle:
    """What HQ knows about one imported bundle, to acknowledge it."""

    device_id: str
    sequence: int
    bundle_id: str
    manifest_sha256: str
    reports: list[dict[str, str]]
    custody_head: Any
    gaps: list[int]


def build_receipt(signer: Signer, bundle: ReceivedBundle, *, received_at: str) -> bytes:
    """The signed receipt plaintext for one imported bundle."""
    doc = {
        "format": FORMAT,
        "hq_key_id": signer.key_id_hex,
        "device_id": bundle.device_id,
        "sequence": bundle.sequence,
        "bundle_id": bundle.bundle_id,
        "manifest_sha256": bundle.manifest_sha256,
        "received_at": received_at,
        "reports": [{"id": r["id"], "sha256": r["sha256"]} for r in bundle.reports],
        "gaps": bundle.gaps,
        # HQ countersigns the device's custody head: the laptop's log can no longer be cut
        # back past it without `kpfield verify` noticing.
        "custody_head": bundle.custody_head,
    }
    return sign_document(
        "receipt",
        doc,
        signer,
        trusted=f"kpfield receipt for device {bundle.device_id} bundle {bundle.sequence}",
        untrusted="KP Field HQ receipt",
    )


def seal_receipt(plain: bytes, recipients: list[age.X25519Recipient]) -> bytes:
    """Encrypt a receipt for the device (and HQ's primary recipient)."""
    out = io.BytesIO()
    age.encrypt(recipients, io.BytesIO(plain), out)
    return out.getvalue()


def is_receipt_plaintext(first: bytes) -> bool:
    return first.startswith(b'{"receipt":')


def open_receipt(identity: age.X25519Identity, src: BinaryIO) -> Receipt | None:
    """Decrypt a receipt file; None if it is not for this device (e.g. a bundle)."""
    try:
        dec = age.open_decryptor([identity], src)
    except CryptoError as exc:
        if exc.params.get("stage") == "no_match":
            return None
        raise IntegrityError(N_("A receipt file is damaged.")) from None
    data = bytearray()
    try:
        for chunk in dec.iter_decrypt():
            data += chunk
            if len(data) > MAX_RECEIPT_BYTES:
                raise IntegrityError(N_("A receipt file is too large."))
    except CryptoError:
        raise IntegrityError(N_("A receipt file is damaged or was altered.")) from None
    return parse_receipt(bytes(data))


def _check(doc: dict[str, Any]) -> None:
    if not _HEX64.match(str(doc["manifest_sha256"])) or not isinstance(doc["sequence"], int):
        raise ValueError
    for r in doc["reports"]:
        if not isinstance(r["id"], str) or not _HEX64.match(str(r["sha256"])):
            raise ValueError


def parse_receipt(data: bytes) -> Receipt:
    signed: SignedDocument
    signed, _ = parse_document(
        data,
        kind="receipt",
        format=FORMAT,
        max_bytes=MAX_RECEIPT_BYTES,
        too_large=N_("A receipt file is too large."),
        invalid=N_("A receipt file is not a valid KP Field receipt."),
        strict_canonical=True,
        check=_check,
    )
    return Receipt(signed.doc, signed.signature)


def verify_receipt(receipt: Receipt, hq_key: minisign.MinisignPublicKey, device_id: str) -> None:
    """Check the HQ signature and that the receipt is addressed to this device."""
    SignedDocument("receipt", receipt.doc, receipt.signature).verify(
        hq_key, N_("A receipt is not signed by this coalition's HQ key; it was ignored.")
    )
    if receipt.doc.get("device_id") != device_id:
        raise IntegrityError(N_("A receipt is for another device; it was ignored."))
