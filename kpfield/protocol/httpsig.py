"""HTTP Message Signatures (RFC 9421) with Ed25519, and Content-Digest (RFC 9530), over plain data.

A request carries three headers::

    Content-Digest: sha-256=:<base64 SHA-256 of the body>:
    Signature-Input: sig1=("@method" "@authority" "@path" "@query" "content-digest" ...);\
created=<unix>;nonce="<random>";keyid="<key id hex>";alg="ed25519"
    Signature: sig1=:<base64 Ed25519 signature of the signature base>:

Every request covers ``@method @authority @path @query content-digest`` and each of
:data:`SIGNED_HEADERS` that it carries. ``@authority``/``@path`` are used instead of
``@target-uri`` so that a TLS-terminating proxy (which changes the scheme) does not break them.
No web framework is imported here: the relay and the field client both call these functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kpfield.errors import N_, IntegrityError

LABEL = "sig1"
ALG = "ed25519"
BASE_COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")
# Headers that change what a request means: covered whenever present.
SIGNED_HEADERS = (
    "tus-resumable",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-checksum",
    "x-http-method-override",
    "kpfield-document-kind",
    "kpfield-document-signature",
)
DEFAULT_WINDOW = 300  # seconds either side of the relay's clock
MAX_SIGNATURE_INPUT = 2048
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_KEYID = re.compile(r"^[0-9a-f]{16}$")
_COMPONENT = re.compile(r'"([a-z@][a-z0-9-]*)"')
_INPUT = re.compile(r"^sig1=(\(([^()]*)\)((?:;[a-z]+=(?:\d+|\"[^\"\\]*\"))+))$")
_PARAM = re.compile(r';([a-z]+)=(\d+|"[^"\\]*")')
_SIG = re.compile(r"^sig1=:([A-Za-z0-9+/=]+):$")
_DIGEST = re.compile(r"(?:^|,\s*)sha-256=:([A-Za-z0-9+/=]+):(?:\s*,|$)")


class SignatureError(IntegrityError):
    """A request signature is missing, malformed, wrong, stale or replayed; ``code`` says which."""

    def __init__(self, code: str, template: str, **params: object) -> None:
        self.code = code
        super().__init__(template, **params)


@dataclass(frozen=True)
class Target:
    """The parts of a request the signature covers, as the server sees them."""

    method: str
    authority: str
    path: str
    query: str  # without the leading "?"

    @classmethod
    def from_url(cls, method: str, url: str) -> Target:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"
        default = {"http": 80, "https": 443}.get(parts.scheme)
        authority = host if parts.port in (None, default) else f"{host}:{parts.port}"
        return cls(method.upper(), authority, parts.path or "/", parts.query)


@dataclass(frozen=True)
class Verified:
    keyid: str
    created: int
    nonce: str


def content_digest(body: bytes) -> str:
    """The Content-Digest header value for ``body``."""
    return digest_header(hashlib.sha256(body).digest())


def digest_header(sha256: bytes) -> str:
    return "sha-256=:" + base64.b64encode(sha256).decode("ascii") + ":"


def parse_content_digest(value: str) -> bytes:
    """The SHA-256 named by a Content-Digest header (other algorithms ignored)."""
    match = _DIGEST.search(value)
    if match is None:
        raise SignatureError("bad_digest", N_("The request has no SHA-256 Content-Digest."))
    raw = _b64(match.group(1))
    if len(raw) != 32:
        raise SignatureError("bad_digest", N_("The request's Content-Digest is malformed."))
    return raw


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("malformed", N_("A signature header is not valid base64.")) from None


def _component_value(name: str, target: Target, headers: Mapping[str, str]) -> str:
    if name == "@method":
        return target.method
    if name == "@authority":
        return target.authority
    if name == "@path":
        return target.path
    if name == "@query":
        return "?" + target.query
    value = headers.get(name)
    if value is None:
        raise SignatureError(
            "malformed", N_("A signed header is missing from the request ({name})."), name=name
        )
    return value.strip()


def signature_base(
    components: tuple[str, ...], params_text: str, target: Target, headers: Mapping[str, str]
) -> bytes:
    """The RFC 9421 signature base; ``headers`` keys must be lower case."""
    lines = [f'"{name}": {_component_value(name, target, headers)}' for name in components]
    lines.append(f'"@signature-params": {params_text}')
    text = "\n".join(lines)
    if any(ch in text for ch in "\r") or not text.isascii():
        raise SignatureError("malformed", N_("A signed value holds characters not allowed."))
    return text.encode("ascii")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def sign(
    key: Ed25519PrivateKey,
    keyid: str,
    target: Target,
    headers: Mapping[str, str],
    *,
    created: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The Signature-Input and Signature headers for a request (``headers`` must hold its
    Content-Digest and any :data:`SIGNED_HEADERS`); ``created`` is the *relay's* time."""
    lower = _lower(headers)
    components = BASE_COMPONENTS + tuple(h for h in SIGNED_HEADERS if h in lower)
    nonce = nonce or new_nonce()
    inner = "(" + " ".join(f'"{c}"' for c in components) + ")"
    params_text = f'{inner};created={created};nonce="{nonce}";keyid="{keyid}";alg="{ALG}"'
    signature = key.sign(signature_base(components, params_text, target, lower))
    return {
        "Signature-Input": f"{LABEL}={params_text}",
        "Signature": f"{LABEL}=:" + base64.b64encode(signature).decode("ascii") + ":",
    }


