"""The bundle manifest (``kpfield.bundle/2``; ``/1`` still read): what a bundle holds, signed.

See ``docs/bundle-format.md``. Parsing is strict: exact key sets, exact types, sane caps, every
member named once, and the member list equal to what the reports and the custody log need.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from kpfield.bundle.witness_entries import (
    IdentityEntry,
    WithdrawalEntry,
    check_witness_entries,
    parse_witness_entries,
    witness_entries_json,
)
from kpfield.errors import N_, BundleError, ValidationError
from kpfield.protocol.canonical import canonical_json

FORMAT = "kpfield.bundle/2"
FORMAT_V1 = "kpfield.bundle/1"
"""Version 2 adds witness identities and consent withdrawals (see witness_members)."""
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.minisig"
SUMS = "SHA256SUMS"
SUMS_SIG = "SHA256SUMS.minisig"
CUSTODY = "custody.jsonl"
HEAD_MEMBERS = (MANIFEST, MANIFEST_SIG, SUMS, SUMS_SIG)

# Caps a reader enforces before reading any data (a manifest may claim anything).
MAX_MANIFEST_BYTES = 4 << 20
MAX_SIGNATURE_BYTES = 16 << 10
MAX_SUMS_BYTES = 4 << 20
MAX_REPORT_JSON_BYTES = 16 << 20
MAX_CUSTODY_BYTES = 64 << 20
MAX_ATTACHMENT_BYTES = 256 << 20
MAX_TOTAL_BYTES = 4 << 30
MAX_MEMBERS = 20_000
# Report JSON, signatures and the custody log are held in memory while a bundle is checked.
MAX_IN_MEMORY_BYTES = 256 << 20

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AGE_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class AttachmentEntry:
    id: str
    sha256: str
    size: int
    member: str


@dataclass(frozen=True)
class ReportEntry:
    id: str
    version: int
    sha256: str
    member: str
    signature_member: str
    attachments: tuple[AttachmentEntry, ...]


@dataclass(frozen=True)
class Manifest:
    """A parsed, structurally valid manifest (its signature is checked separately)."""

    bundle_id: str
    created_at: str
    device_id: str
    device_public_key: bytes
    device_name: str
    sequence: int
    previous_manifest_sha256: str | None
    custody_head_seq: int
    custody_head_hash: str
    last_receipt_sha256: str | None
    hq_signing_key_id: str | None
    recipients: tuple[str, ...]
    reports: tuple[ReportEntry, ...]
    members: tuple[Member, ...]
    identities: tuple[IdentityEntry, ...] = ()
    withdrawals: tuple[WithdrawalEntry, ...] = ()
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        from kpfield.crypto import keys, minisign

        pub = minisign.MinisignPublicKey(bytes.fromhex(self.device_id), self.device_public_key)
        doc = {
            "format": self.format,
            "bundle_id": self.bundle_id,
            "created_at": self.created_at,
            "device": {
                "id": self.device_id,
                "public_key": base64.b64encode(self.device_public_key).decode("ascii"),
                "minisign_public_key": pub.to_base64(),
                "fingerprint": keys.fingerprint(self.device_public_key),
                "name": self.device_name,
            },
            "sequence": self.sequence,
            "previous_manifest_sha256": self.previous_manifest_sha256,
            "custody_head": {"seq": self.custody_head_seq, "entry_hash": self.custody_head_hash},
            "last_receipt_sha256": self.last_receipt_sha256,
            "hq": {"signing_key_id": self.hq_signing_key_id, "recipients": list(self.recipients)},
            "reports": [
                {
                    "id": r.id,
                    "version": r.version,
                    "sha256": r.sha256,
                    "member": r.member,
                    "signature_member": r.signature_member,
                    "attachments": [
                        {"id": a.id, "sha256": a.sha256, "size": a.size, "member": a.member}
                        for a in r.attachments
                    ],
                }
                for r in self.reports
            ],
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members],
        }
        if self.format != FORMAT_V1:
            doc.update(witness_entries_json(self.identities, self.withdrawals))
        return doc

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    def sums_text(self) -> bytes:
        """The ``SHA256SUMS`` member: one ``sha256sum`` line per member after the head."""
        return sums_for(self.members)

    def trusted_comment(self) -> str:
        return f"kpfield bundle from device {self.device_id} sequence {self.sequence}"

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.members)


def sums_for(members: tuple[Member, ...] | list[Member]) -> bytes:
    return "".join(f"{m.sha256}  {m.name}\n" for m in members).encode("ascii")


def report_member(report_id: str) -> str:
    return f"reports/{report_id}.json"


def attachment_member(attachment_id: str, mime: str) -> str:
    return f"attachments/{attachment_id}{_EXTENSIONS.get(mime, '.bin')}"


_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/tiff": ".tif",
    "image/gif": ".gif",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/flac": ".flac",
    "audio/amr": ".amr",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


# ---------------------------------------------------------------------- strict parsing
def _bad(what: str) -> BundleError:
    return BundleError(N_("The bundle's manifest is invalid: {what}."), what=what)


def _obj(value: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise _bad(f"{what} has missing or unexpected fields")
    return value


def _str(value: Any, what: str, pattern: re.Pattern[str] | None = None, limit: int = 200) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(f"{what} is not valid text")
    if pattern is not None and not pattern.match(value):
        raise _bad(f"{what} is malformed")
    return value


def _opt_hash(value: Any, what: str) -> str | None:
    return None if value is None else _str(value, what, _HEX64)


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{what} is out of range")
    return value


def parse(data: bytes) -> Manifest:
    """Parse and check a manifest; raises :class:`BundleError` with the first problem found."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise _bad("it is too large")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad("it is not UTF-8 JSON") from None
    try:
        if canonical_json(raw) != data:
            raise _bad("it is not canonical JSON")
    except ValidationError:
        raise _bad("it holds fractional numbers") from None
    except (UnicodeEncodeError, RecursionError):
        # Lone surrogates cannot be encoded; absurd nesting exhausts the stack: both hostile.
        raise _bad("it is not canonical JSON") from None
    version_keys = (
        {"identities", "withdrawals"}
        if isinstance(raw, dict) and raw.get("format") == FORMAT
        else set()
    )
    top = _obj(
        raw,
        version_keys
        | {
            "format",
            "bundle_id",
            "created_at",
            "device",
            "sequence",
            "previous_manifest_sha256",
            "custody_head",
            "last_receipt_sha256",
            "hq",
            "reports",
            "members",
        },
        "the manifest",
    )
    if top["format"] not in (FORMAT, FORMAT_V1):
        raise BundleError(N_("The bundle's format is not one this version of KP Field reads."))
    dev = _obj(
        top["device"],
        {"id", "public_key", "minisign_public_key", "fingerprint", "name"},
        "device",
    )
    try:
        pub = base64.b64decode(_str(dev["public_key"], "device key"), validate=True)
    except (binascii.Error, ValueError):
        raise _bad("the device key is not base64") from None
    if len(pub) != 32:
        raise _bad("the device key has the wrong length")
    head = _obj(top["custody_head"], {"seq", "entry_hash"}, "custody head")
    hq = _obj(top["hq"], {"signing_key_id", "recipients"}, "hq")
    recips = hq["recipients"]
    if not isinstance(recips, list) or not 1 <= len(recips) <= 10:
        raise _bad("the recipients list is invalid")
    members_raw = top["members"]
    if not isinstance(members_raw, list) or not 1 <= len(members_raw) <= MAX_MEMBERS:
        raise _bad("the member list is empty or too long")
    members = tuple(_member(m) for m in members_raw)
    reports_raw = top["reports"]
    if not isinstance(reports_raw, list) or len(reports_raw) > MAX_MEMBERS:
        raise _bad("the report list is invalid")
    manifest = Manifest(
        bundle_id=_str(top["bundle_id"], "bundle id", _UUID),
        created_at=_str(top["created_at"], "creation time", limit=40),
        device_id=_str(dev["id"], "device id", _HEX16),
        device_public_key=pub,
        device_name=_str(dev["name"], "device name"),
        sequence=_int(top["sequence"], "sequence", 1, 1 << 53),
        previous_manifest_sha256=_opt_hash(top["previous_manifest_sha256"], "previous manifest"),
        custody_head_seq=_int(head["seq"], "custody head", 0, 1 << 53),
        custody_head_hash=_str(head["entry_hash"], "custody head hash", _HEX64),
        last_receipt_sha256=_opt_hash(top["last_receipt_sha256"], "last receipt"),
        hq_signing_key_id=None
        if hq["signing_key_id"] is None
        else _str(hq["signing_key_id"], "HQ key id", _HEX16),
        recipients=tuple(_str(r, "recipient", _AGE_RECIPIENT) for r in recips),
        reports=tuple(_report(r) for r in reports_raw),
        members=members,
        format=top["format"],
        **parse_witness_entries(top, _bad),
    )
    from kpfield.crypto import minisign

    if minisign.key_id_for(pub).hex() != manifest.device_id:
        raise _bad("the device id does not belong to the device key")
    _check_members(manifest)
    if manifest.to_bytes() != data:
        raise _bad("the device fields disagree with the device key")
    return manifest


