"""Read and verify one bundle, strictly, before the caller commits anything.

Order: the age header (is it for us?), the manifest and its signature (is the device enrolled, is
this HQ an intended recipient, is the sequence acceptable?) before any member data is read; then
every member in manifest order with its exact size and SHA-256; then the end of the archive and the
end of the age stream (truncation and trailing data show here); then every report's seal, its
attachment list and the custody chain. Attachments stream into a caller-supplied sink (the HQ's
encrypted blob store); everything else is small and capped.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from kpfield.bundle import manifest as mf
from kpfield.bundle import tarstream
from kpfield.bundle.witness_verify import (
    VerifiedWithdrawal,
    verify_identities,
    verify_withdrawals,
)
from kpfield.crypto import age, minisign
from kpfield.custody.log import EVENTS, GENESIS, verify_chain
from kpfield.domain.jobs import CancelCheck, Progress
from kpfield.errors import N_, BundleError, Cancelled, CryptoError, KpfieldError
from kpfield.protocol.canonical import canonical_json, sha256_hex
from kpfield.protocol.witness_identity import TravellingIdentity

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CustodyRow = tuple[int, str, str, str]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
ARMOR_PREFIX = b"-----BEGIN AGE"


class AttachmentSink(Protocol):
    def put(self, entry: mf.AttachmentEntry, chunks: Iterator[bytes]) -> None:
        """Store one attachment's bytes (they are verified after the iterator ends)."""


# Returns the enrolled Ed25519 key for the manifest's device, or raises BundleError.
Admission = Callable[[mf.Manifest], bytes]
# Raises if a manifest with a valid signature is not wanted (sequence, replay).
Acceptance = Callable[[mf.Manifest, str], None]


@dataclass(frozen=True)
class VerifiedReport:
    entry: mf.ReportEntry
    sealed_json: bytes
    signature: str
    doc: dict[str, Any]


@dataclass
class VerifiedBundle:
    manifest: mf.Manifest
    manifest_bytes: bytes
    manifest_sha256: str
    manifest_signature: str
    reports: list[VerifiedReport] = field(default_factory=list)
    custody_rows: list[CustodyRow] = field(default_factory=list)
    identities: list[TravellingIdentity] = field(default_factory=list)
    withdrawals: list[VerifiedWithdrawal] = field(default_factory=list)


def rejected(template: str, **params: Any) -> BundleError:
    """Why a bundle is refused: a translatable template (marked with N_) and its values."""
    return BundleError(template, **params)


class NotABundle(Exception):
    """The file opened with our key but holds a receipt, not a bundle."""


class _CountingReader(io.RawIOBase):
    """Reports ciphertext progress and honours cancellation while the file is read."""

    def __init__(
        self, src: BinaryIO, total: int, progress: Progress | None, cancel: CancelCheck | None
    ) -> None:
        super().__init__()
        self._src = src
        self._total = total
        self._done = 0
        self._progress = progress
        self._cancel = cancel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._cancel is not None and self._cancel():
            raise Cancelled(N_("Cancelled."))
        view = memoryview(buffer).cast("B")
        data = self._src.read(len(view))
        view[: len(data)] = data
        self._done += len(data)
        if self._progress is not None and data:
            self._progress(min(self._done, self._total), self._total)
        return len(data)


def _crypto_reason(exc: CryptoError) -> BundleError:
    stage = exc.params.get("stage")
    if stage == "no_match":
        return rejected(
            N_("it is not addressed to this HQ (none of this vault's keys can open it)")
        )
    if stage in ("header", "armor"):
        return rejected(N_("it is not a KP Field bundle, or its envelope is damaged"))
    if stage == "hmac":
        return rejected(N_("its envelope has been altered"))
    return rejected(N_("it is damaged, truncated or has been altered (decryption failed)"))


