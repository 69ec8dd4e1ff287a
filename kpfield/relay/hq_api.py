"""HQ's endpoints (device list, completed bundles, documents for devices) and the device side of
them (device list, documents since a cursor, relay info). HQ calls are signed with the HQ key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import AsyncIterator

from anyio.to_thread import run_sync
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from kpfield.crypto import minisign
from kpfield.errors import CryptoError, IntegrityError
from kpfield.protocol.device_list import MAX_DEVICE_LIST_BYTES, parse_device_list
from kpfield.relay.gate import BodyTimeout, RelayState, caller, problem
from kpfield.relay.storage import StaleSerial
from kpfield.relay.uploads import BUNDLE_ID, TUS_VERSION

log = logging.getLogger(__name__)
_DEVICE_ID = re.compile(r"^[0-9a-f]{16}$")
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_DOCS_PAGE_BYTES = 4 << 20


async def read_body(request: Request, cap: int) -> bytes | Response:
    """The whole body, at most ``cap`` bytes, checked against the signed Content-Digest."""
    declared = request.headers.get("content-length", "")
    if not (declared.isascii() and declared.isdigit()) or int(declared) > cap:
        return problem(413, "too_large", "The body is missing a length or is too large.")
    parts, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                return problem(413, "too_large", "The body is too large.")
            parts.append(chunk)
    except BodyTimeout:
        return problem(408, "body_timeout", "The body stalled.", {"Connection": "close"})
    except ClientDisconnect:
        return problem(400, "disconnected", "The client went away.")
    body = b"".join(parts)
    if hashlib.sha256(body).digest() != caller(request.scope).digest:
        return problem(400, "digest_mismatch", "The body does not match Content-Digest.")
    return body


def _cursor(request: Request) -> int | None:
    value = request.query_params.get("since", "0")
    # isascii: "²".isdigit() is True but int("²") raises
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class HqApi:
    def __init__(self, state: RelayState) -> None:
        self.state = state

    # -- HQ --------------------------------------------------------------------------------
    async def publish_device_list(self, request: Request) -> Response:
        body = await read_body(request, MAX_DEVICE_LIST_BYTES)
        if isinstance(body, Response):
            return body
        try:
            parsed = parse_device_list(body, self.state.identity.hq.signing_key)
            await run_sync(self.state.storage.put_device_list, parsed.serial, body)
        except IntegrityError as exc:
            return problem(422, "bad_device_list", exc.message)
        except StaleSerial as exc:
            return problem(409, "stale_serial", exc.message)
        self.state.devices, self.state.devices_serial = parsed, parsed.serial
        log.info("device list serial %d installed (%d devices)", parsed.serial, len(parsed.devices))
        return JSONResponse({"serial": parsed.serial, "devices": len(parsed.devices)})

    async def list_bundles(self, request: Request) -> Response:
        since = _cursor(request)
        if since is None:
            return problem(400, "bad_cursor", "since must be a non-negative integer.")
        uploads = await run_sync(
            self.state.storage.list_completed, since, self.state.limits.page_size
        )
        items = [
            {
                "cursor": u.cursor,
                "bundle_id": u.bundle_id,
                "device_id": u.device_id,
                "sequence": u.sequence,
                "size": u.length,
                "receipt": base64.b64encode(u.receipt or b"").decode("ascii"),
            }
            for u in uploads
        ]
        next_cursor = uploads[-1].cursor if uploads else since
        return JSONResponse({"bundles": items, "next": next_cursor})

    async def download_bundle(self, request: Request) -> Response:
        bundle_id = request.path_params["bundle_id"]
        if not BUNDLE_ID.match(bundle_id):
            return problem(400, "bad_id", "A bundle id is 64 lower-case hex digits.")
        upload = await run_sync(self.state.storage.get_upload, bundle_id)
        if upload is None or not upload.complete:
            return problem(404, "not_found", "No such bundle.")
        chunks = self.state.storage.read_bundle(bundle_id)

        async def stream() -> AsyncIterator[bytes]:
            while (chunk := await run_sync(next, chunks, None)) is not None:
                yield chunk

        return StreamingResponse(
            stream(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(upload.length), "Kpfield-Bundle-Id": bundle_id},
        )

    async def post_document(self, request: Request) -> Response:
        device_id = request.path_params["device_id"]
        kind = request.headers.get("kpfield-document-kind", "")
        encoded_sig = request.headers.get("kpfield-document-signature", "")
        if not _DEVICE_ID.match(device_id) or not _KIND.match(kind):
            return problem(400, "bad_document", "A device id and a document kind are required.")
        body = await read_body(request, self.state.limits.max_document_bytes)
        if isinstance(body, Response):
            return body
        try:
            signature = base64.b64decode(encoded_sig, validate=True).decode("utf-8")
            minisign.verify(self.state.identity.hq.signing_key, signature, body)
        except (binascii.Error, ValueError, CryptoError):
            return problem(422, "bad_signature", "The document is not signed by the HQ key.")

        def add() -> int:
            return self.state.storage.add_document(
                device_id=device_id,
                kind=kind,
                body=body,
                signature=signature,
                now=self.state.now(),
            )

        cursor = await run_sync(add)
        return JSONResponse({"cursor": cursor}, 201)

    async def flags(self, request: Request) -> Response:
        flags = await run_sync(self.state.storage.flags)
        return JSONResponse({"flags": [f.__dict__ for f in flags]})

    async def hq_device_list(self, request: Request) -> Response:
        return await self.device_list(request)

    # -- devices ---------------------------------------------------------------------------
    async def device_list(self, request: Request) -> Response:
        data = await run_sync(self.state.storage.device_list)
        if data is None:
            return problem(404, "no_device_list", "HQ has not published a device list yet.")
        return Response(data, media_type="application/json")

    async def documents(self, request: Request) -> Response:
        since = _cursor(request)
        if since is None:
            return problem(400, "bad_cursor", "since must be a non-negative integer.")
        device_id = caller(request.scope).keyid
        docs = await run_sync(
            self.state.storage.list_documents, device_id, since, self.state.limits.page_size
        )
        items: list[dict[str, object]] = []
        total, next_cursor = 0, since
        for doc in docs:
            total += len(doc.body)
            if items and total > _DOCS_PAGE_BYTES:
                break
            items.append(
                {
                    "cursor": doc.cursor,
                    "kind": doc.kind,
                    "created_at": doc.created_at,
                    "body": base64.b64encode(doc.body).decode("ascii"),
                    "signature": doc.signature,
                }
            )
            next_cursor = doc.cursor
        return JSONResponse({"documents": items, "next": next_cursor})

    async def info(self, request: Request) -> Response:
        ident, limits = self.state.identity, self.state.limits
        return JSONResponse(
            {
                "format": "kpfield.relay-info/1",
                "relay_key": ident.public.to_base64(),
                "relay_fingerprint": ident.fingerprint,
                "hq_key_id": ident.hq.key_id_hex,
                "tus_version": TUS_VERSION,
                "server_time": self.state.now(),
                "limits": {
                    "max_upload_bytes": limits.max_upload_bytes,
                    "max_patch_bytes": limits.max_patch_bytes,
                    "read_timeout": limits.read_timeout,
                    "signature_window": limits.signature_window,
                    "max_active_patches_per_device": limits.max_active_patches_per_device,
                },
            }
        )
