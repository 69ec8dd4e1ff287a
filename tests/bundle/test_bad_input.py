"""Every kind of bad bundle is rejected with a clear reason, and nothing at all is imported."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle import manifest as mf
from kpfield.crypto import age
from kpfield.hq import intake
from kpfield.vault import hq_store
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import (
    EMPTY,
    Forger,
    decrypt_with_hq,
    export,
    hq_counts,
    hq_recipients,
    new_field,
    new_hq,
    raw_header,
    resigned,
    seal_report,
    seal_to,
    split_tar,
    stick,
    tar_of,
    write,
)


@pytest.fixture
def bundle(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> Path:
    seal_report(field_s, example_doc, photos=2)
    [path] = export(field_s, stick(tmp_path))
    return path


def rejected(hq: Session, path: Path, *words: str) -> str:
    result = hq.hq().intake.import_paths([path])
    [outcome] = result.outcomes
    assert outcome.status == intake.REJECTED, outcome
    for w in words:
        assert w in outcome.reason, outcome.reason
    assert hq_counts(hq) == EMPTY
    return outcome.reason


def parts(hq: Session, path: Path) -> tuple[mf.Manifest, list[tuple[str, bytes]]]:
    members = split_tar(decrypt_with_hq(hq, path.read_bytes()))
    return mf.parse(members[0][1]), members[4:]


@pytest.mark.parametrize("where", [0, 60, 150, 0.5, -17, -1])
def test_bit_flip_anywhere(hq: Session, bundle: Path, tmp_path: Path, where: float) -> None:
    data = bytearray(bundle.read_bytes())
    i = int(where * len(data)) if isinstance(where, float) else where
    data[i] ^= 0x04
    rejected(hq, write(tmp_path / "flipped", bytes(data)))


@pytest.mark.parametrize("keep", [0, 21, 100, 0.5, -16, -1])
def test_truncation_anywhere(hq: Session, bundle: Path, tmp_path: Path, keep: float) -> None:
    data = bundle.read_bytes()
    n = int(keep * len(data)) if isinstance(keep, float) else keep % len(data) if keep else 0
    rejected(hq, write(tmp_path / "cut", data[:n]))


@pytest.mark.parametrize("junk", [b"x", b"\x00" * 16, bytes(70_000)])
def test_trailing_junk(hq: Session, bundle: Path, tmp_path: Path, junk: bytes) -> None:
    rejected(hq, write(tmp_path / "junk", bundle.read_bytes() + junk), "damaged")


def test_bundle_for_another_hq(
    hq: Session, bundle: Path, tmp_path: Path, cheap_params: KdfParams
) -> None:
    other = new_hq(tmp_path / "other-hq", cheap_params)
    try:
        plain = decrypt_with_hq(hq, bundle.read_bytes())
        foreign = write(tmp_path / "foreign", seal_to(hq_recipients(other), plain))
    finally:
        other.close()
    rejected(hq, foreign, "not addressed to this HQ")


def test_manifest_naming_another_hq(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    other = age.X25519Identity.generate().recipient.to_string()
    forged = dataclasses.replace(m, recipients=(other,))
    data = resigned(Forger(field_s), forged, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", data), "not among the recipients")


def test_unenrolled_device(
    hq: Session, tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    stranger = new_field(tmp_path / "stranger", cheap_params, hq, enroll=False)
    try:
        seal_report(stranger, example_doc, photos=1)
        [path] = export(stranger, stick(tmp_path))
    finally:
        stranger.close()
    rejected(hq, path, "not enrolled")


def test_revoked_device(hq: Session, field_s: Session, bundle: Path) -> None:
    [dev] = hq.hq().devices.enrolled()
    hq.hq().devices.revoke(dev.device_id[:6])
    rejected(hq, bundle, "revoked")


def test_replay_changes_nothing(hq: Session, bundle: Path, tmp_path: Path) -> None:
    assert hq.hq().intake.import_paths([bundle]).imported == 1
    before = hq_counts(hq)
    copy = write(tmp_path / "copy", bundle.read_bytes())
    again = hq.hq().intake.import_paths([copy])
    assert [o.status for o in again.outcomes] == [intake.DUPLICATE]
    assert again.imported == 0
    assert hq_counts(hq) == before


def test_same_sequence_different_content(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    field_s.vault.set_meta("bundle_sequence", "0")
    field_s.vault.set_meta("bundle_last_manifest_sha256", "")
    field_s.vault.conn.execute("DELETE FROM bundles_out")  # a laptop restored from a backup
    [second] = export(field_s, stick(tmp_path, "second"), again=True)
    assert hq.hq().intake.import_paths([bundle]).imported == 1
    before = hq_counts(hq)
    [outcome] = hq.hq().intake.import_paths([second]).outcomes
    assert outcome.status == intake.REJECTED
    assert "same number, different content" in outcome.reason
    assert hq_counts(hq) == before


def test_broken_previous_link(hq: Session, field_s: Session, bundle: Path, tmp_path: Path) -> None:
    m, body = parts(hq, bundle)
    assert hq.hq().intake.import_paths([bundle]).imported == 1
    before = hq_counts(hq)
    forged = dataclasses.replace(m, sequence=2, previous_manifest_sha256="ab" * 32)
    data = resigned(Forger(field_s), forged, body, hq_recipients(hq))
    [outcome] = hq.hq().intake.import_paths([write(tmp_path / "b2", data)]).outcomes
    assert outcome.status == intake.REJECTED and "chain is broken" in outcome.reason
    assert hq_counts(hq) == before


def test_altered_manifest_without_signature(hq: Session, bundle: Path, tmp_path: Path) -> None:
    members = split_tar(decrypt_with_hq(hq, bundle.read_bytes()))
    m = mf.parse(members[0][1])
    forged = dataclasses.replace(m, device_name="someone else").to_bytes()
    plain = tar_of([(mf.MANIFEST, forged), *members[1:]])
    rejected(hq, write(tmp_path / "b", seal_to(hq_recipients(hq), plain)), "signature")


def test_member_missing(hq: Session, field_s: Session, bundle: Path, tmp_path: Path) -> None:
    m, body = parts(hq, bundle)
    photo = next(i for i, (n, _) in enumerate(body) if n.startswith("attachments/"))
    del body[photo]
    data = resigned(Forger(field_s), m, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", data), "missing, extra or out of order")


def test_member_extra_in_archive(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    data = resigned(Forger(field_s), m, [*body, ("extra.txt", b"hello")], hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", data), "not in its manifest")
    body.insert(1, ("extra.txt", b"hello"))
    data = resigned(Forger(field_s), m, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "c", data), "extra.txt")


def test_manifest_lists_extra_member(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    extra = mf.Member("extra.txt", 5, "0" * 64)
    forged = dataclasses.replace(m, members=(*m.members, extra))
    data = resigned(Forger(field_s), forged, [*body, ("extra.txt", b"hello")], hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", data), "members no report needs")


def test_member_content_altered_under_valid_signature(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    i = next(i for i, (n, _) in enumerate(body) if n.startswith("attachments/"))
    name, data = body[i]
    body[i] = (name, data[:-1] + bytes([data[-1] ^ 1]))
    out = resigned(Forger(field_s), m, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", out), "does not match its SHA-256")


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (raw_header("/etc/passwd", 5), "absolute path"),
        (raw_header("../../evil", 5), "climbs out"),
        (raw_header("attachments/../../evil", 5), "climbs out"),
        (raw_header("link", 0, b"2", "/etc/passwd"), "symbolic link"),
        (raw_header("hard", 0, b"1", "manifest.json"), "hard link"),
        (raw_header("dev", 0, b"3"), "character device"),
        (raw_header("dir", 0, b"5"), "directory"),
        (raw_header("pax", 5, b"x"), "pax"),
    ],
)
def test_hostile_tar_members(  # noqa: PLR0917 - fixtures and parameters
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path, header: bytes, words: str
) -> None:
    m, body = parts(hq, bundle)
    for position in (0, len(body)):
        hostile: list[Any] = list(body)
        hostile.insert(position, (header, b"evil!"[: int(header[124:135], 8)]))
        data = resigned(Forger(field_s), m, hostile, hq_recipients(hq))
        rejected(hq, write(tmp_path / f"b{position}", data), words)
    assert not (tmp_path / "evil").exists()


def test_hostile_member_as_first_member(hq: Session, tmp_path: Path) -> None:
    plain = tar_of([(raw_header("/etc/passwd", 5), b"evil!")])
    rejected(hq, write(tmp_path / "b", seal_to(hq_recipients(hq), plain)), "absolute path")


def test_manifest_claiming_100_gb(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    huge = 100 * 10**9
    r = m.reports[0]
    a = dataclasses.replace(r.attachments[0], size=huge)
    reports = (dataclasses.replace(r, attachments=(a, *r.attachments[1:])),)
    members = tuple(
        dataclasses.replace(x, size=huge) if x.name == a.member else x for x in m.members
    )
    forged = dataclasses.replace(m, reports=reports, members=members)
    data = resigned(Forger(field_s), forged, body, hq_recipients(hq))
    reason = rejected(hq, write(tmp_path / "b", data))
    assert "manifest" in reason


def test_manifest_claiming_too_much_in_total(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    many = tuple(
        mf.Member(f"attachments/{i:08d}-0000-4000-8000-000000000000.bin", 200 << 20, "0" * 64)
        for i in range(25)
    )
    forged = dataclasses.replace(m, members=(*m.members, *many))
    data = resigned(Forger(field_s), forged, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", data), "more data than a bundle may hold")


def test_not_a_bundle_at_all(hq: Session, tmp_path: Path) -> None:
    rejected(hq, write(tmp_path / "text", b"hello, this is not a bundle\n"), "not a KP Field")
    rejected(hq, write(tmp_path / "empty", b""))
    plain = seal_to(hq_recipients(hq), b"not a tar at all" * 100)
    rejected(hq, write(tmp_path / "garbage", plain), "not POSIX ustar")


def test_rejection_reasons_are_shown_in_the_analysts_language(tmp_path: Path, hq: Session) -> None:
    from kpfield.i18n import I18n

    junk = tmp_path / "junk"
    junk.write_bytes(b"age-encryption.org/v1\n-> X25519 bad\n")
    result = hq.hq().intake.import_paths([junk])
    [outcome] = result.outcomes
    assert outcome.status == intake.REJECTED
    english = outcome.line()
    french = outcome.line(I18n("fr").gettext)
    assert "rejected" in english
    assert "rejected" not in french
    assert french.startswith(str(junk))
    assert "refusé" in french


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-100k-deep"),
        pytest.param(b'{"a":"\\ud800"}', id="lone-surrogate"),
    ],
)
def test_hostile_manifest_before_signature_is_rejected_and_others_still_import(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any], manifest: bytes
) -> None:
    """Anyone who knows HQ's public recipients can craft this; it must not stop the import."""
    folder = stick(tmp_path)
    seal_report(field_s, example_doc, photos=1)
    export(field_s, folder)
    hostile = tar_of([(mf.MANIFEST, manifest), (mf.MANIFEST_SIG, b"x")])
    write(folder / ("0" * 32), seal_to(hq_recipients(hq), hostile))  # sorts first on the stick
    result = hq.hq().intake.import_paths([folder])
    statuses = sorted(o.status for o in result.outcomes)
    assert statuses == [intake.IMPORTED, intake.REJECTED]
    rejected = next(o for o in result.outcomes if o.status == intake.REJECTED)
    assert "manifest" in rejected.reason


