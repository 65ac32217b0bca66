"""ASGI middleware: the body guard (size limit, UTF-8) and the access log.

The guard reads the body before the application does: over ``max_bytes`` (by Content-Length or as it streams)
is 413; a JSON or text body that is not UTF-8 is 400 naming the byte offset. The access log writes one JSON line
per request to the ``criteria_nlp.service.access`` logger: method, path (never the query), status, duration and
body size — no header, query or body content, so no patient data.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from criteria_nlp.service.errors import error_response
from criteria_nlp.service.models import ErrorDetail

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_logger = logging.getLogger("criteria_nlp.service.access")
_TEXT_TYPES = ("json", "text/")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class BodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send, 413, f"the body is {declared} bytes; the limit is {self.max_bytes}")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, 413, f"the body is over the limit of {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = (_header(scope, b"content-type") or "").lower()
        if any(kind in content_type for kind in _TEXT_TYPES):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                message_text = f"the body is not valid UTF-8: byte {body[error.start]:#04x} at offset {error.start}"
                await self._refuse(scope, send, 400, message_text, position=error.start)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str, position: int | None = None) -> None:
        detail = ErrorDetail(field="body", message=message, position=position)
        response = error_response(scope["path"], status, message, [detail])
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        size = 0

        async def logged_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            record = {
                "event": "access",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "response_bytes": size,
            }
            access_logger.info(json.dumps(record))