@dataclass(frozen=True)
class Parsed:
    components: tuple[str, ...]
    params_text: str
    created: int
    nonce: str
    keyid: str
    signature: bytes


def parse(headers: Mapping[str, str]) -> Parsed:
    """Parse a request's Signature-Input and Signature headers strictly (one ``sig1``)."""
    lower = _lower(headers)
    raw_input, raw_sig = lower.get("signature-input"), lower.get("signature")
    if raw_input is None or raw_sig is None:
        raise SignatureError("unsigned", N_("The request is not signed."))
    if len(raw_input) > MAX_SIGNATURE_INPUT:
        raise SignatureError("malformed", N_("The Signature-Input header is too long."))
    match, sig_match = _INPUT.match(raw_input.strip()), _SIG.match(raw_sig.strip())
    if match is None or sig_match is None:
        raise SignatureError("malformed", N_("The request's signature headers are malformed."))
    inner = match.group(2).split(" ") if match.group(2) else []
    found = [_COMPONENT.fullmatch(c) for c in inner]
    components = tuple(m.group(1) if m else "" for m in found)
    params: dict[str, str] = {}
    for name, value in _PARAM.findall(match.group(3)):
        if name in params:
            raise SignatureError("malformed", N_("A signature parameter is repeated."))
        params[name] = value.strip('"')
    if (
        "" in components
        or len(set(components)) != len(components)
        or set(params) != {"created", "nonce", "keyid", "alg"}
        or params["alg"] != ALG
        or not params["created"].isdigit()
        or not _NONCE.match(params["nonce"])
        or not _KEYID.match(params["keyid"])
    ):
        raise SignatureError("malformed", N_("The request's signature parameters are malformed."))
    signature = _b64(sig_match.group(1))
    if len(signature) != 64:
        raise SignatureError("malformed", N_("The request's signature has the wrong length."))
    return Parsed(
        components,
        match.group(1),
        int(params["created"]),
        params["nonce"],
        params["keyid"],
        signature,
    )


def verify(
    parsed: Parsed,
    public_key: bytes,
    target: Target,
    headers: Mapping[str, str],
    *,
    now: int,
    window: int = DEFAULT_WINDOW,
    remember_nonce: Callable[[str, str, int], bool] | None = None,
) -> Verified:
    """Check coverage, the Ed25519 signature, freshness and (via ``remember_nonce(keyid, nonce,
    expires_at)``, False when already seen) replay. Raises :class:`SignatureError`."""
    lower = _lower(headers)
    required = set(BASE_COMPONENTS) | {h for h in SIGNED_HEADERS if h in lower}
    if not required <= set(parsed.components):
        raise SignatureError("not_covered", N_("The signature does not cover the whole request."))
    base = signature_base(parsed.components, parsed.params_text, target, lower)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(parsed.signature, base)
    except (InvalidSignature, ValueError):
        raise SignatureError(
            "bad_signature", N_("The request's signature does not verify.")
        ) from None
    if abs(parsed.created - now) > window:
        raise SignatureError(
            "stale", N_("The request was signed at the wrong time; resynchronise the clock.")
        )
    if remember_nonce is not None and not remember_nonce(
        parsed.keyid, parsed.nonce, parsed.created + window
    ):
        raise SignatureError("replayed", N_("This request was already received (replayed)."))
    return Verified(parsed.keyid, parsed.created, parsed.nonce)


@dataclass
class ClockOffset:
    """The field client's correction: relay time minus local time, learnt from any response's
    ``Kpfield-Server-Time`` header (a 401 ``stale`` answer carries it too)."""

    seconds: int = 0

    def learn(self, server_time: int, sent_at: float, received_at: float) -> None:
        self.seconds = round(server_time - (sent_at + received_at) / 2)

    def now(self, local: float) -> int:
        return int(local) + self.seconds
