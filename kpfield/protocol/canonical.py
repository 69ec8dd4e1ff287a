"""Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, integers only (no floats).

Two encoders that follow these rules produce the same bytes for the same value, so a hash or a
signature over canonical JSON can be checked by anyone (``jq -cS`` gives the same bytes for
documents without floats and without non-ASCII escapes).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kpfield.errors import N_, ValidationError


def _check(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise ValidationError(
            N_("Canonical JSON cannot hold fractional numbers ({path})."), path=path
        )
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValidationError(N_("Canonical JSON keys must be text ({path})."), path=path)
            _check(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")


def canonical_json(value: Any) -> bytes:
    _check(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
