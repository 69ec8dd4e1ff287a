"""verify decrypts every blob the vault holds: a damaged thumbnail is repairable and is made again
from its verified original; a damaged original is a failure that no repair hides."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kpfield.app import Session
from kpfield.services.repair import repair_derivatives
from kpfield.services.verify import verify_vault
from kpfield.vault.keyslots import KdfParams
from tests.conftest import make_jpeg


def flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def delete(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {"flip": flip, "truncate": truncate, "delete": delete}


def _photo(session: Session, example_doc: dict[str, Any], *, seal: bool) -> str:
    rid = session.reports.create_from_document(example_doc)
    att = session.reports.attach_bytes(rid, make_jpeg(seed=41), "a.jpg")
    if seal:
        session.reports.seal(rid)
    assert verify_vault(session.vault).ok
    return att.id


def _files(session: Session, aid: str) -> tuple[Path, Path]:
    blob, thumb = session.reports.store.blob_refs(aid)
    assert thumb is not None
    return session.vault.blobs.path(blob.name), session.vault.blobs.path(thumb.name)


@pytest.mark.parametrize("seal", [True, False], ids=["sealed", "draft"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_thumbnail_is_repairable_and_repaired(
    session: Session, example_doc: dict[str, Any], damage: str, seal: bool
) -> None:
    aid = _photo(session, example_doc, seal=seal)
    _original, thumb = _files(session, aid)
    before = session.reports.thumbnail_bytes(aid)
    DAMAGE[damage](thumb)

    result = verify_vault(session.vault)
    assert not result.ok
    assert result.problems == []
    assert [d.attachment_id for d in result.repairable] == [aid]
    assert "thumbnail" in str(result.repairable[0])

    repaired = repair_derivatives(session.vault, result.repairable)
    assert (repaired.regenerated, repaired.failed) == (1, [])
    assert verify_vault(session.vault).ok
    assert not thumb.exists()  # the damaged file is gone, a new random name replaces it
    _original, new_thumb = _files(session, aid)
    assert new_thumb != thumb and new_thumb.exists()
    assert not new_thumb.read_bytes().startswith(b"\xff\xd8")  # encrypted on disk
    regenerated = session.reports.thumbnail_bytes(aid) or b""
    assert regenerated == before  # made as at import
    with Image.open(io.BytesIO(regenerated)) as img:
        assert img.format == "JPEG" and max(img.size) <= 320


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_original_is_a_failure_repair_does_not_hide(
    session: Session, example_doc: dict[str, Any], damage: str
) -> None:
    aid = _photo(session, example_doc, seal=True)
    original, _thumb = _files(session, aid)
    DAMAGE[damage](original)

    result = verify_vault(session.vault)
    assert result.repairable == []
    assert len(result.problems) == 1 and aid[:8] in result.problems[0]
    assert repair_derivatives(session.vault, result.repairable).regenerated == 0
    assert verify_vault(session.vault).problems == result.problems


def test_a_thumbnail_of_a_damaged_original_cannot_be_repaired(
    session: Session, example_doc: dict[str, Any]
) -> None:
    aid = _photo(session, example_doc, seal=True)
    original, thumb = _files(session, aid)
    flip(original)
    flip(thumb)
    result = verify_vault(session.vault)
    assert result.repairable == []
    assert any("cannot be made again" in p for p in result.problems)


def test_repair_refuses_an_original_damaged_since_the_check(
    session: Session, example_doc: dict[str, Any]
) -> None:
    aid = _photo(session, example_doc, seal=True)
    original, thumb = _files(session, aid)
    flip(thumb)
    damaged = verify_vault(session.vault).repairable
    flip(original)
    repaired = repair_derivatives(session.vault, damaged)
    assert repaired.regenerated == 0 and len(repaired.failed) == 1
    assert thumb.exists()  # nothing was replaced


def test_hq_checks_the_originals_it_imported(
    tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any]
) -> None:
    from tests.bundle.world import export, new_field, new_hq, seal_report, stick

    hq = new_hq(tmp_path / "hq", cheap_params)
    field = new_field(tmp_path / "laptop", cheap_params, hq)
    try:
        seal_report(field, example_doc, photos=1)
        hq.hq().intake.import_paths(export(field, stick(tmp_path)))
        result = verify_vault(hq.vault)
        assert result.ok and result.imported_attachments == 1
        (blob,) = (p for p in (hq.vault.paths.blobs / "imported").rglob("*") if p.is_file())
        flip(blob)
        result = verify_vault(hq.vault)
        assert result.repairable == []
        assert len(result.problems) == 1
        assert result.problems[0].startswith("imported report ")
    finally:
        field.close()
        hq.close()
