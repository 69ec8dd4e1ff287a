"""The one parse-and-verify path for signed documents.

A signed document is canonical JSON ``{"<kind>": doc, "signature": "<minisign text>"}`` where
the Ed25519 key signs the canonical JSON of ``doc`` (minisign format, so ``minisign -V`` checks
it too). Parsing is strict: a size cap, exactly those two keys, the expected ``format``, and the
caller's structural checks; every malformed input becomes one clear :class:`IntegrityError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import keys, minisign
from kpfield.errors import CryptoError, IntegrityError, ValidationError
from kpfield.protocol.canonical import canonical_json, sha256_hex

T = TypeVar("T")

MALFORMED: tuple[type[BaseException], ...] = (
    UnicodeDecodeError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    ValidationError,
    CryptoError,
)
"""What a hostile document can provoke while its structure is read (json, dict access, keys)."""


@dataclass(frozen=True)
class Signer:
    """An Ed25519 signing key with its minisign public half (HQ's key, a device's, the relay's)."""

    key: Ed25519PrivateKey
    public: minisign.MinisignPublicKey

    @classmethod
    def from_key(cls, key: Ed25519PrivateKey) -> Signer:
        return cls(key, minisign.MinisignPublicKey.from_private(key))

    @property
    def key_id_hex(self) -> str:
        return self.public.key_id.hex()

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public.public_key)


@dataclass(frozen=True)
class SignedDocument:
    """A parsed document whose structure was checked (its signature is checked separately)."""

    kind: str
    doc: dict[str, Any]
    signature: str

    @property
    def body(self) -> bytes:
        """The signed bytes: the canonical JSON of the document."""
        return canonical_json(self.doc)

    @property
    def sha256(self) -> str:
        return sha256_hex(self.body)

    def verify(self, public: minisign.MinisignPublicKey, altered: str, **params: Any) -> None:
        """Check the signature with ``public``; ``altered`` is the message when it fails."""
        try:
            minisign.verify(public, self.signature, self.body)
        except CryptoError:
            raise IntegrityError(altered, **params) from None


def sign_document(
    kind: str, doc: dict[str, Any], signer: Signer, *, trusted: str, untrusted: str
) -> bytes:
    """The document file: canonical JSON of ``{kind: doc, "signature": …}``."""
    signature = minisign.sign(
        signer.key,
        signer.public.key_id,
        canonical_json(doc),
        trusted_comment=trusted,
        untrusted_comment=untrusted,
    )
    return canonical_json({kind: doc, "signature": signature})


@contextmanager
def malformed_is(message: str, **params: Any) -> Iterator[None]:
    """Turn whatever a hostile structure provokes inside the block into one clear error."""
    try:
        yield
    except IntegrityError:
        raise
    except MALFORMED:
        raise IntegrityError(message, **params) from None


def parse_document(
    data: bytes,
    *,
    kind: str,
    format: str,  # noqa: A002 - the documents' own field name
    max_bytes: int,
    too_large: str,
    invalid: str,
    strict_canonical: bool = False,
    check: Callable[[dict[str, Any]], T] | None = None,
) -> tuple[SignedDocument, T | None]:
    """Parse ``{kind: doc, "signature": …}``: size, shape, format, then ``check(doc)``.

    ``strict_canonical`` refuses any byte-level variant of the canonical form (for documents that
    are hashed as received, like receipts). ``check`` raises on a bad structure and may return a
    typed view of the document.
    """
    if len(data) > max_bytes:
        raise IntegrityError(too_large)
    with malformed_is(invalid):
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or set(raw) != {kind, "signature"}:
            raise ValueError
        if strict_canonical and canonical_json(raw) != data:
            raise ValueError
        doc = raw[kind]
        signature = raw["signature"]
        if not isinstance(doc, dict) or doc.get("format") != format:
            raise ValueError
        if not isinstance(signature, str):
            raise ValueError
        view = check(doc) if check is not None else None
        return SignedDocument(kind, doc, signature), view
    raise AssertionError("unreachable")  # pragma: no cover - malformed_is always raises


def digits(fingerprint: str) -> str:
    """A fingerprint's digits only: what two people compare when they read it aloud."""
    return "".join(ch for ch in fingerprint if ch.isdigit())


def same_fingerprint(read_aloud: str, actual: str) -> bool:
    return bool(digits(read_aloud)) and digits(read_aloud) == digits(actual)