def _member(raw: Any) -> Member:
    m = _obj(raw, {"name", "size", "sha256"}, "a member")
    name = _str(m["name"], "a member name", limit=100)
    from kpfield.bundle.tarstream import check_name

    check_name(name)
    size = m["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _bad("a member size is invalid")
    return Member(name, size, _str(m["sha256"], "a member hash", _HEX64))


def _report(raw: Any) -> ReportEntry:
    r = _obj(
        raw, {"id", "version", "sha256", "member", "signature_member", "attachments"}, "a report"
    )
    atts = r["attachments"]
    if not isinstance(atts, list) or len(atts) > MAX_MEMBERS:
        raise _bad("a report's attachment list is invalid")
    rid = _str(r["id"], "a report id", _UUID)
    return ReportEntry(
        id=rid,
        version=_int(r["version"], "a report version", 1, 1 << 20),
        sha256=_str(r["sha256"], "a report hash", _HEX64),
        member=_str(r["member"], "a report member"),
        signature_member=_str(r["signature_member"], "a report signature member"),
        attachments=tuple(_attachment(a) for a in atts),
    )


def _attachment(raw: Any) -> AttachmentEntry:
    a = _obj(raw, {"id", "sha256", "size", "member"}, "an attachment")
    return AttachmentEntry(
        id=_str(a["id"], "an attachment id", _UUID),
        sha256=_str(a["sha256"], "an attachment hash", _HEX64),
        size=_int(a["size"], "an attachment size", 0, MAX_ATTACHMENT_BYTES),
        member=_str(a["member"], "an attachment member"),
    )


def _check_members(m: Manifest) -> None:
    by_name: dict[str, Member] = {}
    for member in m.members:
        if member.name in by_name or member.name in HEAD_MEMBERS:
            raise _bad(f"the member {member.name} is listed twice")
        by_name[member.name] = member
    total = 0
    for member in m.members:
        total += member.size
        if member.size > MAX_ATTACHMENT_BYTES or total > MAX_TOTAL_BYTES:
            raise BundleError(
                N_("The bundle's manifest claims more data than a bundle may hold; refused.")
            )
    expected: dict[str, int] = {CUSTODY: MAX_CUSTODY_BYTES}
    expected.update(check_witness_entries(m.identities, m.withdrawals, _bad))
    report_ids: set[str] = set()
    attachment_ids: set[str] = set()
    for r in m.reports:
        if r.id in report_ids:
            raise _bad("a report is listed twice")
        report_ids.add(r.id)
        if r.member != report_member(r.id) or r.signature_member != r.member + ".minisig":
            raise _bad("a report member has an unexpected name")
        expected[r.member] = MAX_REPORT_JSON_BYTES
        expected[r.signature_member] = MAX_SIGNATURE_BYTES
        for a in r.attachments:
            if a.id in attachment_ids or not a.member.startswith(f"attachments/{a.id}."):
                raise _bad("an attachment is listed twice or has an unexpected name")
            attachment_ids.add(a.id)
            expected[a.member] = MAX_ATTACHMENT_BYTES
            listed = by_name.get(a.member)
            if listed is None or listed.size != a.size or listed.sha256 != a.sha256:
                raise _bad("an attachment does not match its member entry")
        listed = by_name.get(r.member)
        if listed is None or listed.sha256 != r.sha256:
            raise _bad("a report does not match its member entry")
    if set(expected) != set(by_name):
        extra = sorted(set(by_name) - set(expected))
        missing = sorted(set(expected) - set(by_name))
        raise _bad(
            "it lists members no report needs" if extra else f"it does not list {missing[0]}"
        )
    in_memory = 0
    for name, cap in expected.items():
        if cap != MAX_ATTACHMENT_BYTES:
            in_memory += by_name[name].size
        if by_name[name].size > cap or in_memory > MAX_IN_MEMORY_BYTES:
            raise BundleError(
                N_("The bundle's manifest claims more data than a bundle may hold; refused.")
            )
