"""tus 1.0 uploads (core, creation, checksum, expiration, termination), one per bundle id.

The upload URL is ``/v1/uploads/<bundle id>``: the id is the SHA-256 of the whole ciphertext, so
a repeated creation finds the same upload and a held bundle is answered with its receipt at once.
One writer per upload: a new HEAD or PATCH cancels a stale PATCH (which keeps no partial bytes)
rather than waiting for it; on a backend shared by several nodes, a stale PATCH on another node
stops at its next chunk (``RelayStorage.supersede``). Offsets only move after the bytes are
durable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate

import anyio
from anyio.to_thread import run_sync
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from kpfield.protocol import relay_receipt
from kpfield.relay.gate import BodyTimeout, RelayState, caller, problem
from kpfield.relay.storage import (
    Appender,
    OffsetMismatch,
    SequenceConflict,
    StorageError,
    Upload,
    UploadConflict,
)

log = logging.getLogger(__name__)
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum,expiration,termination"
BUNDLE_ID = re.compile(r"^[0-9a-f]{64}$")
_METADATA_KEYS = {"bundle_id", "sequence"}


@dataclass
class _Writer:
    device_id: str
    scope: anyio.CancelScope
    done: anyio.Event = field(default_factory=anyio.Event)


class Writers:
    """The PATCH in progress for each upload (in this process)."""

    def __init__(self) -> None:
        self.active: dict[str, _Writer] = {}

    def count(self, device_id: str) -> int:
        return sum(1 for w in self.active.values() if w.device_id == device_id)

    async def supersede(self, bundle_id: str) -> None:
        while (old := self.active.get(bundle_id)) is not None:
            old.scope.cancel()
            await old.done.wait()


def tus_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **(extra or {})}


def _state_headers(upload: Upload) -> dict[str, str]:
    out = {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length)}
    if upload.receipt is not None:
        out["Kpfield-Receipt"] = base64.b64encode(upload.receipt).decode("ascii")
    else:
        out["Upload-Expires"] = formatdate(upload.expires_at, usegmt=True)
    return tus_headers(out)


def _parse_metadata(value: str) -> tuple[str, int] | None:
    found: dict[str, str] = {}
    for pair in value.split(","):
        parts = pair.strip().split(" ")
        if len(parts) != 2 or parts[0] not in _METADATA_KEYS or parts[0] in found:
            return None
        try:
            found[parts[0]] = base64.b64decode(parts[1], validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            return None
    if set(found) != _METADATA_KEYS or not BUNDLE_ID.match(found["bundle_id"]):
        return None
    if (
        not (found["sequence"].isascii() and found["sequence"].isdigit())
        or not 1 <= int(found["sequence"]) < 1 << 62
    ):
        return None
    return found["bundle_id"], int(found["sequence"])


def _int_header(request: Request, name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None


class UploadsApi:
    def __init__(self, state: RelayState) -> None:
        self.state = state
        self.writers = Writers()

    async def options(self, request: Request) -> Response:
        limits = self.state.limits
        return Response(
            status_code=204,
            headers=tus_headers(
                {
                    "Tus-Version": TUS_VERSION,
                    "Tus-Extension": TUS_EXTENSIONS,
                    "Tus-Max-Size": str(limits.max_upload_bytes),
                    "Tus-Checksum-Algorithm": "sha256",
                    "Kpfield-Max-Patch": str(limits.max_patch_bytes),
                }
            ),
        )

    async def _owned(self, request: Request) -> Upload | Response:
        bundle_id = request.path_params["bundle_id"]
        if not BUNDLE_ID.match(bundle_id):
            return problem(400, "bad_id", "An upload id is 64 lower-case hex digits.")
        upload = await run_sync(self.state.storage.get_upload, bundle_id)
        if upload is None or upload.device_id != caller(request.scope).keyid:
            return problem(404, "not_found", "No such upload.", tus_headers())
        if not upload.complete and upload.expires_at < self.state.now():
            return problem(410, "expired", "This upload expired; create it again.", tus_headers())
        return upload

    async def _finish(self, upload: Upload) -> Upload | Response:
        """Complete an upload whose bytes are all durable: check the whole hash, sign a receipt."""
        if upload.complete or upload.offset != upload.length:
            return upload
        storage, ident = self.state.storage, self.state.identity
        digest = await run_sync(storage.data_sha256, upload.bundle_id)
        if digest.hex() != upload.bundle_id:
            await run_sync(storage.reset_upload, upload.bundle_id)
            log.warning("bundle %s failed its whole-bundle hash; reset", upload.bundle_id[:16])
            return problem(
                460,
                "bundle_mismatch",
                "The bytes received do not hash to the bundle id; send the bundle again.",
                tus_headers({"Upload-Offset": "0"}),
            )
        now = self.state.now()
        receipt = relay_receipt.make_receipt(
            ident.key,
            ident.public.key_id,
            bundle_id=upload.bundle_id,
            device_id=upload.device_id,
            sequence=upload.sequence,
            size=upload.length,
            received_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            done: Upload = await run_sync(storage.complete, upload.bundle_id, receipt, now)
        except StorageError as exc:  # the store lost bytes: never a receipt without them
            log.error("bundle %s not completed: %s", upload.bundle_id[:16], type(exc).__name__)
            return problem(460, "bundle_mismatch", exc.message, tus_headers({"Upload-Offset": "0"}))
        log.info("bundle %s complete (%d bytes)", upload.bundle_id[:16], upload.length)
        return done

    async def create(self, request: Request) -> Response:
        state, who = self.state, caller(request.scope)
        if request.headers.get("tus-resumable") != TUS_VERSION:
            return problem(412, "tus_version", "Tus-Resumable 1.0.0 is required.", tus_headers())
        length = _int_header(request, "upload-length")
        meta = _parse_metadata(request.headers.get("upload-metadata", ""))
        if length is None or length < 1 or meta is None:
            return problem(400, "bad_creation", "Upload-Length and Upload-Metadata are required.")
        if length > state.limits.max_upload_bytes:
            return problem(413, "too_large", "The bundle is larger than this relay accepts.")
        if request.headers.get("content-length", "0") != "0":
            return problem(400, "body_not_allowed", "Create the upload, then PATCH its bytes.")
        bundle_id, sequence = meta
        now = state.now()
        held = await run_sync(state.storage.get_upload, bundle_id)
        if held is None:
            count = await run_sync(state.storage.count_incomplete, who.keyid)
            if count >= state.limits.max_incomplete_uploads_per_device:
                return problem(429, "too_many_uploads", "Finish or delete other uploads first.")
            await run_sync(state.storage.expire_uploads, now)

        def create() -> tuple[Upload, bool]:
            return state.storage.create_upload(
                bundle_id=bundle_id,
                device_id=who.keyid,
                sequence=sequence,
                length=length,
                now=now,
                expires_at=now + state.limits.upload_expiry,
            )

        try:
            upload, created = await run_sync(create)
        except SequenceConflict as exc:
            log.warning("device %s reused sequence %d for another bundle", who.keyid, sequence)
            return problem(409, "sequence_conflict", exc.message)
        except UploadConflict as exc:
            return problem(409, "upload_conflict", exc.message)
        finished = await self._finish(upload)
        if isinstance(finished, Response):
            return finished
        headers = _state_headers(finished)
        headers["Location"] = f"/v1/uploads/{bundle_id}"
        return Response(status_code=201 if created else 200, headers=headers)

    async def head(self, request: Request) -> Response:
        bundle_id = request.path_params["bundle_id"]
        if BUNDLE_ID.match(bundle_id):
            await self.writers.supersede(bundle_id)
        upload = await self._owned(request)
        if isinstance(upload, Response):
            return upload
        if not upload.complete:  # a PATCH of it on another node stops at its next chunk
            await run_sync(self.state.storage.supersede, upload.bundle_id)
        finished = await self._finish(upload)
        if isinstance(finished, Response):
            return finished
        return Response(status_code=200, headers=_state_headers(finished))

    async def delete(self, request: Request) -> Response:
        upload = await self._owned(request)
        if isinstance(upload, Response):
            return upload
        if upload.complete:
            return problem(409, "complete", "A received bundle is kept for HQ.", tus_headers())
        await self.writers.supersede(upload.bundle_id)
        await run_sync(self.state.storage.delete_upload, upload.bundle_id)
        return Response(status_code=204, headers=tus_headers())

    async def patch(self, request: Request) -> Response:
        state, who = self.state, caller(request.scope)
        limits = state.limits
        if request.headers.get("content-type") != "application/offset+octet-stream":
            return problem(415, "content_type", "Use Content-Type application/offset+octet-stream.")
        offset = _int_header(request, "upload-offset")
        size = _int_header(request, "content-length")
        if offset is None:
            return problem(400, "bad_offset", "Upload-Offset is required.")
        if size is None:
            return problem(411, "length_required", "Content-Length is required.")
        if size > limits.max_patch_bytes:
            return problem(413, "patch_too_large", "This PATCH is larger than the relay accepts.")
        checksum = self._checksum(request)
        if isinstance(checksum, Response):
            return checksum
        bundle_id = request.path_params["bundle_id"]
        while True:  # until no writer holds the upload after our last await
            if BUNDLE_ID.match(bundle_id):
                await self.writers.supersede(bundle_id)
            upload = await self._owned(request)
            if isinstance(upload, Response):
                return upload
            if bundle_id not in self.writers.active:
                break
        if upload.complete or upload.offset != offset:
            return problem(
                409, "offset_mismatch", "HEAD the upload for its offset.", _state_headers(upload)
            )
        if offset + size > upload.length:
            return problem(413, "past_length", "The PATCH runs past Upload-Length.")
        if self.writers.count(who.keyid) >= limits.max_active_patches_per_device:
            return problem(429, "too_many_patches", "Too many uploads at once from this device.")
        writer = _Writer(who.keyid, anyio.CancelScope())
        self.writers.active[bundle_id] = writer
        try:
            with writer.scope:
                result = await self._receive(request, upload, size, who.digest, checksum)
            if writer.scope.cancelled_caught:
                return problem(409, "superseded", "A newer request took over this upload.")
        finally:
            if self.writers.active.get(bundle_id) is writer:
                del self.writers.active[bundle_id]
            writer.done.set()
        if isinstance(result, Response):
            return result
        finished = await self._finish(result)
        if isinstance(finished, Response):
            return finished
        return Response(status_code=204, headers=_state_headers(finished))

    def _checksum(self, request: Request) -> bytes | None | Response:
        value = request.headers.get("upload-checksum")
        if value is None:
            return None
        algo, _, b64 = value.partition(" ")
        if algo != "sha256":
            return problem(400, "checksum_algorithm", "Only sha256 checksums are supported.")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            return problem(400, "bad_checksum", "Upload-Checksum is malformed.")
        return raw

    async def _receive(
        self, request: Request, upload: Upload, size: int, digest: bytes, checksum: bytes | None
    ) -> Upload | Response:
        storage, limits = self.state.storage, self.state.limits
        expires_at = self.state.now() + limits.upload_expiry
        appender: Appender = await run_sync(
            storage.begin_append, upload.bundle_id, upload.offset, expires_at
        )
        committed = False
        try:
            hasher, received = hashlib.sha256(), 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > size:
                    return problem(413, "patch_too_large", "The body is longer than announced.")
                hasher.update(chunk)
                await run_sync(appender.write, chunk)
            if received != size:
                return problem(400, "short_body", "The body is shorter than announced.")
            if hasher.digest() != digest:
                return problem(400, "digest_mismatch", "The body does not match Content-Digest.")
            if checksum is not None and hasher.digest() != checksum:
                return problem(460, "checksum_mismatch", "The body does not match its checksum.")
            new_offset = await run_sync(appender.commit)
            committed = True
        except BodyTimeout:
            log.info("upload %s: body read timed out", upload.bundle_id[:16])
            return problem(408, "body_timeout", "The body stalled.", {"Connection": "close"})
        except ClientDisconnect:
            return problem(400, "disconnected", "The client went away.")
        except OffsetMismatch as exc:
            return problem(
                409,
                "offset_mismatch",
                "HEAD the upload for its offset.",
                tus_headers({"Upload-Offset": str(exc.offset)}),
            )
        finally:
            if not committed:
                with anyio.CancelScope(shield=True):
                    await run_sync(appender.abort)
        return Upload(**{**upload.__dict__, "offset": new_offset})
