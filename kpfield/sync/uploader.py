"""Resumable upload of one bundle file (tus 1.0 subset, see docs/sync-protocol.md §3 and §8).

Create (idempotent on the bundle id), then PATCH chunks sized to the link. After any failure the
uploader waits (exponential backoff with jitter) and asks the relay where it stands (HEAD): the
offset it reports is durable, so nothing before it is ever sent again. The upload is delivered
only when the relay's signed receipt verifies with the pinned relay key and names exactly this
bundle, device, sequence and size.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from kpfield.crypto import minisign
from kpfield.domain.jobs import CancelCheck, raise_if_cancelled
from kpfield.errors import N_, IntegrityError
from kpfield.protocol import relay_receipt
from kpfield.sync.link import PIECE, Backoff, Link
from kpfield.sync.transport import LinkDown, Refused, SyncError, Transport, error_code

log = logging.getLogger(__name__)
TUS = {"Tus-Resumable": "1.0.0"}


@dataclass(frozen=True)
class Bundle:
    path: Path
    bundle_id: str  # SHA-256 of the ciphertext, hex
    sequence: int
    size: int


@dataclass
class _State:
    offset: int
    receipt: bytes | None


@dataclass
class UploadStats:
    """What one upload cost: bytes put on the wire vs the bundle's size, and interruptions."""

    bytes_sent: int = 0
    interruptions: int = 0
    patches: int = 0


