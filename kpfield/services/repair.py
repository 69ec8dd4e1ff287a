"""``kpfield verify --repair``: make damaged derivatives again from their verified originals.

Only derivatives are ever rewritten. The original is decrypted and checked against the SHA-256
recorded at import first; if it fails, nothing is regenerated and the damage stays reported.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from kpfield import media
from kpfield.errors import N_, IntegrityError, KpfieldError
from kpfield.services.verify import DamagedDerivative
from kpfield.vault.db import transaction
from kpfield.vault.records import BlobRef, RecordStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


@dataclass
class RepairResult:
    regenerated: int = 0
    failed: list[str] = field(default_factory=list)


def repair_derivatives(vault: Vault, damaged: Sequence[DamagedDerivative]) -> RepairResult:
    """Regenerate each damaged thumbnail; one that cannot be made is listed, not fatal."""
    result = RepairResult()
    store = RecordStore(vault.conn)
    for item in damaged:
        try:
            regenerate_thumbnail(vault, store, item.attachment_id)
        except KpfieldError as exc:
            result.failed.append(f"{item.label}: {exc.message}")
            continue
        except OSError as exc:  # the original's file became unreadable since it was verified
            result.failed.append(f"{item.label}: the stored file cannot be read ({exc.strerror})")
            continue
        result.regenerated += 1
    log.info("regenerated %d thumbnails, %d could not be", result.regenerated, len(result.failed))
    return result


def regenerate_thumbnail(vault: Vault, store: RecordStore, aid: str) -> None:
    """A new thumbnail from the verified original, stored as a new encrypted blob."""
    att = store.get_attachment(aid)
    blob, old = store.blob_refs(aid)
    original = vault.blobs.get(blob.name, blob.key)
    if hashlib.sha256(original).hexdigest() != att.sha256:
        raise IntegrityError(N_("A stored photo does not match its recorded fingerprint."))
    # Same function and size as at import; the bytes go from memory straight into the blob
    # store, encrypted, never to a plain file.
    thumb = vault.blobs.put(media.make_thumbnail(original, name=att.original_name))
    try:
        with transaction(vault.conn):
            store.replace_thumbnail(aid, BlobRef(thumb.name, thumb.key))
    except BaseException:
        vault.blobs.delete(thumb.name)
        raise
    # Only after the commit: a crash before this leaves an unreferenced file, swept at next open.
    if old is not None:
        vault.blobs.delete(old.name)
