"""The manifest's version-2 lists: witness identities and consent withdrawals a bundle carries.

Kept apart from the rest of the manifest so the version-1 layout stays exactly as it was. Each
entry names one member; the member's size and SHA-256 are in ``members`` like every other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kpfield.errors import BundleError
from kpfield.protocol.withdrawal import MAX_NOTICE_BYTES
from kpfield.protocol.witness_identity import MAX_IDENTITY_BYTES

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_ENTRIES = 20_000

Bad = Callable[[str], BundleError]


@dataclass(frozen=True)
class IdentityEntry:
    witness_id: str
    member: str


@dataclass(frozen=True)
class WithdrawalEntry:
    notice_id: str
    member: str


def identity_member(witness_id: str) -> str:
    return f"identities/{witness_id}.json"


def withdrawal_member(notice_id: str) -> str:
    return f"withdrawals/{notice_id}.json"


def witness_entries_json(
    identities: tuple[IdentityEntry, ...], withdrawals: tuple[WithdrawalEntry, ...]
) -> dict[str, Any]:
    return {
        "identities": [{"witness_id": i.witness_id, "member": i.member} for i in identities],
        "withdrawals": [{"notice_id": w.notice_id, "member": w.member} for w in withdrawals],
    }


def _entries(raw: Any, key: str, bad: Bad) -> list[tuple[str, str]]:
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise bad(f"the {key} list is invalid")
    out = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {key, "member"}:
            raise bad(f"an entry of {key} has missing or unexpected fields")
        ident, member = item[key], item["member"]
        if not isinstance(ident, str) or not _UUID.match(ident) or not isinstance(member, str):
            raise bad(f"an entry of {key} is malformed")
        out.append((ident, member))
    return out


def parse_witness_entries(top: dict[str, Any], bad: Bad) -> dict[str, Any]:
    """The two lists of a version-2 manifest (empty for version 1), as Manifest fields."""
    if "identities" not in top:
        return {}
    return {
        "identities": tuple(
            IdentityEntry(w, m) for w, m in _entries(top["identities"], "witness_id", bad)
        ),
        "withdrawals": tuple(
            WithdrawalEntry(n, m) for n, m in _entries(top["withdrawals"], "notice_id", bad)
        ),
    }


def check_witness_entries(
    identities: tuple[IdentityEntry, ...], withdrawals: tuple[WithdrawalEntry, ...], bad: Bad
) -> dict[str, int]:
    """Each entry once, under its expected name; returns member name → size cap."""
    expected: dict[str, int] = {}
    if len({i.witness_id for i in identities}) != len(identities):
        raise bad("a witness identity is listed twice")
    if len({w.notice_id for w in withdrawals}) != len(withdrawals):
        raise bad("a consent withdrawal is listed twice")
    for i in identities:
        if i.member != identity_member(i.witness_id):
            raise bad("a witness identity member has an unexpected name")
        expected[i.member] = MAX_IDENTITY_BYTES
    for w in withdrawals:
        if w.member != withdrawal_member(w.notice_id):
            raise bad("a consent withdrawal member has an unexpected name")
        expected[w.member] = MAX_NOTICE_BYTES
    return expected