def test_gap_listing_does_not_depend_on_how_large_sequence_numbers_are(hq: Session) -> None:
    """A huge sequence number (a stolen device key) must not make HQ build a huge list."""
    conn = hq.vault.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    for seq in (1, 3, 20_000_000):
        conn.execute(
            "INSERT INTO hq_bundles(manifest_sha256, device_id, sequence, bundle_id,"
            " custody_head_seq, custody_head_hash, manifest, signature, imported_at)"
            " VALUES (?, 'dev1', ?, 'b', 0, '', '{}', '', 't')",
            (f"{seq:064x}", seq),
        )
    missing = intake.gaps(hq.vault)["dev1"]
    assert missing[:2] == [2, 4]
    assert len(missing) == hq_store.MAX_LISTED_GAPS


def test_sequence_jumping_far_ahead_is_rejected(
    tmp_path: Path, hq: Session, field_s: Session, example_doc: dict[str, Any]
) -> None:
    seal_report(field_s, example_doc, photos=0)
    field_s.vault.set_meta("bundle_sequence", str(intake.MAX_SEQUENCE_JUMP + 5))
    folder = stick(tmp_path)
    export(field_s, folder)
    [outcome] = hq.hq().intake.import_paths([folder]).outcomes
    assert outcome.status == intake.REJECTED
    assert "jumps too far" in outcome.reason
    assert hq_counts(hq) == EMPTY
