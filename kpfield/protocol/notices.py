"""HQ's gap notice: the bundle numbers HQ has not received from one device, signed by HQ.

``{"gap_notice": {"format": "kpfield.gap-notice/1", "device_id": "<16 hex>", "missing": [3, 4],
"highest": 9, "issued_at": "…"}, "signature": "<minisign text>"}``. It holds sequence numbers
only, which the relay already knows, so it travels unencrypted. A device that still has one of
the missing bundles in its outbox sends it again (same bytes, same id: exactly once at HQ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kpfield.crypto import minisign
from kpfield.errors import N_, IntegrityError
from kpfield.protocol.signed import Signer, parse_document, sign_document

FORMAT = "kpfield.gap-notice/1"
MAX_NOTICE_BYTES = 64 * 1024
MAX_MISSING = 1000
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class GapNotice:
    device_id: str
    missing: tuple[int, ...]
    highest: int
    issued_at: str


def build_gap_notice(
    signer: Signer, device_id: str, missing: list[int], highest: int, *, issued_at: str
) -> bytes:
    doc = {
        "format": FORMAT,
        "device_id": device_id,
        "missing": sorted(missing)[:MAX_MISSING],
        "highest": highest,
        "issued_at": issued_at,
    }
    return sign_document(
        "gap_notice",
        doc,
        signer,
        trusted=f"kpfield gap notice for device {device_id}",
        untrusted="KP Field HQ gap notice",
    )


def _check(doc: dict[str, Any]) -> GapNotice:
    missing = doc["missing"]
    if not _HEX16.match(str(doc["device_id"])) or not isinstance(missing, list):
        raise ValueError
    if len(missing) > MAX_MISSING or not isinstance(doc["highest"], int):
        raise ValueError
    if any(not isinstance(m, int) or isinstance(m, bool) or m < 1 for m in missing):
        raise ValueError
    return GapNotice(
        str(doc["device_id"]), tuple(missing), int(doc["highest"]), str(doc["issued_at"])
    )


def parse_gap_notice(data: bytes, hq_key: minisign.MinisignPublicKey, device_id: str) -> GapNotice:
    """Check a gap notice's structure, HQ's signature and that it is for this device."""
    signed, notice = parse_document(
        data,
        kind="gap_notice",
        format=FORMAT,
        max_bytes=MAX_NOTICE_BYTES,
        too_large=N_("A gap notice is too large."),
        invalid=N_("A gap notice is not valid."),
        check=_check,
    )
    assert notice is not None  # noqa: S101 - _check returns or raises
    signed.verify(hq_key, N_("A gap notice is not signed by this coalition's HQ key; ignored."))
    if notice.device_id != device_id:
        raise IntegrityError(N_("A gap notice is for another device; it was ignored."))
    return notice
