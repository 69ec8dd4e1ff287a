"""HQ receipts: a signed acknowledgement per imported bundle, encrypted for the sending device.

Plaintext (inside age, encrypted to the device's own recipient and to HQ's primary recipient) is
canonical JSON ``{"receipt": {...}, "signature": "<minisign text>"}``; the HQ signing key signs the
canonical JSON of ``receipt``. It names the bundle (device, sequence, manifest hash), the reports it
carried with their hashes, and the gaps HQ sees in the device's bundle sequence.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from kpfield.crypto import age, minisign
from kpfield.custody.canonical import canonical_json, sha256_hex
from kpfield.errors import N_, CryptoError, IntegrityError, ValidationError
from kpfield.hq import keys as hq_keys
from kpfield.vault.vault import Vault

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
    def reports(self) -> list[tuple[str, str]]:
        return [(str(r["id"]), str(r["sha256"])) for r in self.doc["reports"]]


def make_receipt(vault: Vault, manifest_sha256: str, at: str) -> bytes:
    """The encrypted receipt for one imported bundle (HQ)."""
    from kpfield.hq.importer import gaps

    signer = hq_keys.hq_signer(vault)
    row = vault.conn.execute(
        "SELECT b.device_id, b.sequence, b.bundle_id, b.manifest, d.age_recipient"
        " FROM hq_bundles b JOIN hq_devices d ON d.device_id = b.device_id"
        " WHERE b.manifest_sha256 = ?",
        (manifest_sha256,),
    ).fetchone()
    if row is None:
        raise IntegrityError(N_("No imported bundle has that manifest."))
    device_id, sequence, bundle_id, manifest_text, device_recipient = row
    manifest = json.loads(manifest_text)
    doc = {
        "format": FORMAT,
        "hq_key_id": signer.key_id_hex,
        "device_id": device_id,
        "sequence": int(sequence),
        "bundle_id": bundle_id,
        "manifest_sha256": manifest_sha256,
        "received_at": at,
        "reports": [{"id": r["id"], "sha256": r["sha256"]} for r in manifest["reports"]],
        "gaps": gaps(vault).get(device_id, []),
        # HQ countersigns the device's custody head: the laptop's log can no longer be cut
        # back past it without `kpfield verify` noticing.
        "custody_head": manifest["custody_head"],
    }
    signature = minisign.sign(
        signer.key,
        signer.public.key_id,
        canonical_json(doc),
        trusted_comment=f"kpfield receipt for device {device_id} bundle {sequence}",
        untrusted_comment="KP Field HQ receipt",
    )
    plain = canonical_json({"receipt": doc, "signature": signature})
    recipients = [age.parse_recipient(device_recipient)]
    recipients += [age.parse_recipient(r) for r in hq_keys.recipients(vault)[:1]]
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


def parse_receipt(data: bytes) -> Receipt:
    try:
        raw = json.loads(data.decode("utf-8"))
        if set(raw) != {"receipt", "signature"} or canonical_json(raw) != data:
            raise ValueError
        doc = raw["receipt"]
        if doc.get("format") != FORMAT or not isinstance(raw["signature"], str):
            raise ValueError
        if not _HEX64.match(str(doc["manifest_sha256"])) or not isinstance(doc["sequence"], int):
            raise ValueError
        for r in doc["reports"]:
            if not isinstance(r["id"], str) or not _HEX64.match(str(r["sha256"])):
                raise ValueError
    except (
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        ValidationError,
    ):
        raise IntegrityError(N_("A receipt file is not a valid KP Field receipt.")) from None
    return Receipt(doc, raw["signature"])


def verify_receipt(receipt: Receipt, hq_key: minisign.MinisignPublicKey, device_id: str) -> None:
    """Check the HQ signature and that the receipt is addressed to this device."""
    try:
        minisign.verify(hq_key, receipt.signature, canonical_json(receipt.doc))
    except CryptoError:
        raise IntegrityError(
            N_("A receipt is not signed by this coalition's HQ key; it was ignored.")
        ) from None
    if receipt.doc.get("device_id") != device_id:
        raise IntegrityError(N_("A receipt is for another device; it was ignored."))
