"""The relay's endpoints other than uploads: its identity, documents for a device, and HQ's
device list, bundle listing, download and document posting. Small requests are retried with
backoff on a failed link; refusals are raised at once."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

import httpx

from kpfield.crypto import minisign
from kpfield.errors import N_, CryptoError, IntegrityError
from kpfield.sync.link import Backoff, Link
from kpfield.sync.transport import LinkDown, Refused, Transport, error_code, read_bounded

T = TypeVar("T")
MAX_LISTING_BYTES = 8 << 20
_BUNDLE_ID = re.compile(r"^[0-9a-f]{64}$")
_DEVICE_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class RelayInfo:
    relay_key: minisign.MinisignPublicKey
    relay_key_text: str
    hq_key_id: str
    max_patch_bytes: int


@dataclass(frozen=True)
class RelayDocument:
    cursor: int
    kind: str
    body: bytes
    signature: str  # minisign text by HQ over body


@dataclass(frozen=True)
class ListedBundle:
    cursor: int
    bundle_id: str
    device_id: str
    sequence: int
    size: int
    receipt: bytes


def _json(response: httpx.Response) -> Any:
    if len(response.content) > MAX_LISTING_BYTES:
        raise IntegrityError(N_("The relay's answer is too large."))
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise IntegrityError(N_("The relay's answer is not valid JSON.")) from None


def _count(value: Any) -> int:
    """A cursor, sequence or size from the relay: it goes into the vault (SQLite INTEGER)."""
    n = int(value)
    if isinstance(value, bool) or not 0 <= n < 1 << 63:
        raise ValueError
    return n


def _malformed() -> IntegrityError:
    return IntegrityError(N_("The relay's answer is malformed."))


class RelayClient:
    def __init__(
        self,
        transport: Transport,
        *,
        link: Link | None = None,
        backoff: Backoff | None = None,
        attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.link = link or Link()
        self.backoff = backoff or Backoff()
        self.attempts = attempts
        self.sleep = sleep

    def _retrying(self, fn: Callable[[], T]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except LinkDown:
                if attempt == self.attempts:
                    raise
            except Refused as exc:
                if not exc.retryable or attempt == self.attempts:
                    raise
            self.sleep(self.backoff.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        def once() -> httpx.Response:
            response = self.transport.request(
                method,
                path,
                body=body,
                headers=headers,
                timeout=self.transport.timeouts(self.link.stall_timeout()),
            )
            if response.status_code not in ok:
                raise Refused(response.status_code, *error_code(response))
            return response

        return self._retrying(once)

    # ------------------------------------------------------------------ both
    def info(self) -> RelayInfo:
        doc = _json(self._call("GET", "/v1/relay"))
        try:
            text = str(doc["relay_key"])
            key = minisign.parse_public_key(text)
            return RelayInfo(
                key, text, str(doc["hq_key_id"]), int(doc["limits"]["max_patch_bytes"])
            )
        except (KeyError, TypeError, ValueError, CryptoError):
            raise _malformed() from None

    # ------------------------------------------------------------------ devices
    def device_list(self) -> bytes | None:
        response = self._call("GET", "/v1/device-list", ok=(200, 404))
        return None if response.status_code == 404 else response.content

    def documents(self, since: int) -> tuple[list[RelayDocument], int]:
        doc = _json(self._call("GET", f"/v1/documents?since={int(since)}"))
        try:
            items = [
                RelayDocument(
                    _count(d["cursor"]),
                    str(d["kind"]),
                    base64.b64decode(d["body"], validate=True),
                    str(d["signature"]),
                )
                for d in doc["documents"]
            ]
            return items, _count(doc["next"])
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise _malformed() from None

    # ------------------------------------------------------------------ HQ
    def publish_device_list(self, data: bytes) -> Refused | None:
        """Post a signed device list; a 409 ``stale_serial`` is returned, not raised."""
        try:
            self._call("POST", "/v1/hq/device-list", body=data)
        except Refused as exc:
            if exc.code == "stale_serial":
                return exc
            raise
        return None

    def hq_device_list(self) -> bytes | None:
        response = self._call("GET", "/v1/hq/device-list", ok=(200, 404))
        return None if response.status_code == 404 else response.content

    def bundles(self, since: int) -> tuple[list[ListedBundle], int]:
        doc = _json(self._call("GET", f"/v1/hq/bundles?since={int(since)}"))
        try:
            items = [
                ListedBundle(
                    _count(b["cursor"]),
                    str(b["bundle_id"]),
                    str(b["device_id"]),
                    _count(b["sequence"]),
                    _count(b["size"]),
                    base64.b64decode(b["receipt"], validate=True),
                )
                for b in doc["bundles"]
            ]
            if not all(_BUNDLE_ID.match(b.bundle_id) for b in items) or not all(
                _DEVICE_ID.match(b.device_id) for b in items
            ):
                raise ValueError  # ids go into request paths and the HQ vault
            return items, _count(doc["next"])
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise _malformed() from None

    def download(self, bundle: ListedBundle, out: BinaryIO) -> None:
        """Stream a bundle's ciphertext into ``out``; its SHA-256 must be its id."""

        def once() -> None:
            out.seek(0)
            out.truncate()
            response = self.transport.request(
                "GET",
                f"/v1/hq/bundles/{bundle.bundle_id}",
                timeout=self.transport.timeouts(self.link.stall_timeout()),
                stream=True,
            )
            try:
                if response.status_code != 200:
                    read_bounded(response)
                    raise Refused(response.status_code, *error_code(response))
                h, size = hashlib.sha256(), 0
                try:
                    for block in response.iter_bytes(1 << 16):
                        size += len(block)
                        if size > bundle.size:
                            raise IntegrityError(
                                N_("A bundle from the relay is longer than listed.")
                            )
                        h.update(block)
                        out.write(block)
                except httpx.TransportError as exc:
                    raise LinkDown(
                        N_("The connection to the relay failed ({reason})."),
                        reason=type(exc).__name__,
                    ) from None
            finally:
                response.close()
            if size != bundle.size or h.hexdigest() != bundle.bundle_id:
                raise IntegrityError(
                    N_("A bundle from the relay does not match its id; it was not imported.")
                )

        self._retrying(once)

    def post_document(self, device_id: str, kind: str, body: bytes, signature: str) -> int:
        headers = {
            "Kpfield-Document-Kind": kind,
            "Kpfield-Document-Signature": base64.b64encode(signature.encode()).decode("ascii"),
        }
        doc = _json(
            self._call(
                "POST",
                f"/v1/hq/devices/{device_id}/documents",
                body=body,
                headers=headers,
                ok=(201,),
            )
        )
        try:
            return int(doc["cursor"])
        except (KeyError, TypeError, ValueError):
            raise _malformed() from None
