"""HQ: the text of a plain-text document attached to a case, decrypted into memory only.

The desk shows it as plain text. Only the first ``TEXT_LIMIT`` bytes are kept (a text viewer is
no place for a 200 MB log), but the whole original is streamed through SHA-256 so the analyst
sees whether it still matches the sealed report. Nothing is written to disk.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass

from kpfield.errors import N_, MediaError, NotFound
from kpfield.hq import cases
from kpfield.vault.desk_store import DeskStore
from kpfield.vault.vault import Vault

TEXT_LIMIT = 1_000_000
"""Bytes of a document shown at most (read at call time, so a test can lower it)."""
TEXT_MIME = "text/plain"


@dataclass(frozen=True)
class DocumentText:
    text: str
    truncated: bool
    """Only the first ``shown`` bytes of ``size`` are in ``text``."""
    shown: int
    size: int
    sha256_ok: bool
    """SHA-256 of the whole original, recomputed now, matches the sealed report."""


def read_text(
    vault: Vault, report_id: str, attachment_id: str, limit: int | None = None
) -> DocumentText:
    from kpfield.hq.intake import original_bytes  # as CaseService.original: loaded when used

    cap = TEXT_LIMIT if limit is None else limit
    sealed = DeskStore(vault.conn).sealed(report_id)
    if sealed is None:
        raise NotFound(N_("No imported report has the id {id}."), id=report_id)
    found = next(
        (a for a in cases.attachments(cases.parse_sealed(sealed[2]))
         if str(a.get("id", "")) == attachment_id),
        None,
    )  # fmt: skip
    if found is None:
        raise NotFound(N_("No imported attachment has the id {id}."), id=attachment_id)
    if str(found.get("mime", "")) != TEXT_MIME:
        raise MediaError(N_("Only plain text documents can be read inside KP Field."))
    digest = hashlib.sha256()
    kept = bytearray()
    size = 0
    for chunk in original_bytes(vault, attachment_id):
        digest.update(chunk)
        size += len(chunk)
        if len(kept) < cap:
            kept += chunk[: cap - len(kept)]
    truncated = size > len(kept)
    # A cut may fall inside a UTF-8 sequence: an unfinished one is dropped, not replaced.
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    text = decoder.decode(bytes(kept), final=not truncated)
    return DocumentText(
        text, truncated, len(kept), size, digest.hexdigest() == str(found.get("sha256", ""))
    )