def _metadata(bundle: Bundle) -> str:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode("ascii")).decode("ascii")

    return f"bundle_id {b64(bundle.bundle_id)},sequence {b64(str(bundle.sequence))}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class Uploader:
    """Delivers bundles to one relay; ``on_failure(reason)`` is told of each failed attempt."""

    def __init__(
        self,
        transport: Transport,
        relay_key: minisign.MinisignPublicKey,
        device_id: str,
        *,
        link: Link | None = None,
        backoff: Backoff | None = None,
        max_failures: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        cancel: CancelCheck | None = None,
        progress: Callable[[int], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.transport = transport
        self.relay_key = relay_key
        self.device_id = device_id
        self.link = link or Link()
        self.backoff = backoff or Backoff()
        self.max_failures = max_failures
        self.sleep = sleep
        self.monotonic = monotonic
        self.cancel = cancel
        self.progress = progress
        self.on_failure = on_failure
        self.stats = UploadStats()

    # ------------------------------------------------------------------ the whole upload
    def upload(self, bundle: Bundle) -> relay_receipt.RelayReceipt:
        """Deliver ``bundle`` (resuming wherever the relay stands) and return its receipt."""
        if file_sha256(bundle.path) != bundle.bundle_id:
            raise IntegrityError(
                N_("The outbox copy of bundle {sequence} is damaged; it was not sent."),
                sequence=bundle.sequence,
            )
        failures = 0
        created = False
        while True:
            raise_if_cancelled(self.cancel)
            try:
                state = self._head(bundle) if created else None
                if state is None:
                    state = self._create(bundle)
                    created = True
                while state.receipt is None:
                    if state.offset >= bundle.size:
                        state = self._head(bundle) or self._create(bundle)
                        if state.receipt is None:
                            raise LinkDown(N_("The relay has every byte but gave no receipt."))
                        break
                    before = state.offset
                    state = self._patch(bundle, state.offset)
                    if state.offset > before:
                        failures = 0
                return self._verify(bundle, state.receipt)
            except (LinkDown, Refused) as exc:
                if isinstance(exc, Refused) and not exc.retryable:
                    raise
                failures += 1
                self.stats.interruptions += 1
                log.info("upload of bundle %d: attempt failed (%s)", bundle.sequence, exc.message)
                if self.on_failure is not None:
                    self.on_failure(exc.message)
                if failures >= self.max_failures:
                    raise SyncError(
                        N_(
                            "Bundle {sequence} could not be delivered after {n} failed attempts"
                            " ({reason}); it will resume from where it stopped next time."
                        ),
                        sequence=bundle.sequence,
                        n=failures,
                        reason=exc.message,
                    ) from None
                self.sleep(self.backoff.delay(failures))

    # ------------------------------------------------------------------ steps
    def _small(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        started = self.monotonic()
        response = self.transport.request(
            method,
            path,
            headers=headers,
            timeout=self.transport.timeouts(self.link.stall_timeout()),
        )
        self.link.observe_rtt(self.monotonic() - started)
        return response

    def _state_of(self, response: httpx.Response) -> _State:
        offset = response.headers.get("upload-offset", "")
        if not (offset.isascii() and offset.isdigit()):
            raise LinkDown(N_("The relay's answer had no upload offset."))
        raw = response.headers.get("kpfield-receipt")
        receipt = None
        if raw is not None:
            try:
                receipt = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise IntegrityError(N_("The relay's receipt is not valid base64.")) from None
        return _State(int(offset), receipt)

    def _create(self, bundle: Bundle) -> _State:
        headers = {
            **TUS,
            "Upload-Length": str(bundle.size),
            "Upload-Metadata": _metadata(bundle),
        }
        response = self._small("POST", "/v1/uploads", headers)
        if response.status_code not in (200, 201):
            raise Refused(response.status_code, *error_code(response))
        return self._state_of(response)

    def _head(self, bundle: Bundle) -> _State | None:
        response = self._small("HEAD", f"/v1/uploads/{bundle.bundle_id}", dict(TUS))
        if response.status_code in (404, 410):
            return None  # expired or never created: create again
        if response.status_code != 200:
            raise Refused(response.status_code, "head", "")
        return self._state_of(response)

    def _pieces(self, chunk: bytes, base: int) -> Callable[[], Iterator[bytes]]:
        def gen() -> Iterator[bytes]:
            view = memoryview(chunk)
            for start in range(0, len(chunk), PIECE):
                raise_if_cancelled(self.cancel)
                piece = view[start : start + PIECE]
                self.stats.bytes_sent += len(piece)
                yield bytes(piece)
                if self.progress is not None:
                    self.progress(base + start + len(piece))

        return gen

    def _patch(self, bundle: Bundle, offset: int) -> _State:
        size = min(self.link.chunk_size(), bundle.size - offset)
        with open(bundle.path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(size)
        if len(chunk) != size:
            raise IntegrityError(N_("The outbox copy of a bundle became shorter; not sent."))
        checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
        headers = {
            **TUS,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": f"sha256 {checksum}",
        }
        stall = self.link.stall_timeout()
        # The kernel and the routers on the way may take the whole chunk into their buffers at
        # once; the answer then comes only after those drain at the link's rate. Wait for that
        # too (at a pessimistic 8 kB/s while the rate is still unknown).
        stall += size / (self.link.throughput or 8e3)
        if offset + size == bundle.size:
            # The last PATCH waits while the relay hashes the whole bundle (~100 MB/s or more).
            stall += bundle.size / 50e6
        started = self.monotonic()
        self.stats.patches += 1
        try:
            response = self.transport.request(
                "PATCH",
                f"/v1/uploads/{bundle.bundle_id}",
                body=chunk,
                headers=headers,
                pieces=self._pieces(chunk, offset),
                timeout=self.transport.timeouts(stall),
            )
        except LinkDown:
            self.link.interrupted(self.monotonic() - started)
            raise
        elapsed = self.monotonic() - started
        if response.status_code == 204:
            state = self._state_of(response)
            if state.offset != offset + size:
                raise LinkDown(N_("The relay reported an unexpected offset."))
            self.link.observe_chunk(size, elapsed)
            return state
        code, message = error_code(response)
        if response.status_code == 409 and code == "offset_mismatch":
            return self._state_of(response)
        self.link.interrupted(elapsed)
        raise Refused(response.status_code, code, message)

    def _verify(self, bundle: Bundle, raw: bytes) -> relay_receipt.RelayReceipt:
        receipt = relay_receipt.parse_receipt(raw, self.relay_key)
        if (
            receipt.bundle_id != bundle.bundle_id
            or receipt.device_id != self.device_id
            or receipt.sequence != bundle.sequence
            or receipt.size != bundle.size
        ):
            raise IntegrityError(
                N_("The relay's receipt names another bundle; bundle {sequence} was not marked."),
                sequence=bundle.sequence,
            )
        return receipt