def read_bundle(
    src: BinaryIO,
    identities: Sequence[age.Identity],
    *,
    our_recipients: set[str],
    admit: Admission,
    accept: Acceptance,
    sink: AttachmentSink,
    total_size: int = 0,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> VerifiedBundle:
    """Decrypt and verify a whole bundle; raises BundleError naming the first problem."""
    counted = io.BufferedReader(_CountingReader(src, total_size, progress, cancel), 64 * 1024)
    try:
        # Bundles are binary age (docs/bundle-format.md §2): armor is refused whether the file
        # was named or found in a folder, one behaviour for both.
        if counted.peek(len(ARMOR_PREFIX))[: len(ARMOR_PREFIX)] == ARMOR_PREFIX:
            raise rejected(N_("it is ASCII-armored age; KP Field bundles are binary age files"))
        dec = age.open_decryptor(identities, counted, armored=False)
        reader = tarstream.StreamReader(dec.iter_decrypt())
        if reader.peek(11) == b'{"receipt":':
            raise NotABundle
        return _read(reader, our_recipients, admit, accept, sink)
    except CryptoError as exc:
        raise _crypto_reason(exc) from None


def _next_member(reader: tarstream.StreamReader, expected: str, cap: int) -> int:
    parsed = tarstream.parse_header(reader.read_exact(tarstream.BLOCK))
    if parsed is None:
        raise rejected(
            N_("the member {member} is missing (the archive ends early)"), member=expected
        )
    name, size = parsed
    if name != expected:
        raise rejected(
            N_(
                "it holds a member ({name}) where the manifest expects {expected}: a member is"
                " missing, extra or out of order"
            ),
            name=name,
            expected=expected,
        )
    if size > cap:
        raise rejected(N_("the member {member} is larger than allowed"), member=name)
    return size


def _small(reader: tarstream.StreamReader, name: str, cap: int, exact: int | None = None) -> bytes:
    size = _next_member(reader, name, cap)
    if exact is not None and size != exact:
        raise rejected(
            N_("the member {member} has a different size than its manifest says"), member=name
        )
    return b"".join(reader.iter_member(size))


def _read(
    reader: tarstream.StreamReader,
    our_recipients: set[str],
    admit: Admission,
    accept: Acceptance,
    sink: AttachmentSink,
) -> VerifiedBundle:
    manifest_bytes = _small(reader, mf.MANIFEST, mf.MAX_MANIFEST_BYTES)
    manifest = mf.parse(manifest_bytes)
    manifest_sha = sha256_hex(manifest_bytes)
    sig_text = _text(_small(reader, mf.MANIFEST_SIG, mf.MAX_SIGNATURE_BYTES), "manifest signature")
    public_key = admit(manifest)
    if public_key != manifest.device_public_key:
        raise rejected(
            N_("the manifest names a different key than the one enrolled for its device")
        )
    signer = minisign.MinisignPublicKey(minisign.key_id_for(public_key), public_key)
    try:
        comment = minisign.verify(signer, sig_text, manifest_bytes)
    except CryptoError:
        raise rejected(
            N_("the manifest signature does not verify with the enrolled device key")
        ) from None
    if comment != manifest.trusted_comment():
        raise rejected(N_("the manifest signature's trusted comment does not match the manifest"))
    if not our_recipients & set(manifest.recipients):
        raise rejected(N_("this HQ is not among the recipients its manifest names"))
    accept(manifest, manifest_sha)
    sums = _small(reader, mf.SUMS, mf.MAX_SUMS_BYTES)
    if sums != manifest.sums_text():
        raise rejected(N_("its SHA256SUMS does not match its manifest"))
    sums_sig = _text(_small(reader, mf.SUMS_SIG, mf.MAX_SIGNATURE_BYTES), "checksum signature")
    try:
        sums_comment = minisign.verify(signer, sums_sig, sums)
    except CryptoError:
        raise rejected(N_("the SHA256SUMS signature does not verify with the device key")) from None
    if sums_comment != manifest.trusted_comment() + " SHA256SUMS":
        raise rejected(N_("the SHA256SUMS signature's trusted comment does not match the manifest"))

    small: dict[str, bytes] = {}
    attachments = {a.member: a for r in manifest.reports for a in r.attachments}
    for member in manifest.members:
        size = _next_member(reader, member.name, member.size)
        if size != member.size:
            raise rejected(
                N_("the member {member} is smaller than its manifest says"), member=member.name
            )
        sha = hashlib.sha256()

        def hashed(size: int = size, sha: Any = sha) -> Iterator[bytes]:
            for piece in reader.iter_member(size):
                sha.update(piece)
                yield piece

        if member.name in attachments:
            pieces = hashed()
            sink.put(attachments[member.name], pieces)
            for _ in pieces:  # a sink that stopped early still gets the member checked
                pass
        else:
            small[member.name] = b"".join(hashed())
        if sha.hexdigest() != member.sha256:
            raise rejected(N_("the member {member} does not match its SHA-256"), member=member.name)
    reader.expect_end()

    result = VerifiedBundle(manifest, manifest_bytes, manifest_sha, sig_text)
    result.custody_rows = _custody(small[mf.CUSTODY], manifest)
    sealed = {
        (row_body["report_id"], row_body["details"].get("sha256"))
        for row_body in (json.loads(r[1]) for r in result.custody_rows)
        if row_body["event"] == "sealed" and isinstance(row_body.get("details"), dict)
    }
    for entry in manifest.reports:
        data = small[entry.member]
        signature = _text(small[entry.signature_member], "report signature")
        try:
            seal_comment = minisign.verify(signer, signature, data)
        except CryptoError:
            raise rejected(
                N_("the seal of report {report} does not verify"), report=entry.id[:8]
            ) from None
        # The signed comment names the report and version (docs/bundle-format.md §5): a seal
        # made for another report or version must not vouch for this one.
        if seal_comment != f"kpfield sealed report {entry.id} version {entry.version}":
            raise rejected(
                N_("the seal of report {report} was made for another report or version"),
                report=entry.id[:8],
            )
        doc = _report_doc(data, entry, manifest)
        if (entry.id, entry.sha256) not in sealed:
            raise rejected(
                N_("no custody entry records the seal of report {report}"), report=entry.id[:8]
            )
        result.reports.append(VerifiedReport(entry, data, signature, doc))
    docs = {r.entry.id: r.doc for r in result.reports}
    result.identities = verify_identities(manifest, small, docs)
    result.withdrawals = verify_withdrawals(manifest, small, signer)
    return result


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise rejected(N_("its {what} is not text"), what=what) from None


def _report_doc(data: bytes, entry: mf.ReportEntry, manifest: mf.Manifest) -> dict[str, Any]:
    short = entry.id[:8]
    try:
        doc = json.loads(data)
        ok = isinstance(doc, dict) and canonical_json(doc) == data
    except (ValueError, KpfieldError):
        ok = False
    if not ok:
        raise rejected(N_("report {report} is not canonical JSON"), report=short)
    device = doc.get("device")
    if (
        doc.get("id") != entry.id
        or doc.get("version") != entry.version
        or not isinstance(device, dict)
        or device.get("id") != manifest.device_id
    ):
        raise rejected(N_("report {report} does not match its manifest entry"), report=short)
    listed = doc.get("attachments")
    if not isinstance(listed, list):
        raise rejected(N_("report {report} has no attachment list"), report=short)
    try:
        in_doc = sorted((a["id"], a["sha256"], a["size"]) for a in listed)
    except (KeyError, TypeError):
        raise rejected(
            N_("report {report} has a malformed attachment list"), report=short
        ) from None
    in_manifest = sorted((a.id, a.sha256, a.size) for a in entry.attachments)
    if in_doc != in_manifest:
        raise rejected(
            N_("the photos of report {report} do not match the bundle's manifest"), report=short
        )
    return dict(doc)


def _custody(data: bytes, manifest: mf.Manifest) -> list[CustodyRow]:
    rows: list[CustodyRow] = []
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise rejected(N_("its custody log does not end with a newline"))
    for line in lines[:-1]:
        try:
            raw = json.loads(line)
            if canonical_json(raw) != line or set(raw) != {"entry", "prev_hash", "entry_hash"}:
                raise ValueError
            body = raw["entry"]
            # Types exactly as documented: a JSON true is not entry 1, a number is not a hash.
            if (
                not isinstance(body, dict)
                or set(body) != {"seq", "event", "report_id", "at", "details"}
                or type(body["seq"]) is not int
                or body["seq"] < 1
                or body["event"] not in EVENTS
                or not isinstance(body["report_id"], str | None)
                or not isinstance(body["at"], str)
                or not isinstance(body["details"], dict)
                or not isinstance(raw["prev_hash"], str)
                or not isinstance(raw["entry_hash"], str)
                or not _HEX64.fullmatch(raw["prev_hash"])
                or not _HEX64.fullmatch(raw["entry_hash"])
            ):
                raise ValueError
            rows.append(
                (
                    body["seq"],
                    canonical_json(body).decode("utf-8"),
                    raw["prev_hash"],
                    raw["entry_hash"],
                )
            )
        except (ValueError, KeyError, TypeError, KpfieldError):
            raise rejected(N_("its custody log is malformed")) from None
    # A bundle carries the custody entries HQ does not hold yet: the log may start after entry 1
    # (HQ intake checks that its first entry links to what HQ holds); one that starts at entry 1
    # must start from the genesis hash.
    start = GENESIS
    if rows and rows[0][0] != 1:
        start = rows[0][2]
        if not _HEX64.fullmatch(start):
            raise rejected(N_("its custody log is malformed"))
    problem = verify_chain(rows, start)
    if problem is not None:
        raise rejected(
            N_("its custody log is broken at entry {seq}: {what}"),
            seq=problem.seq,
            what=problem.what,
        )
    head = (rows[-1][0], rows[-1][3]) if rows else (0, GENESIS)
    if head != (manifest.custody_head_seq, manifest.custody_head_hash):
        raise rejected(N_("its custody log does not end at the head its manifest names"))
    return rows
