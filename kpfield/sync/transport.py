"""The signed HTTP transport over httpx: every request carries a Content-Digest and an RFC 9421
signature whose ``created`` is the relay's time as learnt from ``Kpfield-Server-Time``.

httpx because it gives per-phase timeouts (connect, read, write, pool: a stall on any socket
operation is caught without a wall-clock cap that would break slow links), HTTP/1.1 with
streamed request bodies, and proxies including SOCKS5 with remote DNS (``socks5h://``, through
``socksio``) so a ``.onion`` relay is reached through Tor without a local DNS lookup.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.errors import N_, IntegrityError, KpfieldError, UsageError
from kpfield.protocol import httpsig

log = logging.getLogger(__name__)
SERVER_TIME = "kpfield-server-time"
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
MAX_RESPONSE_BYTES = 16 << 20  # any answer but a bundle download (a documents page is ~6 MB)


class SyncError(KpfieldError):
    """The relay could not be reached or refused the work; nothing is marked delivered."""

    exit_code = 4


class LinkDown(SyncError):
    """The network failed mid-request (reset, timeout, proxy error): retry after a pause."""


class CertificateRefused(IntegrityError):
    """The relay's TLS certificate did not verify: nothing was sent, and retrying will not help."""


def _tls_verify_failed(exc: BaseException) -> str | None:
    """The verification error behind an httpx transport error, if TLS refused the certificate."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> ssl; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "certificate verify failed")[:120]
        seen = seen.__cause__ or seen.__context__
    return None


def tls_context(ca_file: str | None, ca_pem: str | None = None) -> ssl.SSLContext | bool:
    """httpx's ``verify``: the system's CAs (certifi), or only the CA in ``ca_file`` (a relay
    with the coalition's own certificate: nothing signed by any other CA is accepted), else
    only the CA ``ca_pem`` kept in the vault."""
    if not ca_file and ca_pem:
        try:
            return ssl.create_default_context(cadata=ca_pem)
        except (ssl.SSLError, ValueError):
            raise UsageError(N_("The relay's CA certificate kept in this vault cannot be used;"
                                " choose it again in the sync settings.")) from None
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError, ValueError):
        raise UsageError(
            N_("Cannot read the relay's CA certificate {path} (a PEM file)."), path=ca_file
        ) from None


class Refused(SyncError):
    """The relay answered with a refusal (``status``, ``code``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(
            N_("The relay refused the request ({status} {code}): {message}"),
            status=status,
            code=code,
            message=message[:200],
        )

    @property
    def retryable(self) -> bool:
        return self.status in (408, 429, 500, 502, 503, 504) or self.code in (
            "superseded",
            "checksum_mismatch",
            "disconnected",
            "short_body",
            "digest_mismatch",
        )


def check_url(url: str) -> str:
    """An http(s) URL with a host, no credentials or fragment; returned without a final /."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            N_("The relay URL must start with http:// or https:// and name a host: {url}"),
            url=url[:200],
        )
    if parts.username or parts.password or parts.fragment:
        raise UsageError(N_("The relay URL must not hold a password or a #fragment."))
    return url.strip().rstrip("/")


def plain_http_in_the_open(url: str) -> bool:
    """``http://`` to a host that is neither this machine nor a Tor ``.onion`` address: the
    connection is readable on the way (bundles stay age-encrypted, requests signed, but who
    talks to the relay, when and how much, shows)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".onion")):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def check_proxy(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname or not parts.port:
        raise UsageError(
            N_(
                "The proxy must look like socks5h://HOST:PORT (or socks5://, http://, https://):"
                " {url}"
            ),
            url=url[:200],
        )
    return url.strip()


@dataclass(frozen=True)
class Credentials:
    keyid: str  # 16 hex: the device id, or HQ's key id
    key: Ed25519PrivateKey


def error_code(response: httpx.Response) -> tuple[str, str]:
    try:
        doc = json.loads(response.content[:4096] or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "unknown", ""
    if not isinstance(doc, dict):
        return "unknown", ""
    return _printable(doc.get("error", "unknown"))[:40], _printable(doc.get("message", ""))[:200]


def _printable(value: object) -> str:
    """The relay's text without control characters: it reaches the monitor's terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def read_bounded(response: httpx.Response, cap: int = MAX_RESPONSE_BYTES) -> bytes:
    """Read a streamed answer into memory, refusing one longer than ``cap`` (a hostile relay may
    announce, or simply send, gigabytes); the response is closed either way."""
    parts, size = [], 0
    try:
        for block in response.iter_bytes(1 << 16):
            size += len(block)
            if size > cap:
                raise IntegrityError(N_("The relay's answer is too large."))
            parts.append(block)
    except httpx.TransportError as exc:
        raise LinkDown(
            N_("The connection to the relay failed ({reason})."), reason=type(exc).__name__
        ) from None
    finally:
        response.close()
    data = b"".join(parts)
    response._content = data  # what Response.read() keeps: .content works as usual
    return data


class Transport:
    """One relay, one identity; holds an httpx client (connection reuse) until closed."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        proxy: str | None = None,
        connect_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        client: httpx.Client | None = None,
        ca_file: str | None = None,
        ca_pem: str | None = None,
    ) -> None:
        self.base_url = check_url(base_url)
        self.credentials = credentials
        self.offset = httpsig.ClockOffset()
        self.clock = clock
        self.method_override = False
        self.connect_timeout = connect_timeout
        self._synced = False
        self._client = client or httpx.Client(
            proxy=check_proxy(proxy) if proxy else None,
            timeout=httpx.Timeout(60.0, connect=connect_timeout),
            follow_redirects=False,  # a redirect would send signed requests elsewhere
            trust_env=False,  # only the proxy the monitor chose, never one from the environment
            headers={"User-Agent": "kpfield"},
            verify=tls_context(ca_file, ca_pem),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def timeouts(self, stall: float) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_timeout, read=stall, write=stall, pool=stall)

    def _build(  # noqa: PLR0917 - private; one call site
        self,
        method: str,
        path: str,
        body: bytes,
        headers: Mapping[str, str],
        pieces: Callable[[], Iterable[bytes]] | None,
        timeout: httpx.Timeout | None,
    ) -> httpx.Request:
        wire = method
        out = dict(headers)
        if self.method_override and method in ("PATCH", "DELETE"):
            wire, out["X-HTTP-Method-Override"] = "POST", method
        out["Content-Digest"] = httpsig.content_digest(body)
        url = self.url(path)
        created = self.offset.now(self.clock())
        out.update(
            httpsig.sign(
                self.credentials.key,
                self.credentials.keyid,
                httpsig.Target.from_url(wire, url),
                out,
                created=created,
            )
        )
        content: bytes | Iterable[bytes] = body
        if pieces is not None:
            out["Content-Length"] = str(len(body))
            content = pieces()
        if timeout is None:
            return self._client.build_request(wire, url, content=content, headers=out)
        return self._client.build_request(wire, url, content=content, headers=out, timeout=timeout)

    def _learn(self, response: httpx.Response, sent: float, received: float) -> bool:
        raw = response.headers.get(SERVER_TIME, "")
        if raw.isascii() and raw.isdigit():  # "²".isdigit() is True; int("²") raises
            self.offset.learn(int(raw), sent, received)
            return True
        return False

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        pieces: Callable[[], Iterable[bytes]] | None = None,
        timeout: httpx.Timeout | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send a signed request; a 401 ``stale`` is answered by learning the relay's clock and
        signing once more with a new nonce. Network failures raise :class:`LinkDown`."""
        for attempt in (1, 2):
            request = self._build(method, path, body, headers or {}, pieces, timeout)
            sent = self.clock()
            try:
                response = self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                refused = _tls_verify_failed(exc)
                if refused is not None:
                    raise CertificateRefused(
                        N_(
                            "The relay's TLS certificate was not accepted ({reason}), so nothing"
                            " was sent. Someone may be intercepting the connection, or the"
                            " relay's certificate changed: tell headquarters."
                        ),
                        reason=refused,
                    ) from None
                raise LinkDown(
                    N_("The connection to the relay failed ({reason})."),
                    reason=type(exc).__name__,
                ) from None
            if not stream:
                read_bounded(response)
            received = self.clock()
            self._learn(response, sent, received)
            if response.status_code == 401 and attempt == 1:
                if stream:
                    read_bounded(response)
                code, _ = error_code(response)
                if code in ("stale", "replayed"):
                    # stale: the laptop's clock is off (just learnt). replayed: a middlebox
                    # delivered this request twice and the copy won; sign anew, once.
                    response.close()
                    log.info("relay refused a signature (%s); signing again", code)
                    continue
            if (
                response.status_code in (405, 501)
                and method in ("PATCH", "DELETE")
                and not self.method_override
                and attempt == 1
            ):
                # A proxy on the way blocks PATCH: tunnel it as POST + X-HTTP-Method-Override.
                self.method_override = True
                continue
            return response
        return response
