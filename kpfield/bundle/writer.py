"""Write one bundle: hash, sign, then tar and age-encrypt in a single streaming pass.

The manifest must come first in the archive, so it is built from hashes known before streaming
(sealed reports' recorded SHA-256, attachments' SHA-256 recorded at import). Attachments are not
hashed again: each blob is authenticated (ChaCha20-Poly1305 under its own key) as it is read, and
its SHA-256 was taken of exactly those bytes at import and checked again at seal; its length is
checked. Three threads overlap (issue 12): blobs are read and decrypted, the tar stream is
age-encrypted, and the ciphertext is hashed and written. Memory is bounded by a few dozen 64 KiB
pieces whatever the bundle size.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.bundle import manifest as mf
from kpfield.bundle import tarstream
from kpfield.bundle import witness_entries as we
from kpfield.crypto import age, minisign
from kpfield.crypto import stream as age_stream
from kpfield.domain.jobs import CancelCheck, Progress
from kpfield.errors import N_, BundleError, Cancelled, IntegrityError, VaultError
from kpfield.pipeline import Ahead, HashingWriterThread
from kpfield.protocol.canonical import canonical_json, sha256_hex
from kpfield.protocol.witness_identity import TravellingIdentity

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


@dataclass(frozen=True)
class AttachmentSource:
    id: str
    sha256: str
    size: int
    mime: str
    chunks: Callable[[], Iterator[bytes]]  # the original bytes, freshly decrypted from the vault


@dataclass(frozen=True)
class ReportSource:
    id: str
    version: int
    sealed_json: bytes
    sha256: str
    signature: str
    attachments: tuple[AttachmentSource, ...]

    @property
    def payload_size(self) -> int:
        """Plaintext bytes this report adds to a bundle's archive."""
        sizes = [len(self.sealed_json), len(self.signature.encode())]
        sizes += [a.size for a in self.attachments]
        return sum(tarstream.member_span(s) for s in sizes)


@dataclass(frozen=True)
class WitnessExtras:
    """What a version-2 bundle carries besides reports: identities and withdrawal notices."""

    identities: tuple[TravellingIdentity, ...] = ()
    withdrawals: tuple[tuple[str, bytes], ...] = ()  # (notice id, signed notice)

    def members(self) -> list[tuple[str, bytes]]:
        out = [(we.identity_member(i.witness_id), i.to_bytes()) for i in self.identities]
        out += [(we.withdrawal_member(n), data) for n, data in self.withdrawals]
        return out

    @property
    def payload_size(self) -> int:
        return sum(tarstream.member_span(len(data)) for _, data in self.members())


@dataclass(frozen=True)
class BundleKeys:
    device_key: Ed25519PrivateKey
    device_name: str
    recipients: tuple[age.X25519Recipient, ...]
    hq_signing_key_id: str | None


@dataclass(frozen=True)
class BundleState:
    """Where this bundle sits in the device's series."""

    sequence: int
    previous_manifest_sha256: str | None
    last_receipt_sha256: str | None
    custody_rows: tuple[tuple[int, str, str, str], ...]  # (seq, entry, prev_hash, entry_hash)


@dataclass(frozen=True)
class WrittenBundle:
    manifest: mf.Manifest
    manifest_sha256: str
    ciphertext_sha256: str
    size: int


def custody_text(rows: Sequence[tuple[int, str, str, str]]) -> bytes:
    """``custody.jsonl``: one canonical JSON line per custody entry, oldest first."""
    out = bytearray()
    for _seq, entry, prev, h in rows:
        out += canonical_json({"entry": json.loads(entry), "prev_hash": prev, "entry_hash": h})
        out += b"\n"
    return bytes(out)


def envelope_overhead(recipients: int) -> int:
    """An upper bound on the age header and nonce for ``recipients`` X25519 stanzas."""
    return 22 + 1 + recipients * 128 + 48 + age.NONCE_SIZE


def ciphertext_size(plain: int, recipients: int) -> int:
    """An upper bound on the bundle file size for ``plain`` bytes of archive."""
    return envelope_overhead(recipients) + age_stream.encrypted_size(plain)


def archive_size(reports: Sequence[ReportSource], custody: int, manifest: int = 0) -> int:
    """Plaintext archive size (pass the manifest size when known; the head is estimated)."""
    return archive_size_for(sum(r.payload_size for r in reports), len(reports), custody, manifest)


