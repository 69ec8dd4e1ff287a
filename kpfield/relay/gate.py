"""The ASGI gate in front of every route: signature and device checks before any body is read,
a server-time header on every answer, bounded body reads, and X-HTTP-Method-Override."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpfield.errors import N_, IntegrityError
from kpfield.protocol import httpsig
from kpfield.protocol.device_list import DeviceList, parse_device_list
from kpfield.relay.config import Limits, RelayIdentity
from kpfield.relay.storage import RelayStorage

log = logging.getLogger(__name__)
SERVER_TIME = "kpfield-server-time"
_OVERRIDABLE = {"PATCH", "DELETE", "HEAD"}
_EITHER_ROLE = {"/v1/relay"}
_EMPTY_SHA256 = hashlib.sha256(b"").digest()


class BodyTimeout(Exception):
    """The client stopped sending its body for longer than the per-read timeout."""


@dataclass
class RelayState:
    storage: RelayStorage
    identity: RelayIdentity
    limits: Limits
    clock: Callable[[], float]
    devices: DeviceList | None = None
    devices_serial: int | None = None  # serial of the stored list last looked at

    def now(self) -> int:
        return int(self.clock())

    def refresh_devices(self) -> None:
        """Load HQ's newest device list if another node (or this one) stored a newer one."""
        serial = self.storage.device_list_serial()
        if serial is None or serial == self.devices_serial:
            return
        stored = self.storage.device_list()
        self.devices_serial = serial
        if stored is None:
            return
        try:
            self.devices = parse_device_list(stored, self.identity.hq.signing_key)
        except IntegrityError:
            self.devices = None
            log.error("the stored device list does not verify; no device is accepted")


@dataclass(frozen=True)
class Caller:
    role: str  # "device" or "hq"
    keyid: str
    digest: bytes  # the SHA-256 the signed Content-Digest names


def problem(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Every refusal: a status and a short JSON message, never content."""
    return JSONResponse({"error": code, "message": message}, status, headers=headers)


def caller(scope: Scope) -> Caller:
    found = scope.get("kpfield.caller")
    if not isinstance(found, Caller):
        raise RuntimeError("request passed the gate without a caller")  # pragma: no cover
    return found


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _guard(receive: Receive, timeout: float) -> Receive:
    finished = False

    async def guarded() -> Message:
        nonlocal finished
        if finished:  # the body is over: later receives only wait for a disconnect
            return await receive()
        try:
            with anyio.fail_after(timeout):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            finished = True
        return message

    return guarded


class Gate:
    def __init__(self, app: ASGIApp, state: RelayState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                stamp = (SERVER_TIME.encode(), str(self.state.now()).encode())
                message = {**message, "headers": [*message.get("headers", []), stamp]}
            await send(message)

        headers = _headers(scope)
        try:
            found = await self._authenticate(scope, headers)
        except httpsig.SignatureError as exc:
            log.info("refused %s %s: %s", scope["method"], scope["path"][:80], exc.code)
            status = 403 if exc.code == "revoked" else 401
            # Connection: close, so the unread body is never read.
            refusal = problem(status, exc.code, exc.message, {"Connection": "close"})
            await refusal(scope, receive, send_with_time)
            return
        scope = {**scope, "kpfield.caller": found}
        override = headers.get("x-http-method-override", "").upper()
        if scope["method"] == "POST" and override in _OVERRIDABLE:
            scope["method"] = override
        await self.app(scope, _guard(receive, self.state.limits.read_timeout), send_with_time)

    async def _authenticate(self, scope: Scope, headers: dict[str, str]) -> Caller:
        state = self.state
        parsed = httpsig.parse(headers)
        # HQ reads the relay's identity too (to pin its receipt key), so /v1/relay takes either.
        hq_path = scope["path"].startswith("/v1/hq/")
        either = scope["path"] in _EITHER_ROLE and parsed.keyid == state.identity.hq.key_id_hex
        role = "hq" if hq_path or either else "device"
        entry = None
        if role == "hq":
            if parsed.keyid != state.identity.hq.key_id_hex:
                raise httpsig.SignatureError("unknown_key", N_("Only HQ may call this."))
            public_key = state.identity.hq.signing_key.public_key
        else:
            # Nodes share the store: a list HQ gave another node counts here at once.
            await anyio.to_thread.run_sync(state.refresh_devices)
            entry = state.devices.get(parsed.keyid) if state.devices else None
            if entry is None:
                raise httpsig.SignatureError("unknown_device", N_("This device is not enrolled."))
            public_key = entry.public_key
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = httpsig.Target(
            scope["method"],
            headers.get("host", "").lower(),
            raw_path.decode("latin-1"),
            scope.get("query_string", b"").decode("latin-1"),
        )
        now = state.now()

        def remember(keyid: str, nonce: str, expires_at: int) -> bool:
            return state.storage.remember_nonce(keyid, nonce, expires_at, now)

        def check() -> httpsig.Verified:
            return httpsig.verify(
                parsed,
                public_key,
                target,
                headers,
                now=now,
                window=state.limits.signature_window,
                remember_nonce=remember,
            )

        await anyio.to_thread.run_sync(check)
        if entry is not None and entry.revoked:
            raise httpsig.SignatureError("revoked", N_("This device was revoked by HQ."))
        digest = httpsig.parse_content_digest(headers["content-digest"])
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        if not has_body and digest != _EMPTY_SHA256:
            raise httpsig.SignatureError("bad_digest", N_("The Content-Digest does not match."))
        return Caller(role, parsed.keyid, digest)
