"""A small world for bundle tests: one HQ vault, field vaults enrolled with it, reports, a stick."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kpfield.app import Session, create_session
from kpfield.bundle import manifest as mf
from kpfield.bundle import tarstream
from kpfield.crypto import age, minisign
from kpfield.domain.ids import ReportId
from kpfield.protocol.enrollment import parse_request
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE, make_jpeg

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-report.json"


def new_hq(root: Path, params: KdfParams) -> Session:
    return create_session(root, PASSPHRASE, role="hq", params=params)


def new_field(root: Path, params: KdfParams, hq: Session, *, enroll: bool = True) -> Session:
    s = create_session(root, PASSPHRASE, role="field", params=params, device_name=root.name)
    s.field().profile.install(hq.hq().profile.export()[0])
    if enroll:
        req = parse_request(s.field().enrollment.request()[0])
        hq.hq().devices.approve(req)
    return s


def seal_report(
    s: Session,
    example: dict[str, Any],
    *,
    photos: int = 2,
    seed: int = 0,
    marker: str = "",
    photo_bytes: Sequence[bytes] = (),
) -> ReportId:
    doc = dict(example)
    if marker:
        doc["narrative"] = f"{doc['narrative']} {marker}"
        doc["title"] = f"{doc['title']} {marker}"
    rid = s.reports.create_from_document(doc)
    for i in range(photos):
        s.reports.attach_bytes(rid, make_jpeg(seed=seed * 100 + i), f"photo{i}.jpg")
    for i, data in enumerate(photo_bytes):
        s.reports.attach_bytes(rid, data, f"extra{i}.jpg")
    s.reports.seal(rid)
    return rid


def stick(tmp: Path, name: str = "stick") -> Path:
    p = tmp / name
    p.mkdir(exist_ok=True)
    return p


def export(s: Session, folder: Path, **kw: Any) -> list[Path]:
    return [b.path for b in s.field().export.to_folder(folder, **kw).bundles]


def hq_counts(hq: Session) -> dict[str, int]:
    """Rows in every HQ import table, and imported blob files on disk."""
    out = {
        t: int(hq.vault.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # noqa: S608
        for t in ("hq_bundles", "hq_reports", "hq_attachments", "hq_custody")
    }
    blobs = hq.vault.paths.blobs / "imported"
    out["blob_files"] = sum(1 for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else 0
    return out


EMPTY = {"hq_bundles": 0, "hq_reports": 0, "hq_attachments": 0, "hq_custody": 0, "blob_files": 0}


# ---------------------------------------------------------------------- forging bundles
def raw_header(name: str, size: int, kind: bytes = b"0", linkname: str = "") -> bytes:
    """A ustar header with any name and type (the real writer refuses bad ones)."""
    info = tarfile.TarInfo("x")
    info.size = size
    info.type = kind
    info.linkname = linkname
    info.mtime = 0
    buf = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    raw = name.encode()
    buf[0:100] = raw[:100].ljust(100, b"\x00")
    buf[148:156] = b"        "
    buf[148:156] = f"{sum(buf):06o}\x00 ".encode()
    return bytes(buf)


def tar_of(members: Sequence[tuple[str, bytes]] | Sequence[tuple[bytes, bytes]]) -> bytes:
    """A plaintext archive from (name or raw header, data) pairs."""
    out = bytearray()
    for name, data in members:
        head = name if isinstance(name, bytes) else tarstream.header(name, len(data), 0)
        out += head + data + bytes(tarstream.padding(len(data)))
    return bytes(out + tarstream.END_OF_ARCHIVE)


def seal_to(recipients: Sequence[age.X25519Recipient], plain: bytes) -> bytes:
    out = io.BytesIO()
    age.encrypt(list(recipients), io.BytesIO(plain), out)
    return out.getvalue()


def hq_recipients(hq: Session) -> list[age.X25519Recipient]:
    from kpfield.hq import keys

    return [age.parse_recipient(r) for r in keys.recipients(hq.vault)]


def decrypt_with_hq(hq: Session, data: bytes) -> bytes:
    from kpfield.hq import keys

    out = io.BytesIO()
    age.decrypt(keys.identities(hq.vault), io.BytesIO(data), out)
    return out.getvalue()


def split_tar(plain: bytes) -> list[tuple[str, bytes]]:
    """(name, data) of each member of a plaintext archive we wrote."""
    out = []
    pos = 0
    while True:
        parsed = tarstream.parse_header(plain[pos : pos + 512])
        if parsed is None:
            return out
        name, size = parsed
        out.append((name, plain[pos + 512 : pos + 512 + size]))
        pos += tarstream.member_span(size)


@dataclass
class Forger:
    """Re-signs altered bundles with the real device key: tests the checks behind the signature."""

    field_session: Session
    members: list[tuple[str, bytes]] = field(default_factory=list)

    def sign(self, data: bytes, comment: str) -> bytes:
        key = self.field_session.vault.device_key
        pub = key.public_key().public_bytes_raw()
        return minisign.sign(key, minisign.key_id_for(pub), data, trusted_comment=comment).encode()

    def head(self, manifest: mf.Manifest) -> list[tuple[str, bytes]]:
        data = manifest.to_bytes()
        sums = manifest.sums_text()
        return [
            (mf.MANIFEST, data),
            (mf.MANIFEST_SIG, self.sign(data, manifest.trusted_comment())),
            (mf.SUMS, sums),
            (mf.SUMS_SIG, self.sign(sums, manifest.trusted_comment() + " SHA256SUMS")),
        ]


def resigned(
    forger: Forger,
    manifest: mf.Manifest,
    body: Sequence[tuple[str, bytes]] | Sequence[tuple[bytes, bytes]],
    recipients: Sequence[age.X25519Recipient],
) -> bytes:
    """A bundle whose head is signed correctly for ``manifest`` and whose body is ``body``."""
    return seal_to(recipients, tar_of([*forger.head(manifest), *body]))  # type: ignore[list-item]


def with_members(
    manifest: mf.Manifest, members: Sequence[mf.Member], **changes: Any
) -> mf.Manifest:
    return replace(manifest, members=tuple(members), **changes)


def member_entry(name: str, data: bytes) -> mf.Member:
    return mf.Member(name, len(data), hashlib.sha256(data).hexdigest())


def with_bad_seal(hq: Session, field_s: Session, bundle: Path, out: Path) -> Path:
    """The same bundle, correctly signed and encrypted, with one report's seal made over other
    bytes (a seal that does not verify, inside a manifest that does)."""
    members = split_tar(decrypt_with_hq(hq, bundle.read_bytes()))
    m = mf.parse(members[0][1])
    body = members[4:]
    forger = Forger(field_s)
    entry = m.reports[0]
    at = next(i for i, (n, _d) in enumerate(body) if n == entry.signature_member)
    bad = forger.sign(b"not the sealed report", f"kpfield sealed report {entry.id} version 1")
    body[at] = (entry.signature_member, bad)
    members_ = [member_entry(n, d) if n == entry.signature_member else x
                for x, (n, d) in zip(m.members, body, strict=True)]  # fmt: skip
    forged = with_members(m, members_)
    return write(out, resigned(forger, forged, body, hq_recipients(hq)))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


NOW = datetime(2026, 11, 28, tzinfo=UTC)