def archive_size_for(payload: int, count: int, custody: int, manifest: int = 0) -> int:
    """:func:`archive_size` from running totals (``count`` reports adding ``payload`` bytes)."""
    head = (
        tarstream.member_span(manifest or mf.MAX_MANIFEST_BYTES // 16)
        + tarstream.member_span(mf.MAX_SIGNATURE_BYTES)
        + tarstream.member_span(100 * (1 + 3 * count))
        + tarstream.member_span(mf.MAX_SIGNATURE_BYTES)
    )
    return head + payload + tarstream.member_span(custody) + len(tarstream.END_OF_ARCHIVE)


def build_manifest(
    keys: BundleKeys,
    state: BundleState,
    reports: Sequence[ReportSource],
    custody: bytes,
    created_at: datetime,
    *,
    extras: WitnessExtras = WitnessExtras(),  # noqa: B008 - frozen and empty
) -> mf.Manifest:
    public_key = keys.device_key.public_key().public_bytes_raw()
    device_id = minisign.key_id_for(public_key).hex()
    members: list[mf.Member] = []
    entries: list[mf.ReportEntry] = []
    for r in reports:
        member = mf.report_member(r.id)
        sig = r.signature.encode("utf-8")
        members.append(mf.Member(member, len(r.sealed_json), r.sha256))
        members.append(mf.Member(member + ".minisig", len(sig), sha256_hex(sig)))
        atts = []
        for a in r.attachments:
            name = mf.attachment_member(a.id, a.mime)
            atts.append(mf.AttachmentEntry(a.id, a.sha256, a.size, name))
            members.append(mf.Member(name, a.size, a.sha256))
        entries.append(
            mf.ReportEntry(r.id, r.version, r.sha256, member, member + ".minisig", tuple(atts))
        )
    for name, data in extras.members():
        members.append(mf.Member(name, len(data), sha256_hex(data)))
    members.append(mf.Member(mf.CUSTODY, len(custody), sha256_hex(custody)))
    head_seq, head_hash = (
        (state.custody_rows[-1][0], state.custody_rows[-1][3])
        if state.custody_rows
        else (0, "0" * 64)
    )
    return mf.Manifest(
        bundle_id=str(uuid.uuid4()),
        created_at=created_at.isoformat(timespec="seconds"),
        device_id=device_id,
        device_public_key=public_key,
        device_name=keys.device_name,
        sequence=state.sequence,
        previous_manifest_sha256=state.previous_manifest_sha256,
        custody_head_seq=head_seq,
        custody_head_hash=head_hash,
        last_receipt_sha256=state.last_receipt_sha256,
        hq_signing_key_id=keys.hq_signing_key_id,
        recipients=tuple(r.to_string() for r in keys.recipients),
        reports=tuple(entries),
        members=tuple(members),
        identities=tuple(
            we.IdentityEntry(i.witness_id, we.identity_member(i.witness_id))
            for i in extras.identities
        ),
        withdrawals=tuple(
            we.WithdrawalEntry(n, we.withdrawal_member(n)) for n, _ in extras.withdrawals
        ),
    )


def _too_big(what: str) -> BundleError:
    return BundleError(
        N_(
            "This bundle would break a limit HQ enforces ({what}), so it was not written. "
            "Export fewer reports at a time, or bring HQ's receipts to this laptop first."
        ),
        what=what,
    )


def check_reader_limits(
    manifest_bytes: bytes, custody: bytes, reports: Sequence[ReportSource]
) -> None:
    """Refuse to write a bundle HQ's reader would refuse: run the reader's own manifest checks
    (member caps, totals, in-memory budget) and the caps it applies to the head members."""
    try:
        mf.parse(manifest_bytes)
    except BundleError as exc:
        raise _too_big(exc.message) from None
    if len(custody) > mf.MAX_CUSTODY_BYTES:
        raise _too_big("custody log")
    if len(mf.sums_for(mf.parse(manifest_bytes).members)) > mf.MAX_SUMS_BYTES:
        raise _too_big("SHA256SUMS")
    for r in reports:
        if len(r.sealed_json) > mf.MAX_REPORT_JSON_BYTES:
            raise _too_big("report size")
        if len(r.signature.encode()) > mf.MAX_SIGNATURE_BYTES:
            raise _too_big("signature size")


class _IterReader(io.RawIOBase):
    """A readable stream over an iterator of byte pieces."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while not self._buf:
            nxt = next(self._pieces, None)
            if nxt is None:
                return 0
            self._buf = nxt
        n = min(len(view), len(self._buf))
        view[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def write_bundle(
    dst: BinaryIO,
    keys: BundleKeys,
    state: BundleState,
    reports: Sequence[ReportSource],
    *,
    created_at: datetime,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    extras: WitnessExtras = WitnessExtras(),  # noqa: B008 - frozen and empty
) -> WrittenBundle:
    """Stream one bundle into ``dst``; returns its manifest and the ciphertext's SHA-256."""
    custody = custody_text(state.custody_rows)
    manifest = build_manifest(keys, state, reports, custody, created_at, extras=extras)
    manifest_bytes = manifest.to_bytes()
    check_reader_limits(manifest_bytes, custody, reports)
    ident_key_id = bytes.fromhex(manifest.device_id)
    manifest_sig = minisign.sign(
        keys.device_key,
        ident_key_id,
        manifest_bytes,
        trusted_comment=manifest.trusted_comment(),
        untrusted_comment=f"KP Field bundle manifest, device {manifest.device_id}",
    ).encode("utf-8")
    sums = manifest.sums_text()
    sums_sig = minisign.sign(
        keys.device_key,
        ident_key_id,
        sums,
        trusted_comment=manifest.trusted_comment() + " SHA256SUMS",
        untrusted_comment=f"KP Field bundle checksums, device {manifest.device_id}",
    ).encode("utf-8")
    mtime = int(created_at.timestamp())
    total = archive_size(reports, len(custody), len(manifest_bytes)) + extras.payload_size
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        if progress is not None:
            progress(min(done, total), total)

    def small(name: str, data: bytes) -> Iterator[bytes]:
        yield tarstream.header(name, len(data), mtime) + data + bytes(tarstream.padding(len(data)))
        tick(tarstream.member_span(len(data)))

    def pieces() -> Iterator[bytes]:
        yield from small(mf.MANIFEST, manifest_bytes)
        yield from small(mf.MANIFEST_SIG, manifest_sig)
        yield from small(mf.SUMS, sums)
        yield from small(mf.SUMS_SIG, sums_sig)
        for r, entry in zip(reports, manifest.reports, strict=True):
            if sha256_hex(r.sealed_json) != r.sha256:
                raise IntegrityError(N_("A sealed report no longer matches its recorded hash."))
            yield from small(entry.member, r.sealed_json)
            yield from small(entry.signature_member, r.signature.encode("utf-8"))
            for a, a_entry in zip(r.attachments, entry.attachments, strict=True):
                yield from _attachment(a, a_entry.member)
        for name, data in extras.members():
            yield from small(name, data)
        yield from small(mf.CUSTODY, custody)
        yield tarstream.END_OF_ARCHIVE

    def _attachment(a: AttachmentSource, name: str) -> Iterator[bytes]:
        yield tarstream.header(name, a.size, mtime)
        tick(tarstream.BLOCK)
        seen = 0
        try:
            for chunk in a.chunks():  # authenticated chunk by chunk by the blob store
                seen += len(chunk)
                if seen > a.size:
                    break
                yield chunk
                tick(len(chunk))
        except OSError as exc:  # this laptop's vault, not the stick: say which
            raise VaultError(
                N_(
                    "A stored file could not be read from this laptop's vault ({reason}); the"
                    " bundle was not written. Run `kpfield verify` to check the vault."
                ),
                reason=exc.strerror or type(exc).__name__,
            ) from None
        if seen != a.size:
            raise IntegrityError(
                N_("A stored photo no longer matches its fingerprint; the bundle was not written.")
            )
        yield bytes(tarstream.padding(a.size))

    # The pieces (blob files read and decrypted) come from a worker thread; the ciphertext is
    # hashed and written by another while this one encrypts. Blob reads touch no database.
    out = HashingWriterThread(dst)
    try:
        with Ahead(pieces(), name="bundle-read") as ahead:
            age.encrypt(
                keys.recipients, cast(BinaryIO, _IterReader(iter(ahead))), cast(BinaryIO, out)
            )
        out.finish()
    finally:
        out.close()
    return WrittenBundle(
        manifest=manifest,
        manifest_sha256=sha256_hex(manifest_bytes),
        ciphertext_sha256=out.sha.hexdigest(),
        size=out.size,
    )
